//! What handlers share.

use service::Services;

/// Application state behind `web::Data`.
pub struct AppState {
    pub services: Services,
    /// The Prometheus registry's renderer for `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<secrecy::SecretString>,
}
