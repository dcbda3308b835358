use sea_orm::entity::prelude::*;

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
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub failures: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub category_summaries: Option<Json>,
    pub attempt: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

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
