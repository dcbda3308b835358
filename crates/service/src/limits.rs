//! Hard limits on what one request may ask for, checked before any work
//! proportional to it (documented in the OpenAPI schema).

/// Presentation categories per stream.
pub const CATEGORIES_PER_STREAM: usize = 200;
/// Topics per presentation category, and characters per topic.
pub const TOPICS_PER_CATEGORY: usize = 50;
pub const TOPIC_CHARS: usize = 200;
/// Categories one article of a report may be filed under.
pub const CATEGORIES_PER_ARTICLE: usize = 20;
/// Articles per report (the same bound as a bulk import).
pub const ARTICLES_PER_REPORT: usize = crate::articles::MAX_BULK;
/// Bytes of one prompt text (system prompt or user prompt template).
pub const PROMPT_BYTES: usize = 20_000;
/// Bytes of one stored stream configuration (presentation, enrichment or
/// LLM), as JSON.
pub const CONFIG_BYTES: usize = 64 * 1024;

/// Whether `config` serializes to at most [`CONFIG_BYTES`].
pub fn config_fits(config: &serde_json::Value) -> bool {
    serde_json::to_vec(config).is_ok_and(|v| v.len() <= CONFIG_BYTES)
}
