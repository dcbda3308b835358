//! The lease every kind of durable run shares (summary runs, retrieval
//! runs): a run is queued, claimed by one process with one conditional
//! `UPDATE` (so that of several processes exactly one wins), kept by
//! renewing the lease, and written only by its lease's owner (a fenced
//! `UPDATE`), so that a process that lost its lease cannot write over the
//! one that took the run over. An expired lease makes the run claimable
//! again, and the next claim resumes it from what it stored.
//!
//! A kind of run is a table with these columns, named by [`Leased`].

use chrono::{DateTime, Utc};
use entity::enums::RunStatus;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, UpdateMany,
};

use crate::RepoError;

/// The lease columns of a kind of run.
pub trait Leased: EntityTrait {
    fn id() -> Self::Column;
    fn status() -> Self::Column;
    fn attempt() -> Self::Column;
    fn lease_owner() -> Self::Column;
    fn lease_expires_at() -> Self::Column;
    fn started_at() -> Self::Column;
    fn finished_at() -> Self::Column;
    fn updated_at() -> Self::Column;
    /// The column a unique index keeps one active run per subject with
    /// (the report, the stream): set while queued or running, NULL after.
    fn active_subject() -> Self::Column;
}

/// The subject's queued or running run, if any.
pub async fn active_for<E: Leased, C: ConnectionTrait>(
    db: &C,
    subject: i32,
) -> Result<Option<E::Model>, RepoError> {
    Ok(E::find()
        .filter(E::active_subject().eq(subject))
        .one(db)
        .await?)
}

/// Queues a run of `subject` with `insert` (which answers `None` when the
/// unique index on the active subject refused it), or returns the
/// subject's active run; `true` when this call queued it.
///
/// Most concurrent callers join: one read, no refused insert. A run can end
/// between a refused insert and the next read; then the next insert
/// succeeds. Three rounds cover any real interleaving.
// `insert` is a plain closure returning a future rather than an async
// closure: the futures of async closures are not `Send` for every lifetime,
// and callers spawn this on the runtime.
pub async fn queue_or_join<E, C, F>(
    db: &C,
    subject: i32,
    mut insert: impl FnMut() -> F,
) -> Result<(E::Model, bool), RepoError>
where
    E: Leased,
    C: ConnectionTrait,
    F: std::future::Future<Output = Result<Option<E::Model>, RepoError>>,
{
    for _ in 0..3 {
        if let Some(active) = active_for::<E, _>(db, subject).await? {
            return Ok((active, false));
        }
        match insert().await {
            Ok(Some(run)) => return Ok((run, true)),
            Ok(None) => continue,
            Err(e) if e.is_deadlock() => continue,
            Err(other) => return Err(other),
        }
    }
    Err(RepoError::Db(sea_orm::DbErr::Custom(format!(
        "{}: the active run of {subject} kept changing",
        E::default().table_name()
    ))))
}

/// Who holds the run's lease now (none once it is given up or ended).
pub async fn lease_owner<E: Leased, C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<String>, RepoError> {
    let owner: Option<Option<String>> = E::find()
        .select_only()
        .column(E::lease_owner())
        .filter(E::id().eq(id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(owner.flatten())
}

/// Condition of a run any process may claim now: queued, or running under
/// a lease that has expired.
pub fn claimable<E: Leased>(now: DateTime<Utc>) -> Condition {
    Condition::any().add(E::status().eq(RunStatus::Queued)).add(
        Condition::all()
            .add(E::status().eq(RunStatus::Running))
            .add(E::lease_expires_at().lt(now)),
    )
}

/// Takes the run for `owner` until `until` if it is claimable, with what
/// `also` adds to the `UPDATE` (a kind's first stage); whether it did.
pub async fn claim<E: Leased, C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    also: impl FnOnce(UpdateMany<E>) -> UpdateMany<E>,
) -> Result<bool, RepoError> {
    let update = E::update_many()
        .col_expr(E::status(), Expr::value(RunStatus::Running))
        .col_expr(E::lease_owner(), Expr::value(owner))
        .col_expr(E::lease_expires_at(), Expr::value(until))
        .col_expr(E::attempt(), Expr::col(E::attempt()).add(1))
        .col_expr(
            E::started_at(),
            sea_orm::sea_query::Func::coalesce([Expr::col(E::started_at()), Expr::value(now)])
                .into(),
        )
        .col_expr(E::updated_at(), Expr::value(now));
    let result = also(update)
        .filter(E::id().eq(id))
        .filter(claimable::<E>(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Extends `owner`'s lease; `false` when the run is no longer running
/// under it (finished, cancelled, or taken over).
pub async fn renew<E: Leased, C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, RepoError> {
    let update = E::update_many()
        .col_expr(E::lease_expires_at(), Expr::value(until))
        .filter(E::status().eq(RunStatus::Running));
    fenced(db, update, id, owner).await
}

/// Applies `update` to the run if `owner` holds its lease; whether it did.
pub async fn fenced<E: Leased, C: ConnectionTrait>(
    db: &C,
    update: UpdateMany<E>,
    id: i32,
    owner: &str,
) -> Result<bool, RepoError> {
    let result = update
        .filter(E::id().eq(id))
        .filter(E::lease_owner().eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// `update` ending a running run with `status` (to be [`fenced`]): it lets
/// go of its subject and its lease.
pub fn ended<E: Leased>(update: UpdateMany<E>, status: RunStatus) -> UpdateMany<E> {
    let now = Utc::now();
    update
        .col_expr(E::status(), Expr::value(status))
        .col_expr(E::active_subject(), Expr::value(Option::<i32>::None))
        .col_expr(E::lease_owner(), Expr::value(Option::<String>::None))
        .col_expr(
            E::lease_expires_at(),
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(E::finished_at(), Expr::value(now))
        .col_expr(E::updated_at(), Expr::value(now))
        .filter(E::status().eq(RunStatus::Running))
}

/// Gives up `owner`'s lease. A run still running goes back to the queue for
/// any process to resume; a cancelled one just loses its owner.
pub async fn release<E: Leased, C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
) -> Result<(), RepoError> {
    let requeue = Expr::case(
        E::status().eq(RunStatus::Running),
        Expr::value(RunStatus::Queued),
    )
    .finally(Expr::col(E::status()));
    E::update_many()
        .col_expr(E::status(), requeue.into())
        .col_expr(E::lease_owner(), Expr::value(Option::<String>::None))
        .col_expr(
            E::lease_expires_at(),
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(E::updated_at(), Expr::value(Utc::now()))
        .filter(E::id().eq(id))
        .filter(E::lease_owner().eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels a queued or running run: it stops being its subject's active
/// run at once; its owner, if any, finishes what is in flight and lets go.
/// `false` when the run had already ended.
pub async fn cancel<E: Leased, C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, RepoError> {
    let now = Utc::now();
    let result = E::update_many()
        .col_expr(E::status(), Expr::value(RunStatus::Cancelled))
        .col_expr(E::active_subject(), Expr::value(Option::<i32>::None))
        .col_expr(E::finished_at(), Expr::value(now))
        .col_expr(E::updated_at(), Expr::value(now))
        .filter(E::id().eq(id))
        .filter(E::status().is_in([RunStatus::Queued, RunStatus::Running]))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The lease columns of a table whose columns carry the usual names.
macro_rules! leased {
    ($entity:path, $active:ident) => {
        impl $crate::leases::Leased for $entity {
            fn id() -> Self::Column {
                Self::Column::Id
            }
            fn status() -> Self::Column {
                Self::Column::Status
            }
            fn attempt() -> Self::Column {
                Self::Column::Attempt
            }
            fn lease_owner() -> Self::Column {
                Self::Column::LeaseOwner
            }
            fn lease_expires_at() -> Self::Column {
                Self::Column::LeaseExpiresAt
            }
            fn started_at() -> Self::Column {
                Self::Column::StartedAt
            }
            fn finished_at() -> Self::Column {
                Self::Column::FinishedAt
            }
            fn updated_at() -> Self::Column {
                Self::Column::UpdatedAt
            }
            fn active_subject() -> Self::Column {
                Self::Column::$active
            }
        }
    };
}

leased!(entity::summary_run::Entity, ActiveReportId);
leased!(entity::retrieval_run::Entity, ActiveStreamId);
