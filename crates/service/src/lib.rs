//! Curio's business rules, between the HTTP API and the repository.
//!
//! Who may do what ([`access`]), what happens and in which transaction
//! (one module per resource), how passwords and tokens work ([`auth`]), and
//! the LLM summary pipeline ([`summaries`]). Nothing here blocks a runtime
//! worker: password hashing runs on the blocking pool, and no database
//! connection is held across an LLM call.
//!
//! Another Rust program uses Curio through this crate alone: every type the
//! services take or return is named from here (`service::reports::Report`,
//! `service::enums::UserRole`, `service::chrono::NaiveDate`, …). Its cargo
//! features leave out what such a program does not need: `sqlite`, `mysql`
//! and `postgres` (the database drivers) and `openai` (the OpenAI-compatible
//! client and its HTTP/TLS stack), all on by default.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use service::chrono::NaiveDate;
//! use service::database::DatabaseSettings;
//! use service::login_throttle::ClientAddress;
//! use service::reports::{CreateReport, ReportArticleInput, ReportFilter};
//! use service::settings::ProviderKind;
//! use service::{Actor, AuthSettings, LlmSettings, Page, ServiceError, Services};
//!
//! let auth = AuthSettings {
//!     jwt_secret: Some(service::auth::generate_secret().into()),
//!     ..AuthSettings::default()
//! };
//! let llm = LlmSettings {
//!     provider: ProviderKind::Offline,
//!     ..LlmSettings::default()
//! };
//! let services = Services::connect(&DatabaseSettings::in_memory(), true, auth, llm).await?;
//! services.seed_demo_data().await?;
//!
//! // Act as a user, with that user's rights.
//! let (email, password, _) = service::demo::DEMO_USERS[1];
//! let login = services.auth.login(email, password, ClientAddress(None)).await?;
//! let curator = Actor::from(&login.user);
//!
//! // A new report of the stream of the curator's newest one, with its articles.
//! let reports = services.reports.list(&curator, ReportFilter::default(), Page::first()).await?;
//! let (newest, _) = reports.items.first().ok_or("no report")?;
//! let articles = services.reports.get(&curator, newest.id).await?.articles;
//! let report = services
//!     .reports
//!     .create(&curator, newest.stream_id, CreateReport {
//!         report_name: "Week 49".into(),
//!         report_date: NaiveDate::from_ymd_opt(2026, 12, 4).ok_or("date")?,
//!         articles: articles
//!             .iter()
//!             .map(|a| ReportArticleInput {
//!                 article_id: a.article.id,
//!                 ranking: None,
//!                 relevance_score: None,
//!                 presentation_categories: None,
//!             })
//!             .collect(),
//!         from_candidates: None,
//!     })
//!     .await?;
//!
//! // Summarized offline, billed and recorded like a request of the API.
//! let summary = services.summaries.summarize(&curator, report.id, false).await?;
//! assert_eq!(summary.article_summaries, articles.len());
//!
//! // The same rules as over HTTP: a reader does not see a draft (404).
//! let (email, password, _) = service::demo::DEMO_USERS[2];
//! let reader = Actor::from(&services.auth.login(email, password, ClientAddress(None)).await?.user);
//! assert!(matches!(
//!     services.curation.approve(&reader, report.id).await,
//!     Err(ServiceError::NotFound(_))
//! ));
//! services.close().await;
//! # Ok(())
//! # }
//! ```

pub mod access;
pub mod articles;
pub mod auth;
pub mod candidates;
pub mod cpu;
pub mod curation;
pub mod database;
pub mod deliveries;
pub mod demo;
pub mod error;
pub mod exports;
pub mod feeds;
pub mod follow;
mod lease_keeper;
pub mod limits;
pub mod login_throttle;
pub mod organizations;
pub mod passwords;
pub mod rate_limit;
mod report_guards;
pub mod reports;
pub mod retrievals;
pub mod schedules;
pub mod settings;
pub mod stream_config;
pub mod streams;
pub mod summaries;
pub mod summary_checks;
pub mod templates;
pub mod token_crypto;
pub mod users;
pub mod webhooks;

use database::DatabaseSettings;

pub use access::Actor;
/// The enumerations stored in the database (roles, scopes, approval).
pub use entity::enums;
pub use error::{ConflictKind, FieldError, ServiceError, StartupError};
pub use repository::{Page, Paginated, pagination};
pub use sea_orm::DatabaseConnection;
pub use settings::{
    AuthSettings, DeliverySettings, JobSettings, LlmSettings, PubmedSettings, QuotaSettings,
    SourceSettings, WorkerCount,
};
/// Re-exported so callers name the date and JSON types the services take
/// (report dates, stream configurations) in the versions they were built
/// with.
pub use {chrono, llm, serde_json};

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
    pub candidates: candidates::CandidateService,
    pub exports: exports::ExportService,
    pub deliveries: deliveries::DeliveryService,
    pub webhooks: webhooks::WebhookService,
    pub feeds: feeds::FeedService,
    pub retrievals: retrievals::RetrievalService,
    sources: SourceSettings,
    jobs: JobSettings,
}

impl Services {
    /// Builds the services over a pool.
    pub fn new(
        db: DatabaseConnection,
        auth: AuthSettings,
        llm: LlmSettings,
    ) -> Result<Self, StartupError> {
        let summaries = summaries::SummaryService::from_settings(db.clone(), llm.clone())?;
        let unsubscribe_key = auth.jwt_secret.as_ref().map(deliveries::unsubscribe_key);
        Ok(Self {
            auth: auth::AuthService::new(db.clone(), auth)?,
            streams: streams::StreamService::new(db.clone(), llm),
            users: users::UserService::new(db.clone()),
            organizations: organizations::OrganizationService::new(db.clone()),
            reports: reports::ReportService::new(db.clone()),
            articles: articles::ArticleService::new(db.clone()),
            curation: curation::CurationService::new(db.clone()),
            candidates: candidates::CandidateService::new(db.clone()),
            exports: exports::ExportService::new(db.clone()),
            deliveries: deliveries::DeliveryService::new(
                db.clone(),
                DeliverySettings::default(),
                "http://127.0.0.1:8080".into(),
                unsubscribe_key,
            )?,
            webhooks: webhooks::WebhookService::new(db.clone(), false),
            feeds: feeds::FeedService::new(db.clone()),
            retrievals: retrievals::RetrievalService::new(
                db.clone(),
                &SourceSettings::default(),
                JobSettings::default(),
                summaries.clone(),
            )?,
            summaries,
            sources: SourceSettings::default(),
            jobs: JobSettings::default(),
            db,
        })
    }

    /// The same services with other quotas for members.
    pub fn with_quotas(mut self, quotas: QuotaSettings) -> Self {
        self.reports = self.reports.with_quotas(quotas);
        self
    }

    /// The same services whose summary-run workers use a pool of their own
    /// (see [`summaries::SummaryService::with_run_pool`]).
    pub fn with_run_pool(mut self, db: DatabaseConnection) -> Self {
        self.summaries = self.summaries.with_run_pool(db);
        self.retrievals = self
            .retrievals_with(&self.sources, self.jobs.clone())
            .expect("the sources settings were accepted before");
        self
    }

    /// Retrieval runs under these settings, screening through the
    /// summaries as they are now.
    fn retrievals_with(
        &self,
        sources: &SourceSettings,
        jobs: JobSettings,
    ) -> Result<retrievals::RetrievalService, StartupError> {
        retrievals::RetrievalService::new(self.db.clone(), sources, jobs, self.summaries.clone())
    }

    /// The same services with other summary-run settings (workers, lease).
    pub fn with_jobs(mut self, jobs: JobSettings) -> Self {
        self.summaries = self.summaries.with_jobs(jobs.clone());
        self.retrievals = self
            .retrievals_with(&self.sources, jobs.clone())
            .expect("the sources settings were accepted before");
        self.jobs = jobs;
        self
    }

    /// The same services delivering as `delivery` says, with links to
    /// `base_url` (`https://curio.example`) and unsubscribe links signed
    /// with a key derived from `jwt_secret` (none: this process sends no
    /// mail).
    pub fn with_delivery(
        mut self,
        delivery: DeliverySettings,
        base_url: String,
        jwt_secret: Option<&secrecy::SecretString>,
    ) -> Result<Self, StartupError> {
        self.webhooks =
            webhooks::WebhookService::new(self.db.clone(), delivery.webhooks_allow_private);
        self.deliveries = deliveries::DeliveryService::new(
            self.db.clone(),
            delivery,
            base_url,
            jwt_secret.map(deliveries::unsubscribe_key),
        )?;
        Ok(self)
    }

    /// The same services reading sources as `sources` says.
    pub fn with_sources(mut self, sources: SourceSettings) -> Result<Self, StartupError> {
        self.retrievals = self.retrievals_with(&sources, self.jobs.clone())?;
        self.streams = self.streams.with_retrieval_rules(sources.retrieval_rules());
        self.sources = sources;
        Ok(self)
    }

    /// Opens the configured database, applies pending migrations when
    /// `migrate` is set, records every statement's latency, and builds the
    /// services over it.
    pub async fn connect(
        database: &DatabaseSettings,
        migrate: bool,
        auth: AuthSettings,
        llm: LlmSettings,
    ) -> Result<Self, StartupError> {
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

    /// Closes the pools once in-flight work is done with them.
    pub async fn close(&self) {
        self.db.clone().close().await.ok();
        self.summaries.close_run_pool().await;
    }
}
