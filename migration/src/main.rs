//! `cargo run -p migration -- up|down|fresh|refresh|reset|status`: applies
//! Curio's migrations to the database `curio` would use, read from the same
//! layers (`config/default.toml` < `CURIO_CONFIG` < `CURIO__DATABASE__URL` <
//! `DATABASE_URL` < `-u/--database-url`), in any URL form `curio` accepts;
//! a missing SQLite file is created. Errors are one line, without the
//! password, and exit 1.

use std::process::ExitCode;

use curio_config::database_url;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{Database, DatabaseConnection};

#[tokio::main]
async fn main() -> ExitCode {
    let db = match connect().await {
        Ok(db) => db,
        Err(message) => {
            eprintln!("migration: {message}");
            return ExitCode::FAILURE;
        }
    };
    // sea-orm-migration's own command line (subcommands, `-n`, `-v`), over
    // the connection made above.
    cli::run_cli_with_custom_connection(migration::Migrator, async || Ok(db)).await;
    ExitCode::SUCCESS
}

/// Connects to the configured database, creating a missing SQLite file.
async fn connect() -> Result<DatabaseConnection, String> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    if let Some(url) = url_argument(std::env::args().skip(1)) {
        vars.push(("DATABASE_URL".into(), url));
    }
    let raw = curio_config::database_url(&vars).map_err(|e| format!("configuration: {e}"))?;
    let url = database_url::normalize(&raw).map_err(|e| format!("database.url: {e}"))?;
    if let Some(file) = database_url::sqlite_file(&url)
        && let Some(dir) = std::path::Path::new(file).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // A server that is down is one line at once, as `curio` says it, not a
    // pool's wait for a connection that never comes.
    if let Some((host, port)) = database_url::server_address(&url) {
        let target = database_url::redacted(&raw);
        let wait = std::time::Duration::from_secs(10);
        match tokio::time::timeout(wait, tokio::net::TcpStream::connect((host.as_str(), port)))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("cannot connect to {target}: {e}")),
            Err(_) => return Err(format!("cannot connect to {target}: no answer within 10 s")),
        }
    }
    Database::connect(&url)
        .await
        .map_err(|e| database_url::connect_error(&raw, &e))
}

/// The value of `-u URL`, `--database-url URL` or `--database-url=URL`.
fn url_argument(args: impl Iterator<Item = String>) -> Option<String> {
    let mut args = args.peekable();
    let mut found = None;
    while let Some(arg) = args.next() {
        if arg == "-u" || arg == "--database-url" {
            found = args.next();
        } else if let Some(url) = arg.strip_prefix("--database-url=") {
            found = Some(url.to_owned());
        }
    }
    found
}
