//! Route handlers, one module per resource. Handlers stay thin: extract,
//! call one service, map the result.

pub mod articles;
pub mod auth;
pub mod candidates;
pub mod deliveries;
pub mod exports;
pub mod feeds;
pub mod ops;
pub mod organizations;
pub mod reports;
pub mod retrievals;
pub mod streams;
pub mod summary_runs;
pub mod users;
pub mod webhooks;
