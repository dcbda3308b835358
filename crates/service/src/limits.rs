//! Hard limits on what one request may ask for, checked before any work
//! proportional to it (documented in the OpenAPI schema).

/// Characters per article field: the article columns' sizes.
pub use repository::articles::limits as article_columns;

/// Presentation categories per stream.
pub const CATEGORIES_PER_STREAM: usize = 200;
/// Topics per presentation category, and characters per topic.
pub const TOPICS_PER_CATEGORY: usize = 50;
pub const TOPIC_CHARS: usize = 200;
/// Categories one article of a report may be filed under.
pub const CATEGORIES_PER_ARTICLE: usize = 20;
/// Articles per report (the same bound as a bulk import).
pub const ARTICLES_PER_REPORT: usize = ARTICLES_PER_REQUEST;
/// Characters of one prompt text (system prompt or user prompt template).
pub const PROMPT_CHARS: usize = 20_000;
/// Characters of names: organizations, streams and people; reports.
pub const NAME_CHARS: usize = 200;
pub const REPORT_NAME_CHARS: usize = 255;
/// Characters of a stream's purpose.
pub const PURPOSE_CHARS: usize = 10_000;
/// Characters of curator notes and of a rejection reason.
pub const NOTES_CHARS: usize = 5_000;
/// Characters of an article summary a curator writes.
pub const SUMMARY_CHARS: usize = 20_000;
/// Email addresses (the `users.email` column).
pub const EMAIL_CHARS: usize = 320;
/// Passwords, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Articles per bulk import or update.
pub const ARTICLES_PER_REQUEST: usize = 10_000;
/// Bytes of one stored stream configuration (presentation, enrichment or
/// LLM), as JSON.
pub const CONFIG_BYTES: usize = 64 * 1024;

/// Whether `config` serializes to at most [`CONFIG_BYTES`].
pub fn config_fits(config: &serde_json::Value) -> bool {
    serde_json::to_vec(config).is_ok_and(|v| v.len() <= CONFIG_BYTES)
}

/// The magnitude numbers in a stored configuration stay within: every
/// backend stores them and reads them back unchanged (PostgreSQL's JSONB
/// keeps decimals exactly, which a huge or tiny float does not survive).
pub const CONFIG_NUMBER_MAGNITUDE: f64 = 1e15;

/// Whether every number in `config` is zero or has a magnitude between
/// `1 / CONFIG_NUMBER_MAGNITUDE` and [`CONFIG_NUMBER_MAGNITUDE`].
pub fn config_numbers_fit(config: &serde_json::Value) -> bool {
    use serde_json::Value;
    match config {
        Value::Number(n) => n.as_f64().is_some_and(|x| {
            x == 0.0 || (1.0 / CONFIG_NUMBER_MAGNITUDE..=CONFIG_NUMBER_MAGNITUDE).contains(&x.abs())
        }),
        Value::Array(items) => items.iter().all(config_numbers_fit),
        Value::Object(map) => map.values().all(config_numbers_fit),
        _ => true,
    }
}

/// The dates a request may carry: what every backend stores.
pub use repository::dates::{EARLIEST as EARLIEST_DATE, LATEST as LATEST_DATE};

/// "must be between 1000-01-01 and 9999-12-31" for `field`, when `date` is
/// outside what every backend stores.
pub fn unstorable_date(field: &str, date: chrono::NaiveDate) -> Option<crate::FieldError> {
    (!repository::dates::storable(date)).then(|| {
        crate::FieldError::new(
            field,
            format!("must be between {EARLIEST_DATE} and {LATEST_DATE}"),
        )
    })
}

/// Whether `text` has 1 to `max` characters, not all of them whitespace.
pub fn is_name(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max
}

/// "must be at most `max` characters" for `field`, when `text` is longer.
pub fn too_long(field: &str, text: &str, max: usize) -> Option<crate::FieldError> {
    (text.chars().count() > max)
        .then(|| crate::FieldError::new(field, format!("must be at most {max} characters")))
}
