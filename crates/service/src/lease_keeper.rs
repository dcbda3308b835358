//! Keeping a claimed run's lease: the one loop summary and retrieval
//! workers run beside each run they work on.

use std::time::Duration;

use chrono::Utc;
use repository::leases::{self, Leased};
use sea_orm::DatabaseConnection;

/// Why a run's lease stopped being kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lost {
    /// The run was cancelled: the lease is still this process's, to be
    /// given up once the calls in flight are stored.
    Cancelled,
    /// Another process holds the run now, or it has ended: nothing more of
    /// it is this process's to write.
    TakenOver,
}

/// Renews `owner`'s lease on run `id` every third of `lease`, until the run
/// no longer runs under it; then says why. A failed renewal is retried at
/// the next tick: the lease outlives two of them.
pub(crate) async fn keep<E: Leased>(
    db: &DatabaseConnection,
    id: i32,
    owner: &str,
    lease: Duration,
) -> Lost {
    let mut every = tokio::time::interval(lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
        match leases::renew::<E, _>(db, id, owner, until).await {
            Ok(true) => {}
            Ok(false) => {
                // A cancel leaves the owner in place; a takeover or an end
                // does not.
                return match leases::lease_owner::<E, _>(db, id).await {
                    Ok(Some(holder)) if holder == owner => Lost::Cancelled,
                    _ => Lost::TakenOver,
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, run_id = id, table = %E::default().table_name(), "renewing a run's lease failed")
            }
        }
    }
}
