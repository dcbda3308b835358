//! The delivery outbox and users' stream subscriptions.
//!
//! A delivery is a durable job like a run (see [`crate::leases`]): queued
//! (`queued`, due at `next_attempt_at`), claimed by one process with one
//! conditional `UPDATE`, written only by its lease's owner, and ended as
//! `succeeded` (sent), `failed` or `cancelled`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::enums::{DeliveryChannel, RunStatus, StreamScope, UserRole};
use entity::{delivery, org_stream_subscription, organization, stream_subscription, user};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::leases::{self, Leased};
use crate::pagination::{Page, Paginated};
use crate::streams::Stream;
use crate::{RepoError, chunk};

pub use entity::delivery::Model as Delivery;

/// A user's explicit choice for a stream, if they made one.
pub async fn subscription<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
) -> Result<Option<bool>, RepoError> {
    Ok(
        stream_subscription::Entity::find_by_id((user_id, stream_id))
            .one(db)
            .await?
            .map(|s| s.subscribed),
    )
}

/// Records a user's choice for a stream (kept when they change it again).
pub async fn set_subscription<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
    subscribed: bool,
) -> Result<(), RepoError> {
    stream_subscription::Entity::insert(stream_subscription::ActiveModel {
        user_id: Set(user_id),
        stream_id: Set(stream_id),
        subscribed: Set(subscribed),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            stream_subscription::Column::UserId,
            stream_subscription::Column::StreamId,
        ])
        .update_columns([
            stream_subscription::Column::Subscribed,
            stream_subscription::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A recipient of a stream's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: i32,
    pub email: String,
}

/// Who receives the stream's approved reports by mail: every active user
/// (in an active organization) who may read them and has not said no —
/// by default the users of the organizations that read the stream (its
/// own for an organization stream, the subscribed ones for a global
/// stream) and a personal stream's owner; platform admins when they said
/// yes. Ordered by user id.
pub async fn mail_recipients<C: ConnectionTrait>(
    db: &C,
    stream: &Stream,
) -> Result<Vec<Recipient>, RepoError> {
    let choices: HashMap<i32, bool> = stream_subscription::Entity::find()
        .filter(stream_subscription::Column::StreamId.eq(stream.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s.subscribed))
        .collect();
    let readers = match stream.scope {
        StreamScope::Personal => {
            Condition::all().add(user::Column::Id.eq(stream.owner_user_id.unwrap_or(0)))
        }
        StreamScope::Organization => {
            Condition::all().add(user::Column::OrgId.eq(stream.org_id.unwrap_or(0)))
        }
        StreamScope::Global => Condition::all().add(
            user::Column::OrgId.in_subquery(
                Query::select()
                    .column(org_stream_subscription::Column::OrgId)
                    .from(org_stream_subscription::Entity)
                    .and_where(org_stream_subscription::Column::StreamId.eq(stream.id))
                    .to_owned(),
            ),
        ),
    };
    let said_yes: Vec<i32> = choices
        .iter()
        .filter(|(_, yes)| **yes)
        .map(|(id, _)| *id)
        .collect();
    let admins_who_said_yes = Condition::all()
        .add(user::Column::Role.eq(UserRole::PlatformAdmin))
        .add(user::Column::Id.is_in(said_yes));
    let active_orgs = Query::select()
        .column(organization::Column::Id)
        .from(organization::Entity)
        .and_where(organization::Column::IsActive.eq(true))
        .to_owned();
    let rows: Vec<(i32, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Email)
        .filter(user::Column::IsActive.eq(true))
        .filter(
            Condition::any()
                .add(user::Column::OrgId.is_null())
                .add(user::Column::OrgId.in_subquery(active_orgs)),
        )
        .filter(Condition::any().add(readers).add(admins_who_said_yes))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(id, _)| choices.get(id) != Some(&false))
        .map(|(user_id, email)| Recipient { user_id, email })
        .collect())
}

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub report_id: Option<i32>,
    pub report_version: i32,
    pub stream_id: i32,
    pub channel: DeliveryChannel,
    pub user_id: Option<i32>,
    pub recipient: String,
    pub event: Option<String>,
    pub payload: Option<String>,
    pub changes: Option<String>,
    /// Not before then (the stream's send time); none: at once.
    pub due_at: Option<DateTime<Utc>>,
}

const INSERT_COLUMNS: usize = 14;

/// Queues deliveries in multi-row chunks; one that exists (the same report
/// version, channel and recipient) is left as it is.
pub async fn enqueue<C: ConnectionTrait>(db: &C, new: Vec<NewDelivery>) -> Result<(), RepoError> {
    let now = Utc::now();
    for part in new.chunks(chunk::insert_rows(INSERT_COLUMNS)) {
        let rows = part.iter().map(|d| delivery::ActiveModel {
            report_id: Set(d.report_id),
            report_version: Set(d.report_version),
            stream_id: Set(d.stream_id),
            channel: Set(d.channel),
            user_id: Set(d.user_id),
            recipient: Set(d.recipient.clone()),
            event: Set(d.event.clone()),
            payload: Set(d.payload.clone()),
            changes: Set(d.changes.clone()),
            status: Set(RunStatus::Queued),
            attempt: Set(0),
            next_attempt_at: Set(d.due_at.unwrap_or(now)),
            active_report_id: Set(d.report_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        delivery::Entity::insert_many(rows)
            // MySQL has no `DO NOTHING`: the named column is set to itself.
            .on_conflict(
                OnConflict::new()
                    .do_nothing_on([delivery::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The users a report was mailed to (any earlier version), sent.
pub async fn mailed_users<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
) -> Result<HashSet<i32>, RepoError> {
    let ids: Vec<Option<i32>> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::UserId)
        .filter(delivery::Column::ReportId.eq(report_id))
        .filter(delivery::Column::Channel.eq(DeliveryChannel::Email))
        .filter(delivery::Column::Status.eq(RunStatus::Succeeded))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// Cancels the report's queued mail (messages being sent finish; webhook
/// events stay: a receiver is told of the approval and the reopening both).
pub async fn cancel_queued<C: ConnectionTrait>(db: &C, report_id: i32) -> Result<u64, RepoError> {
    let now = Utc::now();
    let result = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(RunStatus::Cancelled))
        .col_expr(
            delivery::Column::ActiveReportId,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(delivery::Column::FinishedAt, Expr::value(now))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::ActiveReportId.eq(report_id))
        .filter(delivery::Column::Channel.eq(DeliveryChannel::Email))
        .filter(delivery::Column::Status.eq(RunStatus::Queued))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Deliveries any process may claim now (due and queued, or sending under
/// an expired lease), oldest first.
pub async fn claimable<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i32>, RepoError> {
    Ok(delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(leases::claimable::<delivery::Entity>(now))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes the delivery for `owner` until `until` if it is claimable and due.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Delivery>, RepoError> {
    let won = leases::claim::<delivery::Entity, _>(db, id, owner, now, until, |u| {
        u.filter(delivery::Column::NextAttemptAt.lte(now))
    })
    .await?;
    if !won {
        return Ok(None);
    }
    Ok(delivery::Entity::find_by_id(id).one(db).await?)
}

/// Ends `owner`'s delivery as sent; whether it still held it.
pub async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
) -> Result<bool, RepoError> {
    let update = leases::ended(delivery::Entity::update_many(), RunStatus::Succeeded)
        .col_expr(delivery::Column::SentAt, Expr::value(Utc::now()))
        .col_expr(
            delivery::Column::LastError,
            Expr::value(Option::<String>::None),
        );
    leases::fenced(db, update, id, owner).await
}

/// Ends `owner`'s delivery with `status` (failed, or cancelled when the
/// report is no longer the version it was for) and why.
pub async fn mark_ended<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    status: RunStatus,
    error: &str,
) -> Result<bool, RepoError> {
    let update = leases::ended(delivery::Entity::update_many(), status)
        .col_expr(delivery::Column::LastError, Expr::value(error));
    leases::fenced(db, update, id, owner).await
}

/// Puts `owner`'s delivery back in the queue until `at`, with why it did
/// not go this time.
pub async fn retry_at<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    at: DateTime<Utc>,
    error: &str,
) -> Result<bool, RepoError> {
    let update = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(RunStatus::Queued))
        .col_expr(
            delivery::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            delivery::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(at))
        .col_expr(delivery::Column::LastError, Expr::value(error))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery::Column::Status.eq(RunStatus::Running));
    leases::fenced(db, update, id, owner).await
}

/// Queues a failed delivery again, due now; whether it was failed.
pub async fn requeue_failed<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, RepoError> {
    let now = Utc::now();
    let result = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(RunStatus::Queued))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            delivery::Column::ActiveReportId,
            Expr::col(delivery::Column::ReportId),
        )
        .col_expr(
            delivery::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(RunStatus::Failed))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The delivery with this id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Delivery>, RepoError> {
    Ok(delivery::Entity::find_by_id(id).one(db).await?)
}

/// A page of the report's deliveries, oldest first (a report of a large
/// stream has one per reader and endpoint).
pub async fn of_report<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    page: Page,
) -> Result<Paginated<Delivery>, RepoError> {
    let query = delivery::Entity::find()
        .filter(delivery::Column::ReportId.eq(report_id))
        .order_by_asc(delivery::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

impl Leased for delivery::Entity {
    fn id() -> Self::Column {
        delivery::Column::Id
    }
    fn status() -> Self::Column {
        delivery::Column::Status
    }
    fn attempt() -> Self::Column {
        delivery::Column::Attempt
    }
    fn lease_owner() -> Self::Column {
        delivery::Column::LeaseOwner
    }
    fn lease_expires_at() -> Self::Column {
        delivery::Column::LeaseExpiresAt
    }
    fn started_at() -> Self::Column {
        delivery::Column::StartedAt
    }
    fn finished_at() -> Self::Column {
        delivery::Column::FinishedAt
    }
    fn updated_at() -> Self::Column {
        delivery::Column::UpdatedAt
    }
    fn active_subject() -> Self::Column {
        delivery::Column::ActiveReportId
    }
}
