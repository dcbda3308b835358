//! A research stream's three configurations, as the typed values its JSON
//! columns hold. One shape serves the column, the API's bodies and their
//! OpenAPI schema; what a stream may hold beyond its shape (bounds, known
//! models, template placeholders) the service checks on these values.
//!
//! Unknown fields are refused: a client that misspells `categories` hears
//! so instead of losing its categories.

use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

/// `presentation_config`: the categories a report's articles are filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresentationConfig {
    #[serde(default)]
    pub categories: Vec<StreamCategory>,
}

/// A category of a stream's presentation; `id` is what reports file
/// articles under, unique within the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StreamCategory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub topics: Vec<String>,
}

/// `enrichment_config`: the stream's own prompts, by prompt type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrichmentConfig {
    #[serde(default)]
    pub prompts: Prompts,
}

/// The stream's own prompts of each prompt type (named fields rather than
/// a map, so that the schema lists the types a client may name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_summary: Option<PromptOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_summary: Option<PromptOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executive_summary: Option<PromptOverride>,
}

/// One prompt type's own prompts; an unset one is the service's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PromptOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_prompt_template: Option<String>,
}

/// `llm_config`: the stream's LLM settings of each prompt type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_summary: Option<StageLlm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_summary: Option<StageLlm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executive_summary: Option<StageLlm>,
}

/// One prompt type's LLM settings; unset ones come from the service's
/// settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageLlm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u32>,
}
