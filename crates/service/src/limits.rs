//! Hard limits on what one request may ask for, checked before any work
//! proportional to it (documented in the OpenAPI schema).

/// Characters per article field: the article columns' sizes.
pub use repository::articles::limits as article_columns;

/// Presentation categories per stream, and characters of a category's id
/// (its name is a name: [`NAME_CHARS`]).
pub const CATEGORIES_PER_STREAM: usize = 200;
pub const CATEGORY_ID_CHARS: usize = 100;
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
