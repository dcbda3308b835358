//! The database under the services: its settings, and what the pool reports
//! to metrics.

use sea_orm::{DatabaseConnection, DbBackend};

use crate::error::StartupError;

pub use repository::database::DatabaseSettings;

/// Connections in the pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub size: u32,
    pub idle: u32,
}

impl PoolStatus {
    /// Connections checked out by a caller.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }
}

/// Opens the pool, applies pending migrations when `migrate` is set, and
/// records every statement's latency.
pub async fn open(
    settings: &DatabaseSettings,
    migrate: bool,
) -> Result<DatabaseConnection, StartupError> {
    // An in-memory database exists only on the pool's one connection.
    let in_place = settings.is_in_memory();
    if migrate && !in_place {
        // On a connection of its own, closed before the pool opens.
        let alone = repository::database::connect_alone(settings)
            .await
            .map_err(StartupError::Connect)?;
        repository::database::migrate(&alone)
            .await
            .map_err(StartupError::Migration)?;
        alone.close().await.ok();
    }
    let mut db = repository::database::connect(settings)
        .await
        .map_err(StartupError::Connect)?;
    if migrate && in_place {
        repository::database::migrate(&db)
            .await
            .map_err(StartupError::Migration)?;
    }
    // Set before the pool is cloned into the services: clones share it.
    instrument_statements(&mut db);
    Ok(db)
}

pub(crate) fn pool_status(db: &DatabaseConnection) -> PoolStatus {
    // Each driver has its own pool type; a build has the drivers of its
    // features, and a connection is of one of them.
    let (size, idle) = match db.get_database_backend() {
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let p = db.get_mysql_connection_pool();
            (p.size(), p.num_idle())
        }
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        #[allow(unreachable_patterns)]
        _ => (0, 0),
    };
    PoolStatus {
        size,
        idle: u32::try_from(idle).unwrap_or(u32::MAX),
    }
}

/// Statement latency for every SQL statement, from SeaORM's metric callback.
fn instrument_statements(db: &mut DatabaseConnection) {
    db.set_metric_callback(|info| {
        let outcome = if info.failed { "error" } else { "ok" };
        // What the durable summary runs cost the database, apart from the
        // data they read and write.
        let kind = if info.statement.sql.contains("summary_runs") {
            "run_bookkeeping"
        } else {
            "data"
        };
        metrics::histogram!("curio_db_statement_seconds", "outcome" => outcome, "kind" => kind)
            .record(info.elapsed.as_secs_f64());
    });
}
