//! Schema migrations of Curio.
//!
//! Usable as a library (`Migrator::up(&db, None)` at start-up) and as a CLI
//! (`cargo run -p migration -- up|down|fresh|status`). Migrations describe
//! tables with their own identifiers and never import the `entity` crate, so
//! a later change to an entity cannot rewrite history.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20260101_000001_accounts;
mod m20260101_000002_streams_and_articles;
mod m20260101_000003_reports;
mod m20260101_000004_llm_usage;
mod m20261127_000005_token_versions;
mod m20261127_000006_login_throttles;
mod m20261127_000007_summary_runs;
mod m20261128_000008_report_life_cycle;
mod m20261128_000009_summary_cache;
mod m20261128_000010_org_budgets;
mod m20261201_000011_run_reservations;
mod m20261201_000012_identifier_collation;
mod m20261202_000013_usage_attempts;
mod m20261203_000014_typed_stream_configs;
mod m20261203_000015_candidate_pool;
mod m20261203_000016_article_search;
mod m20261204_000017_retrieval_runs;
mod m20261204_000018_screening;
mod m20261204_000019_candidate_versions;
mod m20261205_000020_feed_tokens;
mod m20261205_000021_deliveries;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_accounts::Migration),
            Box::new(m20260101_000002_streams_and_articles::Migration),
            Box::new(m20260101_000003_reports::Migration),
            Box::new(m20260101_000004_llm_usage::Migration),
            Box::new(m20261127_000005_token_versions::Migration),
            Box::new(m20261127_000006_login_throttles::Migration),
            Box::new(m20261127_000007_summary_runs::Migration),
            Box::new(m20261128_000008_report_life_cycle::Migration),
            Box::new(m20261128_000009_summary_cache::Migration),
            Box::new(m20261128_000010_org_budgets::Migration),
            Box::new(m20261201_000011_run_reservations::Migration),
            Box::new(m20261201_000012_identifier_collation::Migration),
            Box::new(m20261202_000013_usage_attempts::Migration),
            Box::new(m20261203_000014_typed_stream_configs::Migration),
            Box::new(m20261203_000015_candidate_pool::Migration),
            Box::new(m20261203_000016_article_search::Migration),
            Box::new(m20261204_000017_retrieval_runs::Migration),
            Box::new(m20261204_000018_screening::Migration),
            Box::new(m20261204_000019_candidate_versions::Migration),
            Box::new(m20261205_000020_feed_tokens::Migration),
            Box::new(m20261205_000021_deliveries::Migration),
        ]
    }
}
