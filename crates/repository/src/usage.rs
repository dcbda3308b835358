//! The LLM usage ledger.

use chrono::Utc;
use entity::enums::{LlmOutcome, LlmStage};
use entity::llm_usage;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{RepoError, chunk};

/// One request to the provider (or one reuse) to record.
#[derive(Debug, Clone)]
pub struct NewUsage {
    pub org_id: Option<i32>,
    pub report_id: Option<i32>,
    pub stage: LlmStage,
    pub provider: String,
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub latency_ms: i32,
    pub outcome: LlmOutcome,
    /// The summary run that made the call.
    pub run_id: Option<i32>,
    /// What the call summarized: an article id or a category id.
    pub item: Option<String>,
    /// Which request of its item this was, from 1.
    pub attempt: i32,
    /// The HTTP status the provider answered, when it answered.
    pub http_status: Option<i32>,
    /// The model the provider says it served.
    pub served_model: Option<String>,
    /// The provider's id for the request.
    pub response_id: Option<String>,
}

/// An item's outcome, counted once whatever its attempts: what budgets and
/// `calls` count (reuses are not calls, retried attempts are their item's).
const CALLS: &str = "SUM(CASE WHEN outcome IN ('reused', 'retried') THEN 0 ELSE 1 END)";

/// The items a run has summarized successfully (or reused) in `stage`, by
/// any of its attempts: what a resumed run must not pay for again.
pub async fn items_done<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    stage: LlmStage,
) -> Result<Vec<String>, RepoError> {
    Ok(llm_usage::Entity::find()
        .select_only()
        .column(llm_usage::Column::Item)
        .filter(llm_usage::Column::RunId.eq(run_id))
        .filter(llm_usage::Column::Stage.eq(stage))
        .filter(llm_usage::Column::Outcome.is_in([LlmOutcome::Ok, LlmOutcome::Reused]))
        .filter(llm_usage::Column::Item.is_not_null())
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// The ledger rows of a summary run, one per request it sent or summary it
/// reused, oldest first.
pub async fn of_run<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    page: crate::Page,
) -> Result<crate::Paginated<llm_usage::Model>, RepoError> {
    let query = llm_usage::Entity::find()
        .filter(llm_usage::Column::RunId.eq(run_id))
        .order_by_asc(llm_usage::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

/// What an organization spent since a moment: calls made (reuses are not
/// calls) and tokens, prompt and completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spent {
    pub calls: i64,
    pub tokens: i64,
}

impl Spent {
    /// A row of `SUM(calls), SUM(tokens)` (NULL sums over no rows are 0).
    pub(crate) fn from_sums(row: Option<(Option<i64>, Option<i64>)>) -> Self {
        let (calls, tokens) = row.unwrap_or_default();
        Spent {
            calls: calls.unwrap_or(0),
            tokens: tokens.unwrap_or(0),
        }
    }
}

/// What `org_id` spent since `since`, in one statement.
pub async fn spent_since<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    since: chrono::DateTime<Utc>,
) -> Result<Spent, RepoError> {
    let row: Option<(Option<i64>, Option<i64>)> = llm_usage::Entity::find()
        .select_only()
        .column_as(Expr::cust(CALLS).cast_as(Alias::new(bigint(db))), "calls")
        .column_as(
            Expr::cust("SUM(prompt_tokens + completion_tokens)").cast_as(Alias::new(bigint(db))),
            "tokens",
        )
        .filter(llm_usage::Column::OrgId.eq(org_id))
        .filter(llm_usage::Column::CreatedAt.gte(since))
        .into_tuple()
        .one(db)
        .await?;
    Ok(Spent::from_sums(row))
}

/// What `org_id` has spent since `since` plus what its queued and running
/// summary runs have reserved and not spent yet: what a new run's estimate
/// must fit beside. Read under [`crate::organizations::lock`], so that
/// concurrent admissions see each other's reservations.
pub async fn committed_since<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    since: chrono::DateTime<Utc>,
) -> Result<Spent, RepoError> {
    let spent = spent_since(db, org_id, since).await?;
    let reserved = unspent_reservations(db, org_id).await?;
    Ok(Spent {
        calls: spent.calls.saturating_add(reserved.calls),
        tokens: spent.tokens.saturating_add(reserved.tokens),
    })
}

/// What the organization's active runs have reserved and not spent yet
/// (see [`committed_since`]). Read from the runs' reservations: the
/// ledger holds what was spent, the runs what they may still spend.
pub async fn unspent_reservations<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
) -> Result<Spent, RepoError> {
    use sea_orm::sea_query::Alias;
    let bigint = Alias::new(bigint(db));
    let row: Option<(Option<i64>, Option<i64>)> = entity::summary_run::Entity::find()
        .select_only()
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN reserved_calls > llm_calls THEN reserved_calls - llm_calls ELSE 0 END)",
            )
            .cast_as(bigint.clone()),
            "calls",
        )
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN reserved_tokens > prompt_tokens + completion_tokens THEN reserved_tokens - prompt_tokens - completion_tokens ELSE 0 END)",
            )
            .cast_as(bigint),
            "tokens",
        )
        .filter(entity::summary_run::Column::OrgId.eq(org_id))
        .filter(entity::summary_run::Column::ActiveReportId.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(Spent::from_sums(row))
}

/// Calls and tokens of one model on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sea_orm::FromQueryResult)]
pub struct UsageSummary {
    pub day: String,
    pub model: String,
    /// Calls made (reuses are not calls; a retried call is one call).
    pub calls: i64,
    /// Requests sent to the provider, retries included: what a gateway's
    /// or provider's log counts.
    pub attempts: i64,
    pub failed_calls: i64,
    /// Summaries reused instead of called for, at no cost.
    pub reused: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// Records calls in multi-row chunks.
pub async fn record_many<C: ConnectionTrait>(db: &C, rows: Vec<NewUsage>) -> Result<(), RepoError> {
    let now = Utc::now();
    for part in rows.chunks(chunk::insert_rows(17)) {
        llm_usage::Entity::insert_many(part.iter().map(|u| llm_usage::ActiveModel {
            org_id: Set(u.org_id),
            report_id: Set(u.report_id),
            stage: Set(u.stage),
            provider: Set(u.provider.clone()),
            model: Set(u.model.clone()),
            prompt_tokens: Set(u.prompt_tokens),
            completion_tokens: Set(u.completion_tokens),
            latency_ms: Set(u.latency_ms),
            outcome: Set(u.outcome),
            created_at: Set(now),
            run_id: Set(u.run_id),
            item: Set(u.item.clone()),
            attempt: Set(u.attempt),
            http_status: Set(u.http_status),
            served_model: Set(u.served_model.clone()),
            response_id: Set(u.response_id.clone()),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// An organization's calls and tokens per model and UTC day, newest day
/// first: one `GROUP BY` statement.
pub async fn summary_for_org<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
) -> Result<Vec<UsageSummary>, RepoError> {
    // Each backend spells "the UTC date of a timestamp" differently; SQLite
    // stores RFC 3339 text whose first ten characters are the date.
    let day = match db.get_database_backend() {
        DbBackend::MySql => "DATE_FORMAT(created_at, '%Y-%m-%d')",
        DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => "substr(created_at, 1, 10)",
    };
    let attempts = "SUM(CASE WHEN outcome = 'reused' THEN 0 ELSE 1 END)";
    let failed = "SUM(CASE WHEN outcome IN ('error', 'timeout') THEN 1 ELSE 0 END)";
    let reused = "SUM(CASE WHEN outcome = 'reused' THEN 1 ELSE 0 END)";
    Ok(llm_usage::Entity::find()
        .select_only()
        .column_as(Expr::cust(day), "day")
        .column(llm_usage::Column::Model)
        .column_as(Expr::cust(CALLS).cast_as(Alias::new(bigint(db))), "calls")
        .column_as(
            Expr::cust(attempts).cast_as(Alias::new(bigint(db))),
            "attempts",
        )
        .column_as(
            Expr::cust(failed).cast_as(Alias::new(bigint(db))),
            "failed_calls",
        )
        .column_as(Expr::cust(reused).cast_as(Alias::new(bigint(db))), "reused")
        .column_as(
            Expr::cust("SUM(prompt_tokens)").cast_as(Alias::new(bigint(db))),
            "prompt_tokens",
        )
        .column_as(
            Expr::cust("SUM(completion_tokens)").cast_as(Alias::new(bigint(db))),
            "completion_tokens",
        )
        .filter(llm_usage::Column::OrgId.eq(org_id))
        .group_by(Expr::cust(day))
        .group_by(llm_usage::Column::Model)
        .order_by(Expr::cust(day), Order::Desc)
        .order_by(llm_usage::Column::Model, Order::Asc)
        .into_model::<UsageSummary>()
        .all(db)
        .await?)
}

/// The type name that makes SUM come back as a 64-bit integer.
pub(crate) fn bigint<C: ConnectionTrait>(db: &C) -> &'static str {
    match db.get_database_backend() {
        DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    }
}
