//! Connecting to the database: URL normalization, pool settings, migration.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
#[cfg(feature = "sqlite")]
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::RepoError;

/// Database settings. The defaults mirror the pool of the service Curio
/// replaces (`pool_size=5, max_overflow=10, pool_timeout=30,
/// pool_recycle=1800, pool_pre_ping=True`): 5 connections kept warm, 15 at
/// most, so one process never takes more than a fair share of the server's
/// `max_connections` when several processes run behind a load balancer.
// No container `#[serde(default)]`: `Default` reads the embedded file
// through this very impl. Curio's layers always hold every key.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://…`, `mysql://…`, `postgres://…`, or a legacy SQLAlchemy form.
    pub url: SecretString,
    pub min_connections: u32,
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before it fails.
    pub acquire_timeout_secs: f64,
    /// How long opening a new connection may take.
    pub connect_timeout_secs: f64,
    /// Connections are recycled after this many seconds (server-side idle
    /// timeouts and failovers leave stale sockets otherwise).
    pub max_lifetime_secs: u64,
    pub idle_timeout_secs: u64,
    /// Ping a connection before handing it out (SQLAlchemy's `pool_pre_ping`).
    pub test_before_acquire: bool,
    /// With `test_before_acquire`, ping only connections idle at least this
    /// long: those are the ones a server, proxy or firewall may have dropped,
    /// while a hot connection would pay a round trip per statement for
    /// nothing. 0 pings on every acquire.
    pub pre_ping_after_idle_secs: f64,
    /// Log every SQL statement (SQLAlchemy's `echo=True`).
    pub log_statements: bool,
}

/// The `[database]` section of `config/default.toml`.
impl Default for DatabaseSettings {
    fn default() -> Self {
        curio_config::defaults("database")
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redacted(self.url.expose_secret()))
            .field("min_connections", &self.min_connections)
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("max_lifetime_secs", &self.max_lifetime_secs)
            .field("test_before_acquire", &self.test_before_acquire)
            .field("log_statements", &self.log_statements)
            .finish_non_exhaustive()
    }
}

impl DatabaseSettings {
    /// A private in-memory SQLite database on one connection (examples, tests).
    pub fn in_memory() -> Self {
        Self {
            url: SecretString::from("sqlite::memory:"),
            min_connections: 1,
            max_connections: 1,
            ..Self::default()
        }
    }

    /// Settings for `url` with the default pool.
    pub fn with_url(url: impl Into<String>) -> Self {
        Self {
            url: SecretString::from(url.into()),
            ..Self::default()
        }
    }

    /// The normalized URL (see [`normalize_url`]).
    pub fn normalized_url(&self) -> Result<String, RepoError> {
        normalize_url(self.url.expose_secret())
    }

    /// The file of a file-backed SQLite database (`None` for servers and
    /// in-memory SQLite).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let url = self.normalized_url().ok()?;
        sqlite_file(&url).map(std::path::PathBuf::from)
    }

    /// Whether this is in-memory SQLite: a database that lives and dies with
    /// its one connection.
    pub fn is_in_memory(&self) -> bool {
        self.normalized_url()
            .is_ok_and(|url| url == "sqlite::memory:" || url.contains("mode=memory"))
    }

    /// Where the database is, without credentials: for log lines and errors.
    pub fn display_target(&self) -> String {
        redacted(self.url.expose_secret())
    }
}

/// Accepts sqlx URLs and the SQLAlchemy forms of the service Curio replaces
/// (see [`curio_config::database_url::normalize`]).
pub fn normalize_url(raw: &str) -> Result<String, RepoError> {
    curio_config::database_url::normalize(raw).map_err(RepoError::Config)
}

pub use curio_config::database_url::redacted;

/// Creates the SQLite file `path`, readable and writable by its owner only,
/// unless it exists. SQLite gives its `-wal` and `-shm` files the mode of
/// the database file, so the whole database stays private (it holds
/// password hashes).
fn create_private(path: &std::path::Path) -> Result<(), RepoError> {
    use std::os::unix::fs::OpenOptionsExt;
    // Start-up only, before the server accepts requests.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(RepoError::Config(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Opens the pool described by `settings`. Fails with a message that names
/// the database (never the password) when it does not answer.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, RepoError> {
    let url = settings.normalized_url()?;
    let is_sqlite_file = sqlite_file(&url).is_some();
    if let Some(path) = sqlite_file(&url).map(std::path::Path::new) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Start-up only, before the server accepts requests.
            std::fs::create_dir_all(parent).map_err(|e| {
                RepoError::Config(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        if url.contains("mode=rwc") {
            create_private(path)?;
        }
    }
    probe_server(&url, settings).await?;
    // Closing an in-memory database's connection would drop its data.
    let recycled = !settings.is_in_memory();
    let mut options = ConnectOptions::new(url);
    options
        .min_connections(settings.min_connections.min(settings.max_connections))
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs_f64(settings.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs_f64(settings.connect_timeout_secs))
        .max_lifetime(recycled.then(|| Duration::from_secs(settings.max_lifetime_secs)))
        .idle_timeout(recycled.then(|| Duration::from_secs(settings.idle_timeout_secs)))
        .test_before_acquire(settings.test_before_acquire)
        .sqlx_logging(settings.log_statements);
    #[cfg(feature = "sqlite")]
    if is_sqlite_file {
        let busy_timeout = Duration::from_secs_f64(settings.acquire_timeout_secs);
        options.map_sqlx_sqlite_opts(move |o| sqlite_file_options(o, busy_timeout));
    }
    if settings.test_before_acquire && settings.pre_ping_after_idle_secs > 0.0 {
        options.test_before_acquire_if_idle_for(Duration::from_secs_f64(
            settings.pre_ping_after_idle_secs,
        ));
    }
    Database::connect(options).await.map_err(|e| {
        RepoError::Config(curio_config::database_url::connect_error(
            settings.url.expose_secret(),
            &e,
        ))
    })
}

/// Checks that a database server accepts TCP connections, so that a dead
/// server is reported at once with its cause instead of after the pool's
/// acquire timeout of retries.
async fn probe_server(url: &str, settings: &DatabaseSettings) -> Result<(), RepoError> {
    let Some((host, port)) = curio_config::database_url::server_address(url) else {
        return Ok(());
    };
    let timeout = Duration::from_secs_f64(settings.connect_timeout_secs);
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(RepoError::Config(format!(
            "cannot connect to {}: {e}",
            settings.display_target()
        ))),
        Err(_) => Err(RepoError::Config(format!(
            "cannot connect to {}: no answer within {:.0} s",
            settings.display_target(),
            timeout.as_secs_f64()
        ))),
    }
}

/// How every connection to a SQLite file is opened, as SQLite servers run
/// in production:
/// - WAL: readers never wait for the writer, and a commit appends to the log
///   instead of rewriting pages through a rollback journal;
/// - `synchronous=NORMAL`: with WAL, a commit no longer waits for an fsync
///   (a power cut may lose the last commits, never corrupt the file);
/// - a busy timeout as long as the pool's acquire timeout: a writer queued
///   behind another waits like a request waiting for a pooled connection,
///   instead of failing with `SQLITE_BUSY` (the wait runs on the
///   connection's own thread, never on a runtime worker);
/// - foreign keys enforced, as on the server backends;
/// - temporary tables and sort spills in memory, not in files.
#[cfg(feature = "sqlite")]
fn sqlite_file_options(
    options: SqliteConnectOptions,
    busy_timeout: Duration,
) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(busy_timeout)
        .foreign_keys(true)
        .pragma("temp_store", "memory")
}

use curio_config::database_url::sqlite_file;

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at `BEGIN` (`IMMEDIATE`): a deferred transaction that reads first and
/// writes later fails at once with `SQLITE_BUSY` when another writer got in
/// between, instead of waiting its turn. Other backends begin as usual.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, RepoError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Opens a pool of one connection described by `settings`: for applying
/// migrations before the serving pool opens, so that no pooled connection
/// has seen the schema the migrations change (a SQLite connection can keep
/// reading the tables as they were; prepared statements on PostgreSQL and
/// MySQL cache the shape of their results).
pub async fn connect_alone(settings: &DatabaseSettings) -> Result<DatabaseConnection, RepoError> {
    let mut alone = settings.clone();
    alone.min_connections = 1;
    alone.max_connections = 1;
    connect(&alone).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), RepoError> {
    Migrator::up(db, None).await.map_err(RepoError::from)
}

/// Answers whether the database serves queries now (for `/ready`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), RepoError> {
    db.ping().await.map_err(RepoError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_sqlalchemy_urls_are_normalized() {
        let cases = [
            (
                "mysql+pymysql://u:p@db:3306/curio",
                "mysql://u:p@db:3306/curio?charset=utf8mb4",
            ),
            (
                "mysql+aiomysql://u:p@db/curio?charset=utf8mb4",
                "mysql://u:p@db/curio?charset=utf8mb4",
            ),
            (
                "mysql://u@db/curio?charset=utf8",
                "mysql://u@db/curio?charset=utf8mb4",
            ),
            (
                "postgresql+asyncpg://u:p@db:5432/curio",
                "postgres://u:p@db:5432/curio",
            ),
            ("postgresql://u@db/curio", "postgres://u@db/curio"),
            (
                "postgres://u@db/curio?sslmode=disable",
                "postgres://u@db/curio?sslmode=disable",
            ),
            (
                "sqlite+aiosqlite:///./data/curio.db",
                "sqlite://./data/curio.db?mode=rwc",
            ),
            (
                "sqlite+aiosqlite:////var/lib/curio.db",
                "sqlite:///var/lib/curio.db?mode=rwc",
            ),
            ("sqlite://data/curio.db", "sqlite://data/curio.db?mode=rwc"),
            (
                "sqlite://data/curio.db?mode=ro",
                "sqlite://data/curio.db?mode=ro",
            ),
            ("sqlite+aiosqlite:///:memory:", "sqlite::memory:"),
            ("sqlite::memory:", "sqlite::memory:"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_url(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn unusable_urls_are_rejected_with_a_reason() {
        for (input, reason) in [
            ("mysql://u@db/curio?charset=latin1", "charset"),
            ("oracle://db/x", "unsupported database scheme"),
            ("no-scheme", "no scheme"),
            ("postgres:///curio", "no host"),
        ] {
            let err = normalize_url(input).unwrap_err().to_string();
            assert!(err.contains(reason), "{input}: {err}");
        }
    }

    #[test]
    fn arbitrary_urls_never_panic_the_normalizer() {
        // A cheap deterministic fuzz: random strings over the characters
        // that matter to URL parsing (run longer by raising the count).
        let alphabet: Vec<char> = "sqlite+mysql:postgres/@?&=:%[]#.\\0123456789aé🧬 "
            .chars()
            .collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let runs: usize = std::env::var("FUZZ_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        for _ in 0..runs {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for i in 0..(state % 40) {
                let k = (state.rotate_left(i as u32 * 5) % alphabet.len() as u64) as usize;
                s.push(alphabet[k]);
            }
            for prefix in [
                "",
                "mysql://",
                "sqlite+aiosqlite:///",
                "postgresql+asyncpg://",
            ] {
                let input = format!("{prefix}{s}");
                let _ = normalize_url(&input);
                assert!(!redacted(&input).contains("s3cret"));
            }
        }
    }

    #[test]
    fn redacted_urls_never_show_credentials() {
        let shown = redacted("mysql+aiomysql://curio:s3cret@db.internal/curio?charset=utf8mb4");
        assert_eq!(shown, "mysql://db.internal:3306/curio");
        let settings = DatabaseSettings::with_url("postgresql://curio:s3cret@db/curio");
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
