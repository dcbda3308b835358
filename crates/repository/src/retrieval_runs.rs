//! Retrieval runs: queued per stream (one active at a time), claimed and
//! kept under the shared lease ([`crate::leases`]), and moved on a page at
//! a time in the transaction that stores the page's candidates.

use chrono::{DateTime, Utc};
use entity::enums::{RunStatus, RunTrigger};
use entity::retrieval_run::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::pagination::{Page, Paginated, fetch_page};
use crate::{RepoError, leases, rows};

pub use entity::retrieval_run::Model as RetrievalRun;

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewRetrieval {
    pub stream_id: i32,
    pub org_id: Option<i32>,
    pub requested_by: Option<i32>,
    pub trigger: RunTrigger,
    /// The schedule's time it is queued for (none when asked for by hand).
    pub due_at: Option<DateTime<Utc>>,
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
    /// The source it starts at: 0, or past the last to screen only.
    pub first_source: i32,
}

/// What one page did, and where the run is after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Advance {
    pub source_index: i32,
    pub next_start: i32,
    pub retrieved: i32,
    pub duplicates: i32,
    pub new_candidates: i32,
    pub rejected: i32,
}

/// Queues a run of the stream, or returns its active run when it has one;
/// `true` when this call queued it.
pub async fn queue_or_join<C: ConnectionTrait>(
    db: &C,
    new: NewRetrieval,
) -> Result<(RetrievalRun, bool), RepoError> {
    let new = &new;
    leases::queue_or_join::<retrieval_run::Entity, _, _>(db, new.stream_id, move || async move {
        match insert(db, new).await {
            Ok(run) => Ok(Some(run)),
            Err(RepoError::Duplicate(_)) => Ok(None),
            Err(other) => Err(other),
        }
    })
    .await
}

/// The row of a run queued now, as the columns store it (microseconds).
fn queued_row(new: &NewRetrieval) -> RetrievalRun {
    use chrono::SubsecRound;
    let now = Utc::now().trunc_subsecs(6);
    RetrievalRun {
        id: 0,
        stream_id: new.stream_id,
        org_id: new.org_id,
        requested_by: new.requested_by,
        active_stream_id: Some(new.stream_id),
        trigger: new.trigger,
        due_at: new.due_at.map(|d| d.trunc_subsecs(6)),
        status: RunStatus::Queued,
        window_from: new.window_from.trunc_subsecs(6),
        window_to: new.window_to.trunc_subsecs(6),
        source_index: new.first_source,
        next_start: 0,
        retrieved: 0,
        duplicates: 0,
        new_candidates: 0,
        rejected: 0,
        screened_out: 0,
        error: None,
        attempt: 0,
        lease_owner: None,
        lease_expires_at: None,
        created_at: now,
        started_at: None,
        finished_at: None,
        updated_at: now,
    }
}

/// Inserts `run` as it is, returned with its id.
async fn insert_row<C: ConnectionTrait>(
    db: &C,
    mut run: RetrievalRun,
) -> Result<RetrievalRun, RepoError> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let mut row = run.clone().into_active_model().reset_all();
    row.id = sea_orm::ActiveValue::NotSet;
    run.id = retrieval_run::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(run)
}

async fn insert<C: ConnectionTrait>(db: &C, new: &NewRetrieval) -> Result<RetrievalRun, RepoError> {
    insert_row(db, queued_row(new)).await
}

/// Records a file import as a run that has ended (no lease, never the
/// stream's active run), its counts written by [`set_import_counts`] once
/// known; in the import's transaction.
pub async fn record_import<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    org_id: Option<i32>,
    requested_by: i32,
) -> Result<RetrievalRun, RepoError> {
    let now = Utc::now();
    let mut run = queued_row(&NewRetrieval {
        stream_id,
        org_id,
        requested_by: Some(requested_by),
        trigger: RunTrigger::Import,
        due_at: None,
        window_from: now,
        window_to: now,
        first_source: 0,
    });
    run.active_stream_id = None;
    run.status = RunStatus::Succeeded;
    run.attempt = 1;
    run.started_at = Some(run.created_at);
    run.finished_at = Some(run.created_at);
    insert_row(db, run).await
}

/// Writes an import's counts once its records are stored (in the same
/// transaction as [`record_import`]).
pub async fn set_import_counts<C: ConnectionTrait>(
    db: &C,
    id: i32,
    counts: Advance,
) -> Result<(), RepoError> {
    retrieval_run::Entity::update_many()
        .col_expr(Column::Retrieved, Expr::value(counts.retrieved))
        .col_expr(Column::Duplicates, Expr::value(counts.duplicates))
        .col_expr(Column::NewCandidates, Expr::value(counts.new_candidates))
        .col_expr(Column::Rejected, Expr::value(counts.rejected))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Queues the run a schedule is due for; `None` when a run for this due
/// time exists already (another process queued it) or the stream has a
/// run in progress (which covers it): the unique indexes decide either way.
pub async fn queue_scheduled<C: ConnectionTrait>(
    db: &C,
    new: NewRetrieval,
) -> Result<Option<RetrievalRun>, RepoError> {
    match insert(db, &new).await {
        Ok(run) => Ok(Some(run)),
        Err(RepoError::Duplicate(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Sets the stream's next due time, or removes its schedule (`None`).
pub async fn set_schedule<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    next_at: Option<DateTime<Utc>>,
) -> Result<(), RepoError> {
    use entity::retrieval_schedule;
    use sea_orm::sea_query::OnConflict;
    match next_at {
        None => {
            retrieval_schedule::Entity::delete_by_id(stream_id)
                .exec(db)
                .await?;
        }
        Some(next_at) => {
            let row = retrieval_schedule::ActiveModel {
                stream_id: sea_orm::Set(stream_id),
                next_at: sea_orm::Set(next_at),
            };
            retrieval_schedule::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(retrieval_schedule::Column::StreamId)
                        .update_column(retrieval_schedule::Column::NextAt)
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}

/// Streams whose schedule is due at `now`: `(stream, due time)`, the
/// earliest first.
pub async fn due_schedules<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i32, DateTime<Utc>)>, RepoError> {
    use entity::retrieval_schedule::{self, Column as S};
    Ok(retrieval_schedule::Entity::find()
        .select_only()
        .column(S::StreamId)
        .column(S::NextAt)
        .filter(S::NextAt.lte(now))
        .order_by_asc(S::NextAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Moves a due schedule on to `next_at`; a schedule set anew meanwhile
/// (its next time is after `now`) stays as it was set.
pub async fn move_schedule<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    now: DateTime<Utc>,
    next_at: Option<DateTime<Utc>>,
) -> Result<(), RepoError> {
    use entity::retrieval_schedule::{self, Column as S};
    let due = retrieval_schedule::Entity::delete_many()
        .filter(S::StreamId.eq(stream_id))
        .filter(S::NextAt.lte(now));
    match next_at {
        // A cron that never fires again (a past year): no schedule left.
        None => {
            due.exec(db).await?;
        }
        Some(next_at) => {
            retrieval_schedule::Entity::update_many()
                .col_expr(S::NextAt, Expr::value(next_at))
                .filter(S::StreamId.eq(stream_id))
                .filter(S::NextAt.lte(now))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// The stream's queued or running run, if any.
pub async fn active_for_stream<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
) -> Result<Option<RetrievalRun>, RepoError> {
    leases::active_for::<retrieval_run::Entity, _>(db, stream_id).await
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<RetrievalRun>, RepoError> {
    Ok(retrieval_run::Entity::find_by_id(id).one(db).await?)
}

/// The run with this id, or `NotFound`.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<RetrievalRun, RepoError> {
    rows::get_by_id::<retrieval_run::Entity, _>(db, "retrieval run", id).await
}

/// A stream's runs, newest first.
pub async fn list_for_stream<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    page: Page,
) -> Result<Paginated<RetrievalRun>, RepoError> {
    let query = retrieval_run::Entity::find()
        .filter(Column::StreamId.eq(stream_id))
        .order_by_desc(Column::Id);
    fetch_page(db, query, page).await
}

/// Ids of runs any process may claim now, oldest first.
pub async fn claimable<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i32>, RepoError> {
    Ok(retrieval_run::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(leases::claimable::<retrieval_run::Entity>(now))
        .order_by_asc(Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes the run for `owner` until `until` if it is claimable; the run as
/// claimed.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<RetrievalRun>, RepoError> {
    if !leases::claim::<retrieval_run::Entity, _>(db, id, owner, now, until, |u| u).await? {
        return Ok(None);
    }
    find(db, id).await
}

pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, RepoError> {
    leases::renew::<retrieval_run::Entity, _>(db, id, owner, until).await
}

/// Moves the run on by a page, if `owner` holds it and it still runs: in
/// the transaction that stored the page's candidates, so that the two
/// stand or fall together.
pub async fn advance<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    step: Advance,
) -> Result<bool, RepoError> {
    let add = |column: Column, n: i32| Expr::col(column).add(n);
    let update = retrieval_run::Entity::update_many()
        .col_expr(Column::SourceIndex, Expr::value(step.source_index))
        .col_expr(Column::NextStart, Expr::value(step.next_start))
        .col_expr(Column::Retrieved, add(Column::Retrieved, step.retrieved))
        .col_expr(Column::Duplicates, add(Column::Duplicates, step.duplicates))
        .col_expr(
            Column::NewCandidates,
            add(Column::NewCandidates, step.new_candidates),
        )
        .col_expr(Column::Rejected, add(Column::Rejected, step.rejected))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Status.eq(RunStatus::Running));
    leases::fenced(db, update, id, owner).await
}

/// Adds candidates screened out to the run `owner` is running (in the
/// transaction that stores the screening); `false` when it is not.
pub async fn screened<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    screened_out: i32,
) -> Result<bool, RepoError> {
    let update = retrieval_run::Entity::update_many()
        .col_expr(
            Column::ScreenedOut,
            Expr::col(Column::ScreenedOut).add(screened_out),
        )
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Status.eq(RunStatus::Running));
    leases::fenced(db, update, id, owner).await
}

/// Ends a run `owner` is running; `false` when it is not (cancelled or
/// taken over meanwhile).
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    status: RunStatus,
    error: Option<String>,
) -> Result<bool, RepoError> {
    let update = retrieval_run::Entity::update_many().col_expr(Column::Error, Expr::value(error));
    leases::fenced(db, leases::ended(update, status), id, owner).await
}

pub async fn release<C: ConnectionTrait>(db: &C, id: i32, owner: &str) -> Result<(), RepoError> {
    leases::release::<retrieval_run::Entity, _>(db, id, owner).await
}

pub async fn cancel<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, RepoError> {
    leases::cancel::<retrieval_run::Entity, _>(db, id).await
}

/// What a stream took in over a window: its runs' (imports included)
/// counts, and its candidates' decisions as they stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub retrieved: i64,
    pub duplicates: i64,
    pub rejected: i64,
    /// Candidates by status and, for excluded ones, reason (`None` for an
    /// exclusion without a reason).
    pub candidates: Vec<(entity::enums::CandidateStatus, Option<String>, i64)>,
}

/// The stream's funnel over runs created and candidates retrieved after
/// `after` (when given) and up to `until` (when given): two statements.
pub async fn funnel<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    after: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Funnel, RepoError> {
    use entity::candidate::{self, Column as C};
    use sea_orm::sea_query::Alias;
    let bigint = Alias::new(crate::usage::bigint(db));
    let sum = |column: Column| Expr::col(column).sum().cast_as(bigint.clone());
    let mut runs = retrieval_run::Entity::find()
        .select_only()
        .column_as(sum(Column::Retrieved), "retrieved")
        .column_as(sum(Column::Duplicates), "duplicates")
        .column_as(sum(Column::Rejected), "rejected")
        .filter(Column::StreamId.eq(stream_id));
    let mut pool = candidate::Entity::find()
        .select_only()
        .column(C::Status)
        .column(C::Reason)
        .column_as(Expr::col(C::Id).count().cast_as(bigint.clone()), "n")
        .filter(C::StreamId.eq(stream_id))
        .group_by(C::Status)
        .group_by(C::Reason);
    if let Some(after) = after {
        runs = runs.filter(Column::CreatedAt.gt(after));
        pool = pool.filter(C::RetrievedAt.gt(after));
    }
    if let Some(until) = until {
        runs = runs.filter(Column::CreatedAt.lte(until));
        pool = pool.filter(C::RetrievedAt.lte(until));
    }
    let totals: Option<(Option<i64>, Option<i64>, Option<i64>)> = runs.into_tuple().one(db).await?;
    let (retrieved, duplicates, rejected) = totals.unwrap_or_default();
    Ok(Funnel {
        retrieved: retrieved.unwrap_or(0),
        duplicates: duplicates.unwrap_or(0),
        rejected: rejected.unwrap_or(0),
        candidates: pool.into_tuple().all(db).await?,
    })
}
