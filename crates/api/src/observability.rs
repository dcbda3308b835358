//! Logs, metrics and the runtime lag probe.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use service::database::PoolStatus;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the log subscriber once per process: human-readable lines by
/// default, JSON when configured. Every line of a request carries its id.
pub fn init_logging(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn prometheus() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let seconds = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                .ok()?
                .install_recorder()
                .ok()?;
            // Histogram samples are buffered until upkeep folds them into
            // buckets; without it memory grows with traffic between scrapes.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        #[allow(clippy::disallowed_methods)]
                        // a dedicated thread, never a runtime worker
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .ok()?;
            Some(handle)
        })
        .clone()
}

/// Pool size and idle connections, sampled when `/metrics` is scraped.
pub fn record_pool_gauges(pool: PoolStatus) {
    metrics::gauge!("curio_db_pool_connections").set(f64::from(pool.size));
    metrics::gauge!("curio_db_pool_idle").set(f64::from(pool.idle));
    metrics::gauge!("curio_db_pool_in_use").set(f64::from(pool.in_use()));
}

/// How often the lag probe's timer is meant to fire.
pub const LAG_PROBE_PERIOD: Duration = Duration::from_millis(25);

/// The largest lag seen by any probe in this process, in microseconds.
static MAX_LAG_MICROS: AtomicU64 = AtomicU64::new(0);

/// The largest scheduling lag seen so far.
pub fn max_lag() -> Duration {
    Duration::from_micros(MAX_LAG_MICROS.load(Ordering::Relaxed))
}

/// Measures how late a periodic timer fires on the runtime it runs on: a
/// worker blocked by synchronous work delays every task on it, this one
/// included. Reports a histogram and the maximum.
pub async fn lag_probe(runtime: &'static str) {
    loop {
        let before = Instant::now();
        tokio::time::sleep(LAG_PROBE_PERIOD).await;
        let lag = before.elapsed().saturating_sub(LAG_PROBE_PERIOD);
        MAX_LAG_MICROS.fetch_max(lag.as_micros() as u64, Ordering::Relaxed);
        metrics::histogram!("curio_runtime_lag_seconds", "runtime" => runtime)
            .record(lag.as_secs_f64());
        metrics::gauge!("curio_runtime_lag_max_seconds").set(max_lag().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // the test blocks on purpose
    fn the_lag_probe_sees_a_worker_blocked_for_200_ms() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let probe = tokio::spawn(lag_probe("test"));
            tokio::time::sleep(Duration::from_millis(60)).await;
            let before = max_lag();
            // Deliberately block the only worker of this runtime.
            tokio::spawn(async {
                std::thread::sleep(Duration::from_millis(200));
            })
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(60)).await;
            probe.abort();
            assert!(
                before < Duration::from_millis(100),
                "quiet runtime: {before:?}"
            );
            assert!(
                max_lag() > Duration::from_millis(100),
                "blocked runtime: {:?}",
                max_lag()
            );
        });
    }
}
