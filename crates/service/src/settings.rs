//! Settings of the service layer (part of the application's layered config).
//! Each section's `Default` is its part of `config/default.toml` (so no
//! container `#[serde(default)]`, which would call it while reading it).

use secrecy::SecretString;
use serde::Deserialize;

/// The `[llm]` section belongs to the LLM adapters; named here as well, with
/// the service's other settings.
pub use llm::{LlmSettings, ProviderKind};

/// The secret that configurations of earlier versions shipped in public:
/// refused everywhere, so a token signed with it is never accepted.
const PUBLISHED_DEMO_SECRET: &str = "curio-demo-secret-change-me-0123456789abcdef";

/// The shortest HS256 secret accepted: 256 bits, the hash's own size.
pub const MIN_SECRET_BYTES: usize = 32;

/// Token signing and lifetime.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The HS256 key. Nothing ships: the operator sets it (or, on the
    /// embedded SQLite default only, one is generated at first start).
    pub jwt_secret: Option<SecretString>,
    pub token_lifetime_minutes: i64,
    /// Sliding refresh stops this long after the sign-in; then the user
    /// signs in again.
    pub max_session_hours: i64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Failed sign-ins of one account before each further one makes the
    /// account wait (1 s, doubling per failure).
    pub max_failed_logins: u32,
    /// The longest wait between attempts on one account, in seconds.
    pub max_login_delay_secs: u64,
    /// Failed sign-ins from one client address (IPv6: one /64) before it
    /// waits out the window: far higher than the per-account limit, since
    /// many users may share an address.
    pub max_failed_logins_per_address: u32,
    /// How long failures are remembered after the last one, in seconds.
    pub failed_login_window_secs: u64,
}

/// The `[auth]` section of `config/default.toml`.
impl Default for AuthSettings {
    fn default() -> Self {
        curio_config::defaults("auth")
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("token_lifetime_minutes", &self.token_lifetime_minutes)
            .field("max_session_hours", &self.max_session_hours)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl AuthSettings {
    /// The configured secret, if it is one that may sign tokens: at least
    /// [`MIN_SECRET_BYTES`] bytes and not a published one. The error names
    /// the key.
    pub fn checked_secret(&self) -> Result<&SecretString, String> {
        use secrecy::ExposeSecret;
        let Some(secret) = &self.jwt_secret else {
            return Err("auth.jwt_secret is not set: set CURIO__AUTH__JWT_SECRET to at least 32 random bytes (e.g. `openssl rand -hex 32`)".into());
        };
        let text = secret.expose_secret();
        if text == PUBLISHED_DEMO_SECRET {
            return Err("auth.jwt_secret is a published demo secret: set CURIO__AUTH__JWT_SECRET to a random one (e.g. `openssl rand -hex 32`)".into());
        }
        if text.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "auth.jwt_secret is {} bytes long: it must be at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)",
                text.len()
            ));
        }
        if guessable(text) {
            return Err("auth.jwt_secret repeats too few characters to be random (it could be guessed): set CURIO__AUTH__JWT_SECRET to random bytes (e.g. `openssl rand -hex 32`)".into());
        }
        Ok(secret)
    }
}

/// Distinct characters a secret has at least: `openssl rand -hex 32` has
/// all 16 hex digits with near certainty, a base64 secret far more; a
/// repeated character or a short pattern (`aaaa…`, `abcabc…`) has few.
const MIN_DISTINCT_SECRET_CHARS: usize = 10;

/// Whether `secret` is too regular to be random: fewer distinct characters
/// than [`MIN_DISTINCT_SECRET_CHARS`], or (at most 16 distinct ones) under
/// 128 bits by the count of characters × bits per character.
fn guessable(secret: &str) -> bool {
    let distinct: std::collections::HashSet<char> = secret.chars().collect();
    let bits = secret.chars().count() as f64 * (distinct.len() as f64).log2();
    distinct.len() < MIN_DISTINCT_SECRET_CHARS || bits < 128.0
}

/// Summary runs as durable jobs: how many this process works on at once and
/// how long its claim on one lasts without a heartbeat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Runs this process works on at once. A run mostly waits for the LLM,
    /// so this is far above the core count. `auto` (the default) derives it
    /// from `llm.global_concurrency`, so that the LLM cap, not this one,
    /// binds first. Zero makes an API-only process: its runs are worked on
    /// by others (`curio worker`).
    pub workers: WorkerCount,
    /// How long a claim on a run lasts; renewed every third of it. When a
    /// process dies, another resumes its runs this long after the last
    /// renewal. Clocks of the processes must agree to well within it.
    pub lease_secs: u64,
    /// How often a process looks for runs to take (queued ones no process
    /// started, expired leases) and for progress of runs elsewhere.
    pub poll_ms: u64,
    /// How long finished LLM calls of a stage may wait to be stored together.
    /// A stage's calls mostly finish close together, so one write per stage
    /// is the common case; a slow stage is still stored (and its progress
    /// shown) this often. A process that dies loses at most this much paid
    /// work, never a finished stage. Zero stores every call as it finishes.
    pub flush_ms: u64,
    /// Queued and running runs one organization may have at once, over all
    /// processes (429 with `Retry-After` beyond): one organization cannot
    /// fill every worker.
    pub max_active_runs_per_org: u64,
    /// The same for the runs one user asked for.
    pub max_active_runs_per_user: u64,
}

/// `jobs.workers`: a number, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkerCount {
    /// Twice `llm.global_concurrency` (at most [`WorkerCount::MAX`]): a run
    /// holds at most one call in its executive stage and none between
    /// stages, so with this many runs the process keeps every call the LLM
    /// cap allows in flight.
    #[default]
    Auto,
    Fixed(usize),
}

impl WorkerCount {
    /// More runs at once than any process is given.
    pub const MAX: usize = 4096;

    /// The number of workers of a process whose LLM cap is `llm_concurrency`.
    pub fn resolve(self, llm_concurrency: usize) -> usize {
        match self {
            WorkerCount::Auto => llm_concurrency.max(1).saturating_mul(2),
            WorkerCount::Fixed(n) => n,
        }
        .min(Self::MAX)
    }
}

impl<'de> Deserialize<'de> for WorkerCount {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = WorkerCount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of workers or \"auto\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<WorkerCount, E> {
                usize::try_from(n)
                    .map(WorkerCount::Fixed)
                    .map_err(|_| E::custom("too many workers"))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<WorkerCount, E> {
                u64::try_from(n)
                    .map_err(|_| E::custom("workers cannot be negative"))
                    .and_then(|n| self.visit_u64(n))
            }
            // An environment variable arrives as text.
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<WorkerCount, E> {
                match text.trim() {
                    "auto" => Ok(WorkerCount::Auto),
                    n => n
                        .parse()
                        .map(WorkerCount::Fixed)
                        .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(text), &self)),
                }
            }
        }
        de.deserialize_any(Visitor)
    }
}

/// The `[jobs]` section of `config/default.toml`.
impl Default for JobSettings {
    fn default() -> Self {
        curio_config::defaults("jobs")
    }
}

/// The `[sources]` section: where retrieval runs read articles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// Whether outbound requests may reach loopback, private and
    /// link-local addresses (an on-premises mirror; the tests' fixtures).
    pub allow_private: bool,
    pub request_timeout_secs: f64,
    pub max_response_bytes: usize,
    /// Retrieval runs this process works on at once (0: none).
    pub workers: usize,
    /// How often a stream's retrieval schedule may be due at most.
    pub min_schedule_interval_secs: u64,
    /// The folder `feed_file` sources are read from; empty: none is, and
    /// streams may not name one.
    pub feed_files_dir: String,
    pub pubmed: PubmedSettings,
}

impl SourceSettings {
    /// The folder `feed_file` sources are read from, if one is configured.
    pub fn feed_files(&self) -> Option<std::path::PathBuf> {
        let dir = self.feed_files_dir.trim();
        (!dir.is_empty()).then(|| std::path::PathBuf::from(dir))
    }

    /// What a stream's `retrieval_config` may say under these settings.
    pub fn retrieval_rules(&self) -> crate::stream_config::RetrievalRules {
        crate::stream_config::RetrievalRules {
            min_schedule_secs: self.min_schedule_interval_secs,
            feed_files: self.feed_files().is_some(),
        }
    }
}

/// `[sources.pubmed]`: NCBI's E-utilities.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubmedSettings {
    pub base_url: String,
    /// NCBI's API key: 10 requests per second instead of 3.
    #[serde(default)]
    pub api_key: Option<SecretString>,
    pub page_size: u32,
    pub max_attempts: u32,
    /// The first wait after a failure without `Retry-After`, doubled after
    /// each further one.
    pub backoff_ms: u64,
}

impl Default for SourceSettings {
    fn default() -> Self {
        curio_config::defaults("sources")
    }
}

/// `[delivery]`: where approved reports' mail goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// The relay; unset, messages are `.eml` files in `outbox_dir`.
    #[serde(default)]
    pub smtp_url: Option<SecretString>,
    pub from: String,
    pub outbox_dir: String,
    /// Messages this process sends at once (0: none).
    pub workers: usize,
    pub max_attempts: u32,
    /// The wait after a deferral, doubled after each further one.
    pub retry_base_secs: f64,
    pub smtp_timeout_secs: f64,
    /// How long a claim on a delivery lasts: a process that dies while
    /// sending leaves its messages to others this long after it took them.
    pub lease_secs: u64,
    /// Whether webhook endpoints may be loopback, private or link-local
    /// addresses (an on-premises receiver; the tests').
    pub webhooks_allow_private: bool,
    /// How long an endpoint may take to answer.
    pub webhook_timeout_secs: f64,
    /// How long a webhook event is retried before it fails.
    pub webhook_retry_hours: f64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        curio_config::defaults("delivery")
    }
}

/// What members (not administrators) may create: bounds on the rows one
/// member can make the database write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettings {
    /// Articles in one report a member creates (422 beyond).
    pub member_articles_per_report: usize,
    /// Reports one member creates in 24 hours (429 with `Retry-After`
    /// beyond).
    pub member_reports_per_day: u64,
}

/// The `[quotas]` section of `config/default.toml`.
impl Default for QuotaSettings {
    fn default() -> Self {
        curio_config::defaults("quotas")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &str) -> AuthSettings {
        AuthSettings {
            jwt_secret: Some(secret.to_owned().into()),
            ..AuthSettings::default()
        }
    }

    #[test]
    fn defaults_are_the_embedded_file_and_ship_no_secret() {
        let auth = AuthSettings::default();
        assert!(auth.jwt_secret.is_none());
        assert_eq!(auth.token_lifetime_minutes, 60);
        assert_eq!(JobSettings::default().max_active_runs_per_user, 32);
        assert_eq!(QuotaSettings::default().member_reports_per_day, 100);
    }

    #[test]
    fn regular_secrets_are_refused_and_random_ones_accepted() {
        for weak in [
            "a".repeat(32),
            "ab".repeat(32),
            "0123456".repeat(8),
            "passwordpasswordpasswordpassword".into(),
        ] {
            let refused = with_secret(&weak).checked_secret().err();
            assert!(refused.is_some_and(|e| e.contains("random")), "{weak}");
        }
        for strong in [
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "integration-test-secret-0123456789abcdef",
            "q3Zr8Kx0mB1vTn7YwLp2Hs5Ud9Gf4Jc6",
        ] {
            assert!(with_secret(strong).checked_secret().is_ok(), "{strong}");
        }
    }
}
