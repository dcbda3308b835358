//! SeaORM entities of Curio.
//!
//! Entities are plain data: columns, relations and the string-backed enums
//! stored in them. Behaviour lives in the `repository` and `service` crates.
//! Every timestamp is UTC; JSON columns hold configuration and enrichments so
//! one schema serves SQLite, MySQL/MariaDB and PostgreSQL.

pub mod article;
pub mod bounds;
pub mod candidate;
pub mod curation_event;
pub mod delivery;
pub mod enrichments;
pub mod enums;
pub mod feed_token;
pub mod llm_usage;
pub mod login_throttle;
pub mod org_stream_subscription;
pub mod organization;
pub mod report;
pub mod report_article_association;
pub mod research_stream;
pub mod retrieval_run;
pub mod retrieval_schedule;
pub mod stream_config;
pub mod stream_subscription;
pub mod string_list;
pub mod summary_cache;
pub mod summary_run;
pub mod user;
pub mod webhook;

pub mod prelude {
    pub use super::article::Entity as Article;
    pub use super::candidate::Entity as Candidate;
    pub use super::curation_event::Entity as CurationEvent;
    pub use super::llm_usage::Entity as LlmUsage;
    pub use super::login_throttle::Entity as LoginThrottle;
    pub use super::org_stream_subscription::Entity as OrgStreamSubscription;
    pub use super::organization::Entity as Organization;
    pub use super::report::Entity as Report;
    pub use super::report_article_association::Entity as ReportArticleAssociation;
    pub use super::research_stream::Entity as ResearchStream;
    pub use super::retrieval_run::Entity as RetrievalRun;
    pub use super::summary_cache::Entity as SummaryCache;
    pub use super::summary_run::Entity as SummaryRun;
    pub use super::user::Entity as User;
}
