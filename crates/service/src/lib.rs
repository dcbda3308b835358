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
pub mod error;
pub mod limits;
pub mod login_throttle;
pub mod organizations;
pub mod passwords;
pub mod reports;
pub mod settings;
pub mod streams;
pub mod summaries;
pub mod users;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use access::Actor;
pub use error::{FieldError, ServiceError};
pub use settings::{AuthSettings, LlmSettings};

/// Every service, sharing one pool; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub auth: auth::AuthService,
    pub summaries: summaries::SummaryService,
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
            summaries: summaries::SummaryService::new(db.clone(), Arc::from(provider), llm),
            db,
        })
    }
}
