//! Per-key request limits in fixed windows, counted in the database so
//! that every process shares them (the sign-in counters' table: a key, a
//! count and when its window began).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use repository::login_throttles;
use sea_orm::DatabaseConnection;

use crate::ServiceError;

/// Counts one request of `key`; `RateLimited` (with how long to wait) when
/// `key` has made `limit` requests in the current window of `window`.
/// A refused request does not count.
pub async fn take(
    db: &DatabaseConnection,
    key: &str,
    limit: u32,
    window: Duration,
    what: &str,
) -> Result<(), ServiceError> {
    let now = Utc::now();
    let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    let txn = repository::database::begin_write(db).await?;
    let mut counter = login_throttles::lock(&txn, key, now).await?;
    // `last_failure_at` is when the window began; `failures` the count in it.
    if now >= counter.last_failure_at + window {
        counter.failures = 0;
        counter.last_failure_at = now;
    }
    if i64::from(counter.failures) >= i64::from(limit) {
        let wait = (counter.last_failure_at + window - now)
            .to_std()
            .unwrap_or_default();
        return Err(ServiceError::RateLimited {
            detail: format!(
                "at most {limit} {what} per {} seconds; retry in {} s",
                window.num_seconds(),
                wait.as_secs().max(1)
            ),
            retry_after: wait,
        });
    }
    counter.failures += 1;
    login_throttles::save(&txn, counter).await?;
    txn.commit().await?;
    Ok(())
}
