//! Curio's business rules, between the HTTP API and the repository.
//!
//! Who may do what ([`access`]), what happens and in which transaction
//! (one module per resource), how passwords and tokens work ([`auth`]), and
//! the LLM summary pipeline ([`summaries`]). Nothing here blocks a runtime
//! worker: password hashing runs on the blocking pool, and no database
//! connection is held across an LLM call.

pub mod access;
pub mod articles;
pub mod auth;
pub mod cpu;
pub mod curation;
pub mod database;
pub mod demo;
pub mod error;
pub mod limits;
pub mod login_throttle;
pub mod organizations;
pub mod passwords;
pub mod rate_limit;
pub mod reports;
pub mod settings;
pub mod stream_config;
pub mod streams;
pub mod summaries;
pub mod token_crypto;
pub mod users;

use std::sync::Arc;

use database::DatabaseSettings;
use sea_orm::DatabaseConnection;

pub use access::Actor;
/// The enumerations stored in the database (roles, scopes, approval).
pub use entity::enums;
pub use error::{FieldError, ServiceError};
pub use repository::{Page, Paginated, pagination};
pub use settings::{AuthSettings, JobSettings, LlmSettings, QuotaSettings};

/// Every service, sharing one pool; cheap to clone. The pool itself stays
/// inside: callers go through the services, and so through their rules.
#[derive(Clone)]
pub struct Services {
    db: DatabaseConnection,
    pub auth: auth::AuthService,
    pub summaries: summaries::SummaryService,
    pub users: users::UserService,
    pub organizations: organizations::OrganizationService,
    pub streams: streams::StreamService,
    pub reports: reports::ReportService,
    pub articles: articles::ArticleService,
    pub curation: curation::CurationService,
}

impl Services {
    /// Builds the services over a pool.
    pub fn new(
        db: DatabaseConnection,
        auth: AuthSettings,
        llm: LlmSettings,
    ) -> Result<Self, ServiceError> {
        let provider = summaries::provider_from_settings(&llm)?;
        Ok(Self {
            auth: auth::AuthService::new(db.clone(), auth)?,
            streams: streams::StreamService::new(db.clone(), llm.clone()),
            summaries: summaries::SummaryService::new(db.clone(), Arc::from(provider), llm),
            users: users::UserService::new(db.clone()),
            organizations: organizations::OrganizationService::new(db.clone()),
            reports: reports::ReportService::new(db.clone()),
            articles: articles::ArticleService::new(db.clone()),
            curation: curation::CurationService::new(db.clone()),
            db,
        })
    }

    /// The same services with other quotas for members.
    pub fn with_quotas(mut self, quotas: QuotaSettings) -> Self {
        self.reports = self.reports.with_quotas(quotas);
        self
    }

    /// The same services with other summary-run settings (workers, lease).
    pub fn with_jobs(mut self, jobs: JobSettings) -> Self {
        self.summaries = self.summaries.with_jobs(jobs);
        self
    }

    /// Opens the configured database, applies pending migrations when
    /// `migrate` is set, records every statement's latency, and builds the
    /// services over it.
    pub async fn connect(
        database: &DatabaseSettings,
        migrate: bool,
        auth: AuthSettings,
        llm: LlmSettings,
    ) -> Result<Self, ServiceError> {
        let db = database::open(database, migrate).await?;
        Self::new(db, auth, llm)
    }

    /// Answers whether the database serves queries now.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        Ok(repository::database::ping(&self.db).await?)
    }

    /// The pool's connections, open and idle, now.
    pub fn pool_status(&self) -> database::PoolStatus {
        database::pool_status(&self.db)
    }

    /// Closes the pool once in-flight work is done with it.
    pub async fn close(&self) {
        self.db.clone().close().await.ok();
    }
}
