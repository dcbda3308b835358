//! The service layer's error type: one variant per outcome the API maps to a
//! status code.

use repository::{Constraint, RepoError};
use serde::Serialize;

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub use entity::summary_run::FailedItem;

/// Which rule a conflicting request meets: what a client branches on (the
/// problem document's `conflict` member), while `detail` says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConflictKind {
    /// Another row holds this unique value (email, organization name, DOI,
    /// PMID).
    Duplicate,
    /// The report's approval status does not allow the action (an approved
    /// report cannot change; only a draft can be submitted, …).
    ReportStatus,
    /// The report has no visible article to act on.
    NoVisibleArticles,
    /// The change asked for is already in place (an article already
    /// excluded or included).
    AlreadyDone,
    /// The request was built on a state that has changed since (a ranking
    /// that does not list the report's visible articles): reload.
    Stale,
    /// The stream is inactive.
    StreamInactive,
    /// The stream has no sources to retrieve from.
    NoSources,
    /// The stream does not screen its candidates with the LLM.
    NoScreening,
    /// A summary run of the report is in progress.
    RunInProgress,
    /// The summary run has already ended, or was cancelled.
    RunEnded,
    /// A summary run ended on one of the other conflicts (or was given up
    /// after repeated interruptions); `detail` says which.
    RunFailed,
    /// The stream's prompt template does not render.
    TemplateInvalid,
    /// The change would leave no active platform admin.
    LastPlatformAdmin,
    /// Other rows still refer to the resource (an organization with users).
    InUse,
    /// The caller holds as many of these as one may (feed tokens of a
    /// stream): revoke one first.
    LimitReached,
    /// The stream requires checked summaries and a flagged sentence is
    /// neither fixed nor acknowledged; `detail` names them.
    UncheckedSummaries,
}

impl ConflictKind {
    /// A conflict of this kind, with its explanation.
    pub fn because(self, detail: impl Into<String>) -> ServiceError {
        ServiceError::Conflict {
            kind: self,
            detail: detail.into(),
        }
    }
}

/// What can go wrong in a service call.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Absent, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Visible, but the caller's role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state: `kind` names the rule.
    #[error("{detail}")]
    Conflict { kind: ConflictKind, detail: String },
    /// The organization's monthly LLM budget would be exceeded (says which
    /// limit and when it resets); `retry_after` is the time to the reset.
    #[error("{detail}")]
    BudgetExceeded {
        detail: String,
        retry_after: std::time::Duration,
    },
    /// Too many requests of one kind from one caller; retry after the wait.
    #[error("{detail}")]
    RateLimited {
        detail: String,
        retry_after: std::time::Duration,
    },
    /// An `If-Match` version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Input rejected, field by field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Credentials or token rejected.
    #[error("{0}")]
    Unauthorized(String),
    /// The LLM provider failed for some items after retries.
    #[error("LLM provider failed for {} item(s)", failed.len())]
    LlmFailed {
        failed: Vec<FailedItem>,
        timeout: bool,
        /// The summary run that failed (none for a preview): the id its
        /// log lines carry.
        run_id: Option<i32>,
    },
    /// The database is unreachable or the pool is exhausted.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected database error.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why the services could not be built: at start-up, never in answer to a
/// request.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting that the service refuses to run with (names the key).
    #[error("{0}")]
    Config(String),
    /// The database could not be opened.
    #[error(transparent)]
    Connect(RepoError),
    /// Pending migrations could not be applied.
    #[error("applying migrations failed")]
    Migration(#[source] RepoError),
    /// The LLM provider's HTTP client could not be built.
    #[error("building the LLM provider's HTTP client failed")]
    LlmClient(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    /// A validation error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, message)])
    }

    /// An internal error from any error value.
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        ServiceError::Internal(Box::new(err))
    }
}

impl From<RepoError> for ServiceError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound { entity, .. } => ServiceError::NotFound(entity),
            RepoError::Duplicate(Constraint::UserEmail) => {
                ConflictKind::Duplicate.because("a user with this email already exists")
            }
            RepoError::Duplicate(Constraint::OrganizationName) => {
                ConflictKind::Duplicate.because("an organization with this name already exists")
            }
            RepoError::Duplicate(Constraint::ArticleDoi) => {
                ConflictKind::Duplicate.because("another article has this DOI")
            }
            RepoError::Duplicate(Constraint::ArticlePmid) => {
                ConflictKind::Duplicate.because("another article has this PMID")
            }
            RepoError::Duplicate(Constraint::Other(_)) => {
                ConflictKind::Duplicate.because("the resource already exists")
            }
            RepoError::Unavailable(_) => ServiceError::Unavailable(Box::new(err)),
            other => ServiceError::Internal(Box::new(other)),
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(err: sea_orm::DbErr) -> Self {
        RepoError::from(err).into()
    }
}

impl<E: Into<ServiceError> + std::error::Error> From<sea_orm::TransactionError<E>>
    for ServiceError
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}
