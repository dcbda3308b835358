//! Curio's HTTP API: actix-web routes over the service layer, RFC 7807
//! errors, OpenAPI and Swagger UI, request ids, Prometheus metrics.

pub mod config;
pub mod dto;
pub mod error;
mod event_stream;
pub mod extractors;
pub mod json_body;
pub mod json_guard;
pub mod observability;
pub mod openapi;
pub mod preconditions;
pub mod request_id;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod state;

pub use startup::Application;
