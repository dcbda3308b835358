//! Black-box HTTP tests of curio, on SQLite, MariaDB and PostgreSQL.

mod abuse;
mod access;
mod bad_input;
mod candidates;
mod concurrency;
mod editorial;
mod endpoints;
mod faults;
mod openapi;
mod retrievals;
mod screening;
mod search;
mod security;
mod summary_runs;
mod tokens;
