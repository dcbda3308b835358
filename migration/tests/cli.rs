//! The migration CLI reads the database `curio` would use, in any URL form
//! `curio` accepts, and fails with one clear line.

use std::process::{Command, Output};

use migration::MigratorTrait;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use test_support::{Backend, TestDb, backend_tests};

/// Runs the CLI with only the given Curio variables set.
fn migration(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migration"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CURIO_CONFIG")
        .env_remove("CURIO__DATABASE__URL");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("the migration binary runs")
}

async fn applied(db: &TestDb) -> i64 {
    let row = db
        .conn
        .query_one_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

backend_tests! {
    async fn up_down_and_status_use_curios_configuration_and_its_legacy_url_forms(backend: Backend) {
        let db = TestDb::unmigrated(backend, |_| {}).await;
        // The SQLAlchemy forms of the service Curio replaces, through the
        // same environment layer `curio` reads.
        let url = match backend {
            Backend::MariaDb => format!("mysql+aiomysql://root@127.0.0.1:3306/{}", db.name()),
            Backend::Postgres => format!("postgresql+asyncpg://postgres@127.0.0.1:5432/{}", db.name()),
            Backend::Sqlite => db.url.clone(),
        };
        let vars = [("CURIO__DATABASE__URL", url.as_str())];
        let up = migration(&["up"], &vars);
        assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
        let all = migration::Migrator::migrations().len() as i64;
        assert_eq!(applied(&db).await, all);
        let down = migration(&["down", "-n", "1"], &vars);
        assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
        assert_eq!(applied(&db).await, all - 1);
        let status = migration(&["status"], &vars);
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        assert!(migration(&["up"], &vars).status.success());
        assert_eq!(applied(&db).await, all);
    }
}

#[test]
fn a_missing_sqlite_file_and_its_directory_are_created() {
    let dir = std::env::temp_dir().join(format!("curio-migration-{}", std::process::id()));
    let file = dir.join("nested").join("curio.db");
    let url = format!("sqlite://{}", file.display());
    let out = migration(&["up"], &[("DATABASE_URL", &url)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_or_unreachable_url_is_one_line_without_the_password() {
    for (url, expected) in [
        (
            "mysql://root:s3cret-pw@127.0.0.1:1/curio",
            "cannot connect to mysql://127.0.0.1:1/curio",
        ),
        (
            "oracle://root:s3cret-pw@db/curio",
            "unsupported database scheme `oracle`",
        ),
    ] {
        let out = migration(&["status"], &[("DATABASE_URL", url)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            !stderr.contains("s3cret") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn a_server_that_is_down_is_one_line_at_once_not_a_pool_timeout() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for scheme in ["mysql", "postgres"] {
        let url = format!("{scheme}://user:secret@127.0.0.1:{port}/curio");
        let started = std::time::Instant::now();
        let out = migration(&["status"], &[("DATABASE_URL", &url)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("cannot connect") && stderr.to_lowercase().contains("refused"),
            "{stderr}"
        );
        assert!(!stderr.contains("secret"), "{stderr}");
        // The pool's own wait is 30 s; refused is known at once.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
