//! A research stream's three configurations, as the typed values its JSON
//! columns hold. One shape serves the column, the API's bodies and their
//! OpenAPI schema; what a stream may hold beyond its shape (bounds, known
//! models, template placeholders) the service checks on these values.
//!
//! Unknown fields are refused: a client that misspells `categories` hears
//! so instead of losing its categories.

use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

use crate::bounds::{Component, Items, Text};

/// What a stream's configuration may hold, by count and length.
pub mod limits {
    /// Presentation categories per stream.
    pub const CATEGORIES: usize = 200;
    pub const CATEGORY_ID_CHARS: usize = 100;
    pub const CATEGORY_NAME_CHARS: usize = 200;
    /// Topics per category, and characters per topic.
    pub const TOPICS: usize = 50;
    pub const TOPIC_CHARS: usize = 200;
    /// Characters of one prompt text (system prompt or user prompt
    /// template).
    pub const PROMPT_CHARS: usize = 20_000;
}

/// The bounds of the configurations' values.
pub type Categories = Items<Component<StreamCategory>, 0, { limits::CATEGORIES }>;
pub type CategoryId = Text<1, { limits::CATEGORY_ID_CHARS }, true>;
pub type CategoryName = Text<1, { limits::CATEGORY_NAME_CHARS }, true>;
pub type Topic = Text<0, { limits::TOPIC_CHARS }>;
pub type Topics = Items<Topic, 0, { limits::TOPICS }>;
/// A system prompt or a user prompt template.
pub type PromptText = Text<0, { limits::PROMPT_CHARS }>;

/// `presentation_config`: the categories a report's articles are filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresentationConfig {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = Categories::schema))]
    pub categories: Vec<StreamCategory>,
}

/// A category of a stream's presentation; `id` is what reports file
/// articles under, unique within the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StreamCategory {
    #[cfg_attr(feature = "openapi", schema(schema_with = CategoryId::schema))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = CategoryName::schema))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = Topics::schema))]
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
    #[cfg_attr(feature = "openapi", schema(schema_with = PromptText::nullable))]
    pub system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = PromptText::nullable))]
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
    /// 0 to 2 (the service checks the same range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2))]
    pub temperature: Option<f32>,
    /// At most the operator's `llm.max_tokens_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4294967295u32))]
    pub max_tokens: Option<u32>,
    /// At most the operator's `llm.max_concurrent_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4294967295u32))]
    pub max_concurrent: Option<u32>,
}
