//! What handlers share.

use service::Services;

/// Application state behind `web::Data`.
pub struct AppState {
    pub services: Services,
    /// The Prometheus registry's renderer for `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// JSON body limits: in general, and for the bulk article routes.
    pub json_limit: usize,
    pub bulk_json_limit: usize,
    /// How long one body may take to arrive.
    pub body_read_timeout: std::time::Duration,
    /// Permits to read a body larger than `json_limit`.
    pub large_bodies: std::sync::Arc<tokio::sync::Semaphore>,
}
