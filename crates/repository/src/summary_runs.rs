//! Summary runs: the rows through which processes share, claim, renew and
//! finish runs. Every write of a run in progress is fenced by its lease
//! owner, so a process that lost its lease cannot write over the one that
//! took the run over.

use chrono::{DateTime, Utc};
use entity::enums::{LlmStage, RunStatus};
use entity::summary_run::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, UpdateMany,
};

use crate::pagination::{Page, Paginated, fetch_page};
use crate::{RepoError, leases, rows};

pub use entity::summary_run::{CategorySummaries, Model as SummaryRun, RunFailures};

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub report_id: i32,
    pub org_id: Option<i32>,
    pub requested_by: Option<i32>,
    pub force: bool,
    /// The articles it is expected to summarize (its worker corrects this).
    pub articles_total: i32,
    /// What it reserves of its organization's monthly budget (0, 0 when
    /// the organization has none).
    pub reserved_calls: i32,
    pub reserved_tokens: i64,
}

/// Finished LLM calls' share of a run's progress, and where the run is.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The stage the run is in from now on, when it moved.
    pub stage: Option<LlmStage>,
    /// How many articles the run covers, once known.
    pub articles_total: Option<i32>,
    pub calls: i32,
    pub articles_done: i32,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// The category summaries made so far, when this call added one.
    pub category_summaries: Option<CategorySummaries>,
}

/// How a run ended, as stored.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: RunStatus,
    pub error: Option<String>,
    pub error_detail: Option<String>,
    pub failures: Option<RunFailures>,
}

/// The stage a run starts in, written by whichever claims it first: a
/// claim, or an insert that claims.
const FIRST_STAGE: LlmStage = LlmStage::ArticleSummary;

/// The lease a process takes on a run it inserts claimed.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: DateTime<Utc>,
}

/// Queues a run for the report, or returns the report's active run when it
/// has one; `true` when this call queued it. The unique index on
/// `active_report_id` keeps one active run per report whatever the race.
pub async fn queue_or_join<C: ConnectionTrait>(
    db: &C,
    new: NewRun,
) -> Result<(SummaryRun, bool), RepoError> {
    let new = &new;
    leases::queue_or_join::<summary_run::Entity, _, _>(db, new.report_id, move || {
        insert(db, new, None)
    })
    .await
}

/// Inserts the report's run: queued, or with `lease` already claimed by
/// the process that holds it (which then skips the claim). `None` when the
/// report has an active run (the unique index refused the insert; on
/// PostgreSQL that ends the transaction it ran in).
///
/// The row is returned as written, without reading it back: MariaDB has no
/// `INSERT … RETURNING` through SeaORM, and every column but the id is
/// known here.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: &NewRun,
    lease: Option<Lease<'_>>,
) -> Result<Option<SummaryRun>, RepoError> {
    use chrono::SubsecRound;
    use sea_orm::IntoActiveModel;
    // As the columns store it (microseconds), so that the row returned is
    // the row a later read gets.
    let now = Utc::now().trunc_subsecs(6);
    let mut run = SummaryRun {
        id: 0,
        report_id: new.report_id,
        org_id: new.org_id,
        requested_by: new.requested_by,
        active_report_id: Some(new.report_id),
        status: RunStatus::Queued,
        force: new.force,
        stage: None,
        articles_done: 0,
        articles_total: new.articles_total,
        llm_calls: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        reserved_calls: new.reserved_calls,
        reserved_tokens: new.reserved_tokens,
        error: None,
        error_detail: None,
        failures: None,
        category_summaries: None,
        attempt: 0,
        lease_owner: None,
        lease_expires_at: None,
        created_at: now,
        started_at: None,
        finished_at: None,
        updated_at: now,
    };
    if let Some(lease) = lease {
        // What a claim writes (see `claim`).
        run.status = RunStatus::Running;
        run.lease_owner = Some(lease.owner.to_owned());
        run.lease_expires_at = Some(lease.until.trunc_subsecs(6));
        run.attempt = 1;
        run.stage = Some(FIRST_STAGE);
        run.started_at = Some(now);
    }
    let mut row = run.clone().into_active_model().reset_all();
    row.id = sea_orm::ActiveValue::NotSet;
    match summary_run::Entity::insert(row)
        .exec(db)
        .await
        .map_err(RepoError::from)
    {
        Ok(inserted) => {
            run.id = inserted.last_insert_id;
            Ok(Some(run))
        }
        Err(RepoError::Duplicate(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The report's queued or running run, if any.
pub async fn active_for_report<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
) -> Result<Option<SummaryRun>, RepoError> {
    leases::active_for::<summary_run::Entity, _>(db, report_id).await
}

/// The run with this id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<SummaryRun>, RepoError> {
    Ok(summary_run::Entity::find_by_id(id).one(db).await?)
}

/// The run with this id, or `NotFound`.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<SummaryRun, RepoError> {
    rows::get_by_id::<summary_run::Entity, _>(db, "summary run", id).await
}

/// A report's runs, newest first.
pub async fn list_for_report<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    page: Page,
) -> Result<Paginated<SummaryRun>, RepoError> {
    let query = summary_run::Entity::find()
        .filter(Column::ReportId.eq(report_id))
        .order_by_desc(Column::Id);
    fetch_page(db, query, page).await
}

/// The oldest claimable run of each organization (`None`: of no
/// organization), oldest first, at most `limit`: candidates a process picks
/// from fairly, so that one organization's backlog does not stand in front
/// of every other organization's runs.
pub async fn claimable_per_org<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i32, Option<i32>)>, RepoError> {
    let rows: Vec<(Option<i32>, Option<i32>)> = summary_run::Entity::find()
        .select_only()
        .column_as(Column::Id.min(), "id")
        .column(Column::OrgId)
        .filter(leases::claimable::<summary_run::Entity>(now))
        .group_by(Column::OrgId)
        .order_by_asc(Column::Id.min())
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, org)| Some((id?, org)))
        .collect())
}

/// Takes the run for `owner` until `until` if it is claimable: one
/// conditional `UPDATE`, so of several processes exactly one wins. Returns
/// the claimed run.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<SummaryRun>, RepoError> {
    let claimed = leases::claim::<summary_run::Entity, _>(db, id, owner, now, until, |update| {
        update.col_expr(
            Column::Stage,
            Func::coalesce([Expr::col(Column::Stage), Expr::value(FIRST_STAGE)]).into(),
        )
    })
    .await?;
    if !claimed {
        return Ok(None);
    }
    find(db, id).await
}

/// Extends `owner`'s lease; `false` when the run is no longer running
/// under it (finished, cancelled, or taken over).
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, RepoError> {
    leases::renew::<summary_run::Entity, _>(db, id, owner, until).await
}

/// Adds finished LLM calls to the run's progress (and moves its stage) if
/// `owner` holds the run (and, with `while_running`, if it has not been
/// cancelled); `false` otherwise, and then nothing changed.
pub async fn add_progress<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    progress: Progress,
    while_running: bool,
) -> Result<bool, RepoError> {
    let mut update = with_progress(summary_run::Entity::update_many(), progress)
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
    if while_running {
        update = update.filter(Column::Status.eq(RunStatus::Running));
    }
    fenced(db, update, id, owner).await
}

/// `update` adding `progress` to the run's counters.
fn with_progress(
    mut update: UpdateMany<summary_run::Entity>,
    progress: Progress,
) -> UpdateMany<summary_run::Entity> {
    let add =
        |column: Column, n: i64| sea_orm::sea_query::SimpleExpr::from(Expr::col(column).add(n));
    // Reused summaries are articles done without a call.
    if progress.articles_done > 0 {
        update = update.col_expr(
            Column::ArticlesDone,
            add(Column::ArticlesDone, progress.articles_done.into()),
        );
    }
    if progress.calls > 0 {
        update = update
            .col_expr(
                Column::LlmCalls,
                add(Column::LlmCalls, progress.calls.into()),
            )
            .col_expr(
                Column::PromptTokens,
                add(Column::PromptTokens, progress.prompt_tokens),
            )
            .col_expr(
                Column::CompletionTokens,
                add(Column::CompletionTokens, progress.completion_tokens),
            );
    }
    if let Some(stage) = progress.stage {
        update = update.col_expr(Column::Stage, Expr::value(stage));
    }
    if let Some(total) = progress.articles_total {
        update = update.col_expr(Column::ArticlesTotal, Expr::value(total));
    }
    if let Some(categories) = progress.category_summaries {
        update = update.col_expr(Column::CategorySummaries, Expr::value(categories));
    }
    update
}

/// Ends a run `owner` is running, adding the last calls' `progress`;
/// `false` when it is not (cancelled or taken over meanwhile), and then
/// nothing changed.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i32,
    owner: &str,
    outcome: Outcome,
    progress: Progress,
) -> Result<bool, RepoError> {
    let update = with_progress(summary_run::Entity::update_many(), progress)
        .col_expr(Column::Error, Expr::value(outcome.error))
        .col_expr(Column::ErrorDetail, Expr::value(outcome.error_detail))
        .col_expr(Column::Failures, Expr::value(outcome.failures));
    let update = leases::ended(update, outcome.status);
    fenced(db, update, id, owner).await
}

/// Gives up `owner`'s lease. A run still running goes back to the queue for
/// any process to resume; a cancelled one just loses its owner.
pub async fn release<C: ConnectionTrait>(db: &C, id: i32, owner: &str) -> Result<(), RepoError> {
    leases::release::<summary_run::Entity, _>(db, id, owner).await
}

/// Applies `update` to the run if `owner` holds its lease; whether it did.
async fn fenced<C: ConnectionTrait>(
    db: &C,
    update: UpdateMany<summary_run::Entity>,
    id: i32,
    owner: &str,
) -> Result<bool, RepoError> {
    leases::fenced(db, update, id, owner).await
}

/// Cancels a queued or running run: it stops being the report's active
/// run at once; its owner, if any, finishes the calls in flight and lets
/// go. `false` when the run had already ended.
pub async fn cancel<C: ConnectionTrait>(db: &C, id: i32) -> Result<bool, RepoError> {
    leases::cancel::<summary_run::Entity, _>(db, id).await
}

/// Queued and running runs of an organization and of a requester, in one
/// statement: `(of the organization, of the requester)`. Without an
/// organization, the first is zero.
pub async fn active_counts<C: ConnectionTrait>(
    db: &C,
    org_id: Option<i32>,
    requested_by: i32,
) -> Result<(u64, u64), RepoError> {
    use sea_orm::sea_query::Alias;
    // Ids are positive: -1 matches no run.
    let org = org_id.unwrap_or(-1);
    let sum = |column: &str, value: i32| {
        Expr::cust(format!(
            "SUM(CASE WHEN {column} = {value} THEN 1 ELSE 0 END)"
        ))
        .cast_as(Alias::new(crate::usage::bigint(db)))
    };
    let row: Option<(Option<i64>, Option<i64>)> = summary_run::Entity::find()
        .select_only()
        .column_as(sum("org_id", org), "of_org")
        .column_as(sum("requested_by", requested_by), "of_user")
        .filter(Column::Status.is_in([RunStatus::Queued, RunStatus::Running]))
        .filter(
            Condition::any()
                .add(Column::OrgId.eq(org))
                .add(Column::RequestedBy.eq(requested_by)),
        )
        .into_tuple()
        .one(db)
        .await?;
    let (of_org, of_user) = row.unwrap_or_default();
    let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
    Ok((count(of_org), count(of_user)))
}
