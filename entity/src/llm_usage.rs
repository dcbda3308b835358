use sea_orm::entity::prelude::*;

use crate::enums::{LlmOutcome, LlmStage};

/// One request sent to the LLM provider, successful or not, or one summary
/// reused instead of a request: the usage ledger of an organization.
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
    /// Which request of its item this was, from 1: a retried item has a
    /// row per attempt, all but the last with the outcome `retried`.
    pub attempt: i32,
    /// The HTTP status the provider answered, when it answered.
    pub http_status: Option<i32>,
    /// The model the provider says it served (`model` is the one asked for).
    pub served_model: Option<String>,
    /// The provider's id for the request: the completion's `id`, or the
    /// `x-request-id` of a refusal.
    pub response_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
