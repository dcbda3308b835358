//! Subscriptions and deliveries.

use serde::Serialize;
use service::chrono::{DateTime, Utc};
use service::deliveries::{Delivery, Subscription, status_name};
use service::enums::DeliveryChannel;
use utoipa::ToSchema;

/// The caller's subscription to a stream's mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionOut {
    pub stream_id: i32,
    /// Whether approved reports of the stream are mailed to the caller.
    pub subscribed: bool,
    /// Whether the caller chose it; otherwise it is the default (on for
    /// the streams one's organization reads, off for platform admins).
    pub chosen: bool,
}

impl SubscriptionOut {
    pub fn new(stream_id: i32, s: Subscription) -> Self {
        Self {
            stream_id,
            subscribed: s.subscribed,
            chosen: s.chosen,
        }
    }
}

/// One message of a report to one recipient.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i32,
    /// The report it carries (none for a `retrieval.completed` event).
    pub report_id: Option<i32>,
    /// The report's version it carries.
    pub report_version: i32,
    pub channel: DeliveryChannel,
    /// The address it goes to, or `webhook:{id}`.
    pub recipient: String,
    /// A webhook's event (`report.approved`, `report.reopened`,
    /// `retrieval.completed`).
    pub event: Option<String>,
    /// `pending` (queued or being sent), `sent`, `failed` (retry it with
    /// `POST /deliveries/{id}/retry`) or `cancelled` (the report was
    /// reopened, or the recipient may no longer receive it).
    #[schema(pattern = "^(pending|sent|failed|cancelled)$")]
    pub status: String,
    /// Times a worker took it.
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When a pending delivery is due.
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// For a report approved again: what the message says changed.
    pub changes: Option<String>,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            report_id: d.report_id,
            report_version: d.report_version,
            channel: d.channel,
            recipient: d.recipient,
            event: d.event,
            status: status_name(d.status).to_owned(),
            attempts: d.attempt,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            sent_at: d.sent_at,
            created_at: d.created_at,
            changes: d.changes,
        }
    }
}

/// What a one-click unsubscribe did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsubscribedOut {
    pub stream_id: i32,
    pub subscribed: bool,
}
