use std::collections::BTreeMap;

use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{LlmStage, RunStatus};

/// One summary run of a report: its progress, its cost so far, and the lease
/// of the process working on it. `active_report_id` is the report's id while
/// the run is queued or running and NULL after, so that a unique index keeps
/// one active run per report.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "summary_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub report_id: i32,
    pub org_id: Option<i32>,
    pub requested_by: Option<i32>,
    pub active_report_id: Option<i32>,
    pub status: RunStatus,
    pub force: bool,
    pub stage: Option<LlmStage>,
    pub articles_done: i32,
    pub articles_total: i32,
    pub llm_calls: i32,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// The calls and tokens reserved of the organization's monthly budget
    /// when the run was queued (its estimate); 0 without a budget.
    pub reserved_calls: i32,
    pub reserved_tokens: i64,
    pub error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_detail: Option<String>,
    /// The items that failed, when the run failed on LLM calls.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub failures: Option<RunFailures>,
    /// The category summaries made so far (a resumed run keeps them).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub category_summaries: Option<CategorySummaries>,
    pub attempt: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

/// An item of an LLM run that did not complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedItem {
    /// `article_summary`, `category_summary` or `executive_summary`.
    pub stage: String,
    /// The article id or category id, when the stage has items.
    pub item: Option<String>,
    pub error: String,
}

/// `failures`: the items of a failed run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(transparent)]
pub struct RunFailures(pub Vec<FailedItem>);

/// `category_summaries`: summaries by category id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(transparent)]
pub struct CategorySummaries(pub BTreeMap<String, String>);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report::Entity",
        from = "Column::ReportId",
        to = "super::report::Column::Id"
    )]
    Report,
}

impl Related<super::report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
