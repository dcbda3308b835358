//! Black-box HTTP tests of curio, on SQLite, MariaDB and PostgreSQL.

mod abuse;
mod access;
mod bad_input;
mod candidates;
mod citations;
mod concurrency;
mod deliveries;
mod editorial;
mod endpoints;
mod exports;
mod faults;
mod feeds;
mod openapi;
mod retrievals;
mod screening;
mod search;
mod security;
mod summary_runs;
mod tokens;
mod webhooks;
