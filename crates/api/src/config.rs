//! Typed configuration over Curio's layers (see [`curio_config`]): embedded
//! defaults < a second file (from `CURIO_CONFIG`) < `CURIO__SECTION__KEY`
//! environment variables < `DATABASE_URL`. Secrets are wrapped in
//! `SecretString` and never printed.

use serde::Deserialize;
use service::database::DatabaseSettings;
use service::{
    AuthSettings, DeliverySettings, JobSettings, LlmSettings, QuotaSettings, SourceSettings,
};

/// Everything Curio reads at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub llm: LlmSettings,
    pub jobs: JobSettings,
    pub quotas: QuotaSettings,
    pub sources: SourceSettings,
    pub delivery: DeliverySettings,
    pub log: LogSettings,
    pub app: AppSettings,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub json_limit_bytes: usize,
    pub bulk_json_limit_bytes: usize,
    pub shutdown_grace_secs: u64,
    pub cors_origins: Vec<String>,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    #[serde(default)]
    pub metrics_token: Option<secrecy::SecretString>,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is
    /// believed; from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// How long reading one request body may take, in seconds (408 after).
    pub body_read_timeout_secs: f64,
    /// Bodies larger than `json_limit_bytes` (bulk imports) read at once;
    /// more get 503 with `Retry-After`.
    pub max_concurrent_large_bodies: usize,
    /// Live event streams one user may hold open on one process (429 with
    /// `Retry-After` beyond).
    pub max_event_streams_per_user: usize,
    /// Seconds between an idle event stream's keep-alive comments; at each,
    /// the stream's token is checked again and the stream closes once it no
    /// longer holds (expired, revoked, user or organization deactivated).
    pub event_keep_alive_secs: f64,
    /// The URL clients reach curio at (`https://curio.example`, no path):
    /// feeds link to it. Unset, a feed links to the scheme and host its own
    /// request named.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl ServerSettings {
    /// [`Self::public_url`] without a trailing slash, if it is an http(s)
    /// URL without a path.
    pub fn public_base(&self) -> Result<Option<String>, String> {
        let Some(raw) = self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("`{raw}` is not an http(s) URL"));
        }
        if url.path() != "/" || url.query().is_some() {
            return Err(format!(
                "`{raw}` has a path or query; give scheme and host only"
            ));
        }
        Ok(Some(raw.trim_end_matches('/').to_owned()))
    }

    /// [`Self::trusted_proxies`] as networks; a bare address is a /32 or /128.
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("`{entry}` is not an IP address or CIDR range"))
            })
            .collect()
    }
}

impl std::fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("cors_origins", &self.cors_origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `api=debug,sqlx=warn`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    pub migrate_on_start: bool,
    /// Create the demo organization and users (printed passwords) on an
    /// empty database. Never while listening on a non-loopback address.
    pub demo: bool,
}

impl Settings {
    /// Loads the layers from the process environment.
    pub fn load() -> Result<Settings, curio_config::ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(&vars)
    }

    /// Loads the layers from the given environment (tests pass their own).
    pub fn load_from(vars: &[(String, String)]) -> Result<Settings, curio_config::ConfigError> {
        let settings: Settings = curio_config::layered(vars)?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), curio_config::ConfigError> {
        let bad = |key: &str, why: &str| {
            Err(curio_config::ConfigError::Message(format!(
                "invalid value for `{key}`: {why}"
            )))
        };
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.database.acquire_timeout_secs <= 0.0 {
            return bad("database.acquire_timeout_secs", "must be positive");
        }
        if let Err(e) = self.database.normalized_url() {
            return bad("database.url", &e.to_string());
        }
        if self.auth.token_lifetime_minutes < 1 {
            return bad("auth.token_lifetime_minutes", "must be at least 1");
        }
        if let Err(e) = self.server.trusted_proxy_nets() {
            return bad("server.trusted_proxies", &e);
        }
        if self.llm.global_concurrency == 0 {
            return bad("llm.global_concurrency", "must be at least 1");
        }
        Ok(())
    }

    /// What serving requires beyond valid settings: a JWT secret that may
    /// sign tokens (or none at all on the embedded default, where one is
    /// generated), and demo data only on a loopback address.
    pub fn check_serving(&self) -> Result<(), String> {
        if self.auth.jwt_secret.is_some() || !self.is_embedded_default() {
            self.auth.checked_secret()?;
        }
        if self.app.demo && !is_loopback(&self.server.host) {
            return Err(format!(
                "app.demo is refused while listening on {} (not a loopback address): demo accounts have published passwords",
                self.server.host
            ));
        }
        Ok(())
    }

    /// True on the embedded SQLite default, `sqlite://data/curio.db`, the
    /// one configuration that may start without a configured JWT secret.
    pub fn is_embedded_default(&self) -> bool {
        let default = service::database::DatabaseSettings::default();
        matches!(
            (self.database.normalized_url(), default.normalized_url()),
            (Ok(a), Ok(b)) if a == b
        )
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_sqlite_setup() {
        let s = Settings::load_from(&[]).unwrap();
        assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8080));
        assert_eq!(s.database.url.expose_secret(), "sqlite://data/curio.db");
        assert_eq!(
            (s.database.min_connections, s.database.max_connections),
            (5, 15)
        );
        assert_eq!(s.database.acquire_timeout_secs, 30.0);
        assert_eq!(s.database.max_lifetime_secs, 1800);
        assert!(s.database.test_before_acquire && !s.database.log_statements);
        assert!(s.is_embedded_default());
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // a synchronous test, no runtime
    fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("curio-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("override.toml");
        std::fs::write(
            &file,
            "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[database]\nlog_statements = true\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let from_file = Settings::load_from(&env(&[("CURIO_CONFIG", &path)])).unwrap();
        assert_eq!(
            (from_file.server.port, from_file.server.host.as_str()),
            (9000, "0.0.0.0")
        );
        assert!(from_file.database.log_statements);
        let both = Settings::load_from(&env(&[
            ("CURIO_CONFIG", &path),
            ("CURIO__SERVER__PORT", "9100"),
        ]))
        .unwrap();
        assert_eq!(
            (both.server.port, both.server.host.as_str()),
            (9100, "0.0.0.0")
        );
        let url =
            Settings::load_from(&env(&[("DATABASE_URL", "sqlite+aiosqlite:///./x.db")])).unwrap();
        assert_eq!(
            url.database.normalized_url().unwrap(),
            "sqlite://./x.db?mode=rwc"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn run_workers_follow_the_llm_cap_unless_a_number_is_given() {
        use service::WorkerCount;
        let shipped = Settings::load_from(&env(&[])).unwrap();
        assert_eq!(shipped.jobs.workers, WorkerCount::Auto);
        assert_eq!(
            shipped.jobs.workers.resolve(shipped.llm.global_concurrency),
            2 * shipped.llm.global_concurrency
        );
        let raised =
            Settings::load_from(&env(&[("CURIO__LLM__GLOBAL_CONCURRENCY", "1500")])).unwrap();
        assert_eq!(
            raised.jobs.workers.resolve(raised.llm.global_concurrency),
            3000
        );
        let huge =
            Settings::load_from(&env(&[("CURIO__LLM__GLOBAL_CONCURRENCY", "100000")])).unwrap();
        assert_eq!(
            huge.jobs.workers.resolve(huge.llm.global_concurrency),
            WorkerCount::MAX
        );
        for (value, count) in [("0", 0), ("12", 12), ("auto", 128)] {
            let s = Settings::load_from(&env(&[("CURIO__JOBS__WORKERS", value)])).unwrap();
            assert_eq!(s.jobs.workers.resolve(64), count, "{value}");
        }
        let err = Settings::load_from(&env(&[("CURIO__JOBS__WORKERS", "many")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("jobs.workers"), "{err}");
    }

    #[test]
    fn bad_values_give_an_error_naming_the_key() {
        let err = Settings::load_from(&env(&[("CURIO__SERVER__PORT", "eighty")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.port"), "{err}");
        let err = Settings::load_from(&env(&[("CURIO__DATABASE__MAX_CONNECTIONS", "0")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.max_connections"), "{err}");
        let err = Settings::load_from(&env(&[("DATABASE_URL", "oracle://x/y")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn no_secret_ships_and_only_the_embedded_default_may_start_without_one() {
        let embedded = Settings::load_from(&[]).unwrap();
        assert!(
            embedded.auth.jwt_secret.is_none(),
            "no secret in the shipped configuration"
        );
        assert!(
            embedded.check_serving().is_ok(),
            "one is generated on the embedded default"
        );
        for url in [
            "postgres://u@db/curio",
            "mysql://u@db/curio",
            "sqlite://elsewhere.db",
        ] {
            let s = Settings::load_from(&env(&[("DATABASE_URL", url)])).unwrap();
            let err = s.check_serving().unwrap_err();
            assert!(err.contains("auth.jwt_secret"), "{url}: {err}");
        }
    }

    #[test]
    fn short_and_published_secrets_are_refused_everywhere() {
        for secret in ["too-short", "curio-demo-secret-change-me-0123456789abcdef"] {
            for url in ["sqlite://data/curio.db", "postgres://u@db/curio"] {
                let s = Settings::load_from(&env(&[
                    ("DATABASE_URL", url),
                    ("CURIO__AUTH__JWT_SECRET", secret),
                ]))
                .unwrap();
                let err = s.check_serving().unwrap_err();
                assert!(err.contains("auth.jwt_secret"), "{url}: {err}");
            }
        }
        let ok = Settings::load_from(&env(&[
            ("DATABASE_URL", "postgres://u@db/curio"),
            (
                "CURIO__AUTH__JWT_SECRET",
                "a-real-secret-that-is-long-enough-1234",
            ),
        ]))
        .unwrap();
        assert!(ok.check_serving().is_ok());
        assert!(
            !format!("{ok:?}").contains("a-real-secret"),
            "secrets never in Debug"
        );
    }

    #[test]
    fn demo_data_is_off_by_default_and_refused_off_loopback() {
        let s = Settings::load_from(&[]).unwrap();
        assert!(!s.app.demo);
        let on = |host: &str| {
            Settings::load_from(&env(&[
                ("CURIO__APP__DEMO", "true"),
                ("CURIO__SERVER__HOST", host),
            ]))
            .unwrap()
            .check_serving()
        };
        assert!(on("127.0.0.1").is_ok());
        assert!(on("localhost").is_ok());
        assert!(on("::1").is_ok());
        let err = on("0.0.0.0").unwrap_err();
        assert!(err.contains("app.demo"), "{err}");
        assert!(on("10.1.2.3").is_err());
    }
}
