//! String-backed enums: stored as short strings, so every backend reads them
//! the same way and new values need no `ALTER TYPE`.
//!
//! Each value has one spelling, its variant's name in snake case: the same
//! rule (`rename_all = "snake_case"`) makes the stored value, the JSON and the
//! OpenAPI enum, and `Display` writes the stored value, so that no message
//! spells a value by hand. The tests pin the stored spellings: renaming a
//! variant would leave the rows already written unreadable.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a user may do: see the access rules in the API contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Role))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    PlatformAdmin,
    OrgAdmin,
    Member,
}

/// Who sees a research stream.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Scope))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum StreamScope {
    Personal,
    Organization,
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
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Draft,
    AwaitingApproval,
    Approved,
    Rejected,
}

/// The kind of change a curation event records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum CurationEventType {
    ExcludeArticle,
    IncludeArticle,
    EditArticle,
    Reorder,
    Approve,
    Reject,
    Submit,
    Reopen,
    EditSummaries,
    /// A shared article the report holds was updated (its bibliographic
    /// fields, for every report that holds it).
    UpdateArticle,
    /// A curator added articles to a draft (from the pool, or by id).
    AddArticles,
    /// A curator let a summary sentence that a check flagged stand, with a
    /// reason (`notes`).
    AcknowledgeCheck,
}

/// The pipeline stage an LLM call belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum LlmStage {
    ArticleSummary,
    CategorySummary,
    ExecutiveSummary,
    /// A candidate scored against the stream's inclusion criteria.
    Screening,
}

/// How an LLM call ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum LlmOutcome {
    Ok,
    Error,
    Timeout,
    /// An attempt that failed (429, 5xx, a timeout, a broken answer, a lost
    /// connection) and was followed by another: its item's outcome is the
    /// last attempt's, and budgets count the item once.
    Retried,
    /// Not a call: a summary this exact request already produced, reused
    /// at no cost.
    Reused,
}

/// Where a summary run stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RunStatusOut))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    /// Whether the run has ended (and will not change any more).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// `Display` as the stored (and sent) spelling; `pad` keeps a caller's width
/// and alignment (`{role:<15}`).
macro_rules! displayed_as_stored {
    ($($enum:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&ActiveEnum::to_value(self))
            }
        }
    )+};
}

displayed_as_stored!(
    UserRole,
    StreamScope,
    ApprovalStatus,
    CurationEventType,
    LlmStage,
    LlmOutcome,
    RunStatus,
    CandidateStatus,
    CandidateSource,
    DeliveryChannel,
    RunTrigger,
);

/// Where a candidate stands in screening: `new` until a curator includes
/// or excludes it (with a reason from the stream's list).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    New,
    Included,
    Excluded,
}

/// How a candidate reached the stream's pool.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum CandidateSource {
    /// A file a curator imported (`POST /streams/{id}/imports`).
    Import,
    /// A retrieval run's PubMed search.
    Pubmed,
    /// A retrieval run's RSS, Atom or JSON feed.
    Feed,
}

/// How a delivery reaches its recipient.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    /// A mail to a subscriber.
    Email,
    /// A signed request to an organization's endpoint.
    Webhook,
}

/// What queued a retrieval run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// A curator (`POST /streams/{id}/retrievals`).
    Manual,
    /// The stream's schedule.
    Schedule,
    /// A file a curator imported: a run that ended as it began, kept so
    /// that the stream's history and funnel count its records.
    Import,
    /// LLM screening of the candidates an import added: a run that reads
    /// no source.
    Screening,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    /// Every value: stored, sent and displayed alike.
    fn spellings<E>() -> Vec<String>
    where
        E: ActiveEnum<Value = String> + Iterable + Serialize + std::fmt::Display,
    {
        E::iter()
            .map(|value| {
                let stored = value.to_value();
                assert_eq!(serde_json::to_value(&value).unwrap(), stored.as_str());
                assert_eq!(value.to_string(), stored);
                assert_eq!(
                    E::try_from_value(&stored).ok().map(|v| v.to_value()),
                    Some(stored.clone())
                );
                stored
            })
            .collect()
    }

    #[test]
    fn each_value_is_stored_sent_and_displayed_with_one_spelling_that_stays() {
        assert_eq!(
            spellings::<UserRole>(),
            ["platform_admin", "org_admin", "member"]
        );
        assert_eq!(
            spellings::<StreamScope>(),
            ["personal", "organization", "global"]
        );
        assert_eq!(
            spellings::<ApprovalStatus>(),
            ["draft", "awaiting_approval", "approved", "rejected"]
        );
        assert_eq!(
            spellings::<CurationEventType>(),
            [
                "exclude_article",
                "include_article",
                "edit_article",
                "reorder",
                "approve",
                "reject",
                "submit",
                "reopen",
                "edit_summaries",
                "update_article",
                "add_articles",
                "acknowledge_check"
            ]
        );
        assert_eq!(
            spellings::<LlmStage>(),
            [
                "article_summary",
                "category_summary",
                "executive_summary",
                "screening"
            ]
        );
        assert_eq!(
            spellings::<LlmOutcome>(),
            ["ok", "error", "timeout", "retried", "reused"]
        );
        assert_eq!(
            spellings::<RunStatus>(),
            ["queued", "running", "succeeded", "failed", "cancelled"]
        );
        assert_eq!(
            spellings::<CandidateStatus>(),
            ["new", "included", "excluded"]
        );
        assert_eq!(spellings::<CandidateSource>(), ["import", "pubmed", "feed"]);
        assert_eq!(
            spellings::<RunTrigger>(),
            ["manual", "schedule", "import", "screening"]
        );
        // Aligned as any string is (the demo logins' table).
        assert_eq!(format!("[{:<8}]", UserRole::Member), "[member  ]");
    }
}
