//! Curio's data-access layer.
//!
//! Every function takes `db: &C where C: ConnectionTrait`, so the same call
//! runs on the pool or inside a transaction opened by the caller. Lists are
//! loaded with separate batched queries (never one query per row), `IN (…)`
//! lists and multi-row writes are chunked below every backend's bind-parameter
//! limit, and visibility rules are SQL filters.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), repository::RepoError> {
//! use repository::{articles, database};
//!
//! let db = database::connect(&database::DatabaseSettings::in_memory()).await?;
//! database::migrate(&db).await?;
//! let ids = articles::upsert_many(&db, vec![articles::NewArticle {
//!     title: "CRISPR screens in organoids".into(),
//!     doi: Some("10.1000/demo.1".into()),
//!     ..Default::default()
//! }])
//! .await?;
//! assert_eq!(ids.len(), 1);
//! # Ok(())
//! # }
//! ```

#[cfg(not(any(feature = "sqlite", feature = "mysql", feature = "postgres")))]
compile_error!("build repository with at least one database driver: sqlite, mysql or postgres");

pub mod articles;
pub mod associations;
pub mod candidates;
pub mod chunk;
pub mod curation_events;
pub mod database;
pub mod dates;
pub mod deliveries;
pub mod error;
pub mod feed_tokens;
pub mod leases;
pub mod login_throttles;
pub mod organizations;
pub mod pagination;
pub mod reports;
pub mod retrieval_runs;
mod rows;
pub mod search;
pub mod streams;
pub mod summary_cache;
pub mod summary_runs;
pub mod usage;
pub mod users;
pub mod visibility;
pub mod webhooks;

pub use error::{Constraint, RepoError};
pub use pagination::{Page, Paginated};
pub use visibility::Viewer;

/// Re-exported so callers name one SeaORM version.
pub use sea_orm;
