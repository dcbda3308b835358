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
    /// Live event streams open per user.
    pub event_streams: std::sync::Arc<OpenStreams>,
    /// How often an idle event stream sends a comment and checks that its
    /// token still holds.
    pub event_keep_alive: std::time::Duration,
    /// `server.public_url` without its trailing slash.
    pub public_base: Option<String>,
}

/// Event streams open in this process, per user, under a cap: each is
/// counted while its [`StreamSlot`] is held (the response body holds it, so
/// a client that goes away frees it).
pub struct OpenStreams {
    per_user: std::sync::Mutex<std::collections::HashMap<i32, usize>>,
    cap: usize,
}

/// One open event stream of a user.
pub struct StreamSlot {
    streams: std::sync::Arc<OpenStreams>,
    user: i32,
}

impl OpenStreams {
    pub fn new(cap: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            per_user: Default::default(),
            cap: cap.max(1),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i32, usize>> {
        self.per_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for one more stream of `user`, unless the user has `cap` open.
    pub fn open(self: &std::sync::Arc<Self>, user: i32) -> Option<StreamSlot> {
        let mut counts = self.counts();
        let open = counts.entry(user).or_default();
        if *open >= self.cap {
            return None;
        }
        *open += 1;
        Some(StreamSlot {
            streams: self.clone(),
            user,
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self.streams.counts();
        if let Some(open) = counts.get_mut(&self.user) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.user);
            }
        }
    }
}
