//! Hard limits on what one request may ask for, checked before any work
//! proportional to it, and the bounds that state them: each bound (see
//! [`entity::bounds`]) is checked by the validators with [`check`] and
//! named by the request field it bounds, whose OpenAPI schema it writes.

use entity::bounds::{Component, Email, Items, Range, Text, WebLink};
pub use entity::stream_config::{
    Categories, CategoryId, CategoryName, Criteria, CronText, ExclusionReasons, FeedFilePath,
    FeedUrl, LookbackDays, PromptText, ReasonCode, ReasonLabel, SourceQuery, Sources, TimeZoneName,
    Topic, Topics,
};

use crate::FieldError;

#[cfg(feature = "openapi")]
pub use entity::bounds::NO_NUL;

/// Characters per article field: the article columns' sizes.
pub use repository::articles::limits as article_columns;

/// Presentation categories per stream, characters of a category's id and
/// name, topics per category and characters per topic, characters of a
/// prompt text: bounds of the stream configurations' typed values.
pub use entity::stream_config::limits::{
    CATEGORIES as CATEGORIES_PER_STREAM, CATEGORY_ID_CHARS, PROMPT_CHARS, TOPIC_CHARS,
    TOPICS as TOPICS_PER_CATEGORY,
};
/// Categories one article of a report may be filed under.
pub const CATEGORIES_PER_ARTICLE: usize = 20;
/// Articles per report (the same bound as a bulk import).
pub const ARTICLES_PER_REPORT: usize = ARTICLES_PER_REQUEST;
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
/// Bytes of one imported file, and records in it.
pub const IMPORT_BYTES: usize = 16 * 1024 * 1024;
pub const IMPORT_RECORDS: usize = ARTICLES_PER_REQUEST;
/// Reports in a stream's feed (the latest approved).
pub const FEED_ENTRIES: u64 = 20;
/// Feed tokens one user may hold for one stream.
pub const FEED_TOKENS_PER_STREAM: u64 = 10;
/// Candidates in one export of a pool (`offset` pages on).
pub const EXPORT_CANDIDATES: usize = 10_000;
/// Characters of a search query.
pub const QUERY_CHARS: usize = 500;
/// Decisions on candidates per request.
pub const DECISIONS_PER_REQUEST: usize = 1_000;
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

/// `refusal` (a bound's verdict on a value) as the error of `field`.
pub fn check(field: impl Into<String>, refusal: Option<String>) -> Option<FieldError> {
    refusal.map(|message| FieldError::new(field, message))
}

/// Names: of organizations and streams.
pub type Name = Text<1, NAME_CHARS, true>;
/// A person's name, which may be empty.
pub type PersonName = Text<0, NAME_CHARS>;
pub type ReportName = Text<1, REPORT_NAME_CHARS, true>;
pub type Purpose = Text<1, PURPOSE_CHARS, true>;
/// Curator notes.
pub type Notes = Text<0, NOTES_CHARS>;
/// Why a curator rejects a report: something must be said.
pub type Reason = Text<1, NOTES_CHARS, true>;
/// A summary a curator writes.
pub type SummaryText = Text<0, SUMMARY_CHARS>;
/// A new password.
pub type Password = Text<PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS>;
/// A password as typed at sign-in: only its length is bounded (a wrong one
/// is a failed sign-in, not a validation error).
pub type PasswordAttempt = Text<0, PASSWORD_MAX_CHARS>;
/// An email address as typed at sign-in, bounded the same way.
pub type EmailAttempt = Text<0, EMAIL_CHARS>;
/// A user's email address.
pub type EmailAddress = Email<EMAIL_CHARS>;

pub type ArticleTitle = Text<1, { article_columns::TITLE }, true>;
pub type ArticleAbstract = Text<0, { article_columns::ABSTRACT }>;
pub type Journal = Text<0, { article_columns::JOURNAL }>;
pub type Doi = Text<0, { article_columns::DOI }>;
pub type Pmid = Text<0, { article_columns::PMID }>;
pub type AuthorName = Text<0, { article_columns::AUTHOR }>;
pub type Authors = Items<AuthorName, 0, { article_columns::AUTHORS }>;
/// An article's link.
pub type ArticleUrl = WebLink<{ article_columns::URL }>;
/// The publication years Curio accepts.
pub type PubYear = Range<1500, 2200>;

/// A database id: a positive `i32` (a larger one is refused, not wrapped).
pub type Id = Range<1, { i32::MAX as i64 }>;
/// A position in a report's ranking.
pub type Ranking = Range<1, { i32::MAX as i64 }>;
/// Articles per bulk import or update: at least one.
pub type BulkArticles<T> = Items<Component<T>, 1, ARTICLES_PER_REQUEST>;
/// A full-text search query.
pub type SearchQuery = Text<1, QUERY_CHARS, true>;
/// Articles or candidates added to a draft in one request: at least one.
pub type AddedIds = Items<i32, 1, DECISIONS_PER_REQUEST>;
/// Decisions on candidates in one request: at least one.
pub type Decisions<T> = Items<Component<T>, 1, DECISIONS_PER_REQUEST>;
/// The articles a new report starts with.
pub type ReportArticles<T> = Items<Component<T>, 0, ARTICLES_PER_REPORT>;
/// A report's ranking: each of its article ids once.
pub type RankedIds = Items<i32, 0, ARTICLES_PER_REPORT, true>;
/// The categories one article of a report is filed under.
pub type ArticleCategories = Items<String, 0, CATEGORIES_PER_ARTICLE>;

/// A date every backend stores; [`unstorable_date`] checks it.
pub struct StorableDate;

#[cfg(feature = "openapi")]
impl StorableDate {
    fn describe(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(entity::bounds::schema_type(Type::String, nullable))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some(format!(
                "A date from {EARLIEST_DATE} to {LATEST_DATE} (what every backend stores)."
            )))
            // `YYYY-MM-DD` with a year of four digits, 1000 to 9999.
            .pattern(Some(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"))
            .into()
    }

    pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        Self::describe(false)
    }

    pub fn nullable() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        Self::describe(true)
    }
}
