use sea_orm::entity::prelude::*;

use crate::enums::{DeliveryChannel, RunStatus};

/// One message of the outbox: a report version to one recipient over one
/// channel, written in the approval's transaction. Workers of any process
/// send it under the lease every durable job has (`lease_owner` until
/// `lease_expires_at`; `attempt` counts the claims); a failure worth
/// retrying puts it back in the queue until `next_attempt_at`. Its id is
/// the message's identity: every attempt sends the same Message-ID.
/// `active_report_id` is the report's id while the delivery is queued or
/// being sent, NULL after (what reopening a report cancels).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The report it carries; none for a webhook event of another kind
    /// (`retrieval.completed`).
    pub report_id: Option<i32>,
    /// The report's version when it was approved.
    pub report_version: i32,
    pub stream_id: i32,
    pub channel: DeliveryChannel,
    pub user_id: Option<i32>,
    /// The address (mail) or endpoint (`webhook:{id}`).
    pub recipient: String,
    /// A webhook's event type (`report.approved`, …).
    pub event: Option<String>,
    /// A webhook's body, fixed when queued: every attempt sends the same
    /// bytes under the same `webhook-id`.
    #[sea_orm(column_type = "Text", nullable)]
    pub payload: Option<String>,
    /// For a report approved again: what changed since the version this
    /// recipient got.
    #[sea_orm(column_type = "Text", nullable)]
    pub changes: Option<String>,
    pub status: RunStatus,
    pub attempt: i32,
    pub next_attempt_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub active_report_id: Option<i32>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
