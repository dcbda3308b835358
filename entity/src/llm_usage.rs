use sea_orm::entity::prelude::*;

use crate::enums::{LlmOutcome, LlmStage};

/// One LLM call, successful or not: the usage ledger of an organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "llm_usage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: Option<i32>,
    pub report_id: Option<i32>,
    pub stage: LlmStage,
    pub provider: String,
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub latency_ms: i32,
    pub outcome: LlmOutcome,
    pub created_at: DateTimeUtc,
    /// The summary run that made the call.
    pub run_id: Option<i32>,
    /// What the call summarized: an article id or a category id.
    pub item: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
