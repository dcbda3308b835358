//! String-backed enums: stored as short strings, so every backend reads them
//! the same way and new values need no `ALTER TYPE`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a user may do: see the access rules in the API contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Role))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    #[sea_orm(string_value = "platform_admin")]
    PlatformAdmin,
    #[sea_orm(string_value = "org_admin")]
    OrgAdmin,
    #[sea_orm(string_value = "member")]
    Member,
}

/// Who sees a research stream.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Scope))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum StreamScope {
    #[sea_orm(string_value = "personal")]
    Personal,
    #[sea_orm(string_value = "organization")]
    Organization,
    #[sea_orm(string_value = "global")]
    Global,
}

/// Where a report stands in its life cycle: curators edit a `draft`,
/// submit it (`awaiting_approval`), and it is `approved` (published to
/// members, immutable until reopened) or `rejected`; reopening takes it
/// back to `draft`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "awaiting_approval")]
    AwaitingApproval,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// The kind of change a curation event records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum CurationEventType {
    #[sea_orm(string_value = "exclude_article")]
    ExcludeArticle,
    #[sea_orm(string_value = "include_article")]
    IncludeArticle,
    #[sea_orm(string_value = "edit_article")]
    EditArticle,
    #[sea_orm(string_value = "reorder")]
    Reorder,
    #[sea_orm(string_value = "approve")]
    Approve,
    #[sea_orm(string_value = "reject")]
    Reject,
    #[sea_orm(string_value = "submit")]
    Submit,
    #[sea_orm(string_value = "reopen")]
    Reopen,
    #[sea_orm(string_value = "edit_summaries")]
    EditSummaries,
    /// A shared article the report holds was updated (its bibliographic
    /// fields, for every report that holds it).
    #[sea_orm(string_value = "update_article")]
    UpdateArticle,
}

/// The pipeline stage an LLM call belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum LlmStage {
    #[sea_orm(string_value = "article_summary")]
    ArticleSummary,
    #[sea_orm(string_value = "category_summary")]
    CategorySummary,
    #[sea_orm(string_value = "executive_summary")]
    ExecutiveSummary,
}

/// How an LLM call ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum LlmOutcome {
    #[sea_orm(string_value = "ok")]
    Ok,
    #[sea_orm(string_value = "error")]
    Error,
    #[sea_orm(string_value = "timeout")]
    Timeout,
    /// An attempt that failed (429, 5xx, a timeout, a broken answer, a lost
    /// connection) and was followed by another: its item's outcome is the
    /// last attempt's, and budgets count the item once.
    #[sea_orm(string_value = "retried")]
    Retried,
    /// Not a call: a summary this exact request already produced, reused
    /// at no cost.
    #[sea_orm(string_value = "reused")]
    Reused,
}

/// Where a summary run stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RunStatusOut))]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl RunStatus {
    /// Whether the run has ended (and will not change any more).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}
