//! One fresh database per test, on every backend the run is configured for.
//!
//! `TEST_BACKENDS` (default `sqlite,mariadb,postgres`) chooses the backends;
//! `TEST_MYSQL_URL` and `TEST_POSTGRES_URL` point at the servers (defaults:
//! the local MariaDB and PostgreSQL on 127.0.0.1). Each [`TestDb`] creates a
//! uniquely named database, migrates it, and drops it when it goes out of
//! scope, so tests run in parallel without sharing state.
//!
//! Also here for every crate's tests (and the bench): a mock
//! OpenAI-compatible server ([`mock_llm`]) and a TCP proxy that cuts or
//! delays database connections ([`proxy`]).

pub mod eutils;
pub mod http_client;
pub mod mock_llm;
pub mod proxy;
pub mod python_peer;
pub mod smtp;
pub mod static_http;
pub mod webhooks;

use std::sync::atomic::{AtomicU32, Ordering};

use repository::database::{self, DatabaseSettings};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A database engine the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MariaDb,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::MariaDb, Backend::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::MariaDb => "mariadb",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether `TEST_BACKENDS` includes this backend.
    pub fn enabled(self) -> bool {
        let list =
            std::env::var("TEST_BACKENDS").unwrap_or_else(|_| "sqlite,mariadb,postgres".into());
        list.split(',').map(str::trim).any(|b| {
            b.eq_ignore_ascii_case(self.name())
                || (self == Backend::MariaDb && b.eq_ignore_ascii_case("mysql"))
                || (self == Backend::Postgres && b.eq_ignore_ascii_case("postgresql"))
        })
    }

    fn server_url(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::MariaDb => Some(
                std::env::var("TEST_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
            ),
            Backend::Postgres => Some(
                std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            ),
        }
    }

    fn admin_url(self) -> Option<String> {
        self.server_url().map(|base| match self {
            Backend::Postgres => format!("{base}/postgres"),
            _ => base,
        })
    }

    fn how_to_start(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::MariaDb => {
                "start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, or narrow the run with TEST_BACKENDS=sqlite,postgres"
            }
            Backend::Postgres => {
                "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or narrow the run with TEST_BACKENDS=sqlite,mariadb"
            }
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A migrated database of its own, dropped when this value is dropped.
pub struct TestDb {
    pub backend: Backend,
    /// The URL of the test database (no secrets: local test servers).
    pub url: String,
    pub conn: DatabaseConnection,
    name: String,
}

impl TestDb {
    /// A folder of this test's own for files the app writes (its mail
    /// outbox), removed with the database.
    pub fn files_dir(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("{}-files", self.name))
    }

    /// A fresh, migrated database on `backend` with the default pool size.
    pub async fn new(backend: Backend) -> TestDb {
        Self::with_settings(backend, |_| {}).await
    }

    /// A fresh, migrated database; `adjust` tunes the pool settings.
    pub async fn with_settings(
        backend: Backend,
        adjust: impl FnOnce(&mut DatabaseSettings),
    ) -> TestDb {
        let (url, name, migrated) = Self::create(backend, true).await;
        let mut settings = Self::settings_for(&url);
        adjust(&mut settings);
        if !migrated {
            // Migrated before the test's pool opens, as curio does at
            // start-up.
            migrate_alone(&settings).await;
        }
        let conn = database::connect(&settings)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test database failed: {e}"));
        TestDb {
            backend,
            url,
            conn,
            name,
        }
    }

    /// A fresh, empty database (no migrations applied).
    pub async fn unmigrated(
        backend: Backend,
        adjust: impl FnOnce(&mut DatabaseSettings),
    ) -> TestDb {
        let (url, name, _) = Self::create(backend, false).await;
        let mut settings = Self::settings_for(&url);
        adjust(&mut settings);
        let conn = database::connect(&settings)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test database failed: {e}"));
        TestDb {
            backend,
            url,
            conn,
            name,
        }
    }

    /// Pool settings for a test database: small pool, short timeouts.
    pub fn settings_for(url: &str) -> DatabaseSettings {
        let mut settings = DatabaseSettings::with_url(url);
        settings.min_connections = 1;
        settings.max_connections = 5;
        settings.acquire_timeout_secs = 10.0;
        settings
    }

    /// Creates a database and returns its URL, its name and whether it is
    /// migrated already: with `migrated` on PostgreSQL it is a copy of a
    /// migrated template (see [`postgres_template`]), which costs a tenth of
    /// migrating; elsewhere, or without `migrated` (migration tests drive
    /// the migrations themselves), it is empty.
    async fn create(backend: Backend, migrated: bool) -> (String, String, bool) {
        let name = format!(
            "curio_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                (format!("sqlite://{}", path.display()), name, false)
            }
            _ => {
                let admin = backend.admin_url().expect("server backend");
                let conn = Database::connect(admin_options(&admin))
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "{} at {} does not answer ({e}); {}",
                            backend.name(),
                            admin,
                            backend.how_to_start()
                        )
                    });
                let base = backend.server_url().expect("server backend");
                let template = match backend {
                    Backend::Postgres if migrated => Some(postgres_template(&conn, &base).await),
                    _ => None,
                };
                let sql = match (backend, &template) {
                    (Backend::MariaDb, _) => format!(
                        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    ),
                    (_, Some(template)) => {
                        format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
                    }
                    _ => format!("CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"),
                };
                conn.execute_unprepared(&sql)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                (format!("{base}/{name}"), name, template.is_some())
            }
        }
    }

    /// The URL of this database reached through 127.0.0.1:`port` instead of
    /// the server's own port (for a proxy in between).
    pub fn url_via_port(&self, port: u16) -> String {
        self.url
            .replace(":3306/", &format!(":{port}/"))
            .replace(":5432/", &format!(":{port}/"))
    }

    /// The server's `host:port` (for a proxy), `None` on SQLite.
    pub fn server_address(&self) -> Option<String> {
        match self.backend {
            Backend::Sqlite => None,
            Backend::MariaDb => Some("127.0.0.1:3306".into()),
            Backend::Postgres => Some("127.0.0.1:5432".into()),
        }
    }

    /// The name of the database (unique per test).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let backend = self.backend;
        let name = self.name.clone();
        let conn = self.conn.clone();
        let files = self.files_dir();
        // Drop runs outside any async context guarantee (also while a test
        // panics), so the cleanup gets a small runtime on its own thread.
        #[allow(clippy::disallowed_methods)] // its own thread, never a worker
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            rt.block_on(async move {
                conn.close().await.ok();
                drop_database(backend, &name).await;
                let _ = tokio::fs::remove_dir_all(&files).await;
            });
        });
        let _ = handle.join();
    }
}

/// One connection: the template lock is a session's, so lock and unlock
/// must run on the same one.
fn admin_options(url: &str) -> sea_orm::ConnectOptions {
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(1).sqlx_logging(false);
    options
}

/// The name of the PostgreSQL database migrated by these migrations, which
/// tests clone: the first test of a run to need it creates it, under an
/// advisory lock that the others wait on, and drops the templates of other
/// migration sets. Nobody stays connected to it, as cloning requires.
async fn postgres_template(admin: &DatabaseConnection, base: &str) -> String {
    let name = format!("curio_tpl_{}", env!("CURIO_MIGRATIONS_FINGERPRINT"));
    // A session lock: the admin pool holds one connection (see
    // `admin_options`), so lock and unlock run on the same session.
    let lock = "SELECT pg_advisory_lock(7262001)";
    admin.execute_unprepared(lock).await.expect("template lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("look for the template")
        .is_some();
    if !exists {
        let stale = admin
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'curio\\_tpl\\_%' AND datname <> '{name}'"
                ),
            ))
            .await
            .expect("list templates");
        for row in stale {
            let old: String = row.try_get("", "datname").expect("a name");
            drop_database(Backend::Postgres, &old).await;
        }
        // Built under a name of its own and renamed when complete, so that a
        // test process that dies half-way leaves no half-migrated template.
        let building = format!("{name}_building");
        drop_database(Backend::Postgres, &building).await;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE \"{building}\" ENCODING 'UTF8' TEMPLATE template0"
            ))
            .await
            .expect("create the template");
        migrate_alone(&DatabaseSettings::with_url(format!("{base}/{building}"))).await;
        // The server may still be ending the migration's sessions.
        let rename = format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\"");
        let mut tries = 0;
        while let Err(e) = admin.execute_unprepared(&rename).await {
            tries += 1;
            assert!(tries < 100, "publishing the template failed: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7262001)")
        .await
        .expect("template unlock");
    name
}

/// Applies the migrations on a connection of its own, closed after.
async fn migrate_alone(settings: &DatabaseSettings) {
    let alone = database::connect_alone(settings)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test database failed: {e}"));
    database::migrate(&alone).await.expect("migrations apply");
    alone.close().await.ok();
}

async fn drop_database(backend: Backend, name: &str) {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        _ => {
            let Some(admin) = backend.admin_url() else {
                return;
            };
            if let Ok(conn) = Database::connect(&admin).await {
                let sql = match backend {
                    Backend::MariaDb => format!("DROP DATABASE IF EXISTS `{name}`"),
                    _ => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                };
                let _ = conn.execute_unprepared(&sql).await;
                conn.close().await.ok();
            }
        }
    }
}

/// Declares one test per backend: `backend_test!(name, |db| async move {…})`
/// expands to `mod name { fn sqlite(); fn mariadb(); fn postgres(); }`, each
/// skipped (with a line saying so) when `TEST_BACKENDS` leaves it out.
#[macro_export]
macro_rules! backend_tests {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident: Backend) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: $crate::Backend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { $crate::run_on($crate::Backend::Sqlite, run).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() { $crate::run_on($crate::Backend::MariaDb, run).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { $crate::run_on($crate::Backend::Postgres, run).await }
        }
    };
}

/// Runs `test` on `backend` unless `TEST_BACKENDS` leaves it out.
pub async fn run_on<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if !backend.enabled() {
        eprintln!("skipped: {} is not in TEST_BACKENDS", backend.name());
        return;
    }
    test(backend).await
}

/// A handle on the same pool that counts the statements run through it
/// (SeaORM's metric callback sees every statement, also inside
/// transactions).
pub fn counting(conn: &DatabaseConnection) -> (DatabaseConnection, StatementCounter) {
    let counter = StatementCounter::default();
    let mut conn = conn.clone();
    let seen = counter.clone();
    conn.set_metric_callback(move |info| {
        seen.count.fetch_add(1, Ordering::SeqCst);
        seen.statements
            .lock()
            .expect("statement log")
            .push(info.statement.sql.clone());
    });
    (conn, counter)
}

/// Statements seen by a [`counting`] connection.
#[derive(Clone, Default)]
pub struct StatementCounter {
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    statements: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl StatementCounter {
    /// Statements since the last reset.
    pub fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Starts counting from zero.
    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
        self.statements.lock().expect("statement log").clear();
    }

    /// The SQL of the statements since the last reset.
    pub fn statements(&self) -> Vec<String> {
        self.statements.lock().expect("statement log").clone()
    }
}
