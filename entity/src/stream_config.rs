//! A research stream's configurations, as the typed values its JSON
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
    /// Exclusion reasons per stream, and their codes' and labels' lengths.
    pub const EXCLUSION_REASONS: usize = 50;
    pub const REASON_CODE_CHARS: usize = 64;
    pub const REASON_LABEL_CHARS: usize = 200;
    /// Sources per stream, characters of a PubMed query, and the days a
    /// retrieval looks back.
    pub const SOURCES: usize = 10;
    pub const QUERY_CHARS: usize = 4_000;
    pub const LOOKBACK_DAYS: i64 = 3_650;
    /// Characters of a stream's inclusion criteria for LLM screening.
    pub const CRITERIA_CHARS: usize = 4_000;
}

/// The bounds of the configurations' values.
pub type Categories = Items<Component<StreamCategory>, 0, { limits::CATEGORIES }>;
pub type CategoryId = Text<1, { limits::CATEGORY_ID_CHARS }, true>;
pub type CategoryName = Text<1, { limits::CATEGORY_NAME_CHARS }, true>;
pub type Topic = Text<0, { limits::TOPIC_CHARS }>;
pub type Topics = Items<Topic, 0, { limits::TOPICS }>;
/// A system prompt or a user prompt template.
pub type PromptText = Text<0, { limits::PROMPT_CHARS }>;
pub type ExclusionReasons = Items<Component<ExclusionReason>, 0, { limits::EXCLUSION_REASONS }>;
pub type ReasonCode = Text<1, { limits::REASON_CODE_CHARS }, true>;
pub type ReasonLabel = Text<1, { limits::REASON_LABEL_CHARS }, true>;
pub type Sources = Items<Component<Source>, 0, { limits::SOURCES }>;
pub type SourceQuery = Text<1, { limits::QUERY_CHARS }, true>;
pub type LookbackDays = crate::bounds::Range<1, { limits::LOOKBACK_DAYS }>;
pub type CronText = Text<1, 200, true>;
pub type FeedUrl = crate::bounds::WebLink<2048>;
pub type FeedFilePath = crate::bounds::RelativePath<255>;
pub type TimeZoneName = Text<1, 64, true>;
pub type Criteria = Text<1, { limits::CRITERIA_CHARS }, true>;

/// `presentation_config`: the categories a report's articles are filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresentationConfig {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = Categories::schema))]
    pub categories: Vec<StreamCategory>,
    /// When approved reports are mailed: the next such time after the
    /// approval; none, at once. Webhooks and feeds do not wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_at: Option<SendTime>,
}

/// A time of day in an IANA time zone: `07:30` in `Europe/Berlin` is half
/// past seven in Berlin, summer or winter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendTime {
    /// `HH:MM`, 24-hour.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
            min_length = 5,
            max_length = 5
        )
    )]
    pub time: String,
    /// Default `UTC`.
    #[serde(default = "utc")]
    #[cfg_attr(feature = "openapi", schema(schema_with = TimeZoneName::schema))]
    pub time_zone: String,
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
    /// Approval waits until no summary sentence carries a check's flag
    /// (`unknown_citation`, `uncited`, `unsupported_number`) that is
    /// neither fixed by an edit nor acknowledged by a curator with a
    /// reason. Default `false`: the flags are shown, not enforced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_checked_summaries: bool,
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
    /// LLM screening of candidates (`retrieval_config.screening`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<PromptOverride>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<StageLlm>,
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

/// `retrieval_config`: how articles reach the stream's candidate pool and
/// how curators screen them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Where a retrieval run looks for articles, in order.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = Sources::schema))]
    pub sources: Vec<Source>,
    /// When runs start by themselves; none: only by hand.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// How far back a run looks: from this many days before it was
    /// queued (or due) to that day (default 7).
    #[serde(default = "default_lookback_days")]
    #[cfg_attr(feature = "openapi", schema(schema_with = LookbackDays::schema))]
    pub lookback_days: u32,
    /// The reasons a curator may give for excluding a candidate; a decision
    /// names one by its `code`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = ExclusionReasons::schema))]
    pub exclusion_reasons: Vec<ExclusionReason>,
    /// LLM screening of new candidates; none: curators screen alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<Screening>,
}

/// LLM screening: each new candidate (retrieved or imported) is scored
/// against `criteria` from 0 (off topic) to 1 (squarely in scope) with a
/// short rationale; one scored under `threshold` is excluded with the
/// reason `llm_below_threshold`, and stays in the pool for a curator to
/// include after all. The calls are metered, budgeted and reused like
/// summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// What the stream takes in, as a reviewer's inclusion criteria.
    #[cfg_attr(feature = "openapi", schema(schema_with = Criteria::schema))]
    pub criteria: String,
    /// Relevance under which a candidate is screened out (default 0.5).
    #[serde(default = "default_threshold")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub threshold: f64,
}

fn default_threshold() -> f64 {
    0.5
}

fn default_lookback_days() -> u32 {
    7
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            schedule: None,
            lookback_days: default_lookback_days(),
            exclusion_reasons: Vec::new(),
            screening: None,
        }
    }
}

/// A cron expression (five fields, or six with seconds first) read in an
/// IANA time zone: `0 6 * * 1` in `Europe/Berlin` is Mondays at 06:00 in
/// Berlin, summer or winter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[cfg_attr(feature = "openapi", schema(schema_with = CronText::schema))]
    pub cron: String,
    /// Default `UTC`.
    #[serde(default = "utc")]
    #[cfg_attr(feature = "openapi", schema(schema_with = TimeZoneName::schema))]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// A place a retrieval run reads articles from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// A saved PubMed search (E-utilities `esearch` term syntax), over the
    /// run's date window.
    Pubmed {
        #[cfg_attr(feature = "openapi", schema(schema_with = SourceQuery::schema))]
        query: String,
        /// Which date the window bounds (default `entrez`: when PubMed
        /// received the record).
        #[serde(default)]
        date_field: PubmedDateField,
    },
    /// An RSS, Atom or JSON feed (an `http` or `https` URL): every entry it
    /// lists each run, the window aside.
    Feed {
        #[cfg_attr(feature = "openapi", schema(schema_with = FeedUrl::schema))]
        url: String,
    },
    /// An RSS, Atom or JSON feed stored as a file in the server's
    /// `sources.feed_files_dir` (a folder another system drops feeds in;
    /// the demo's bundled feed), read whole each run: `path` is relative to
    /// that folder. Refused where no folder is configured.
    FeedFile {
        #[cfg_attr(feature = "openapi", schema(schema_with = FeedFilePath::schema))]
        path: String,
    },
}

/// `entrez` (`edat`: when PubMed received the record, so that each run
/// finds what is new since the last) or `publication` (`pdat`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PubmedDateField {
    #[default]
    Entrez,
    Publication,
}

impl RetrievalConfig {
    /// Whether `code` is one of the stream's exclusion reasons.
    pub fn has_reason(&self, code: &str) -> bool {
        self.exclusion_reasons.iter().any(|r| r.code == code)
    }
}

/// A coded reason for excluding a candidate (`wrong_population`: "Wrong
/// population"), as systematic reviews report them; `code` is unique within
/// the stream and made of lowercase letters, digits and `_`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExclusionReason {
    #[cfg_attr(feature = "openapi", schema(schema_with = ReasonCode::schema))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = ReasonLabel::schema))]
    pub label: String,
}
