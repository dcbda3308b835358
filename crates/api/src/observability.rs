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
            describe();
            metrics::gauge!("curio_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
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

/// A `# HELP` line (and unit) for every family Curio reports, so that
/// scrapers and `promtool check metrics` know what each one is.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!("curio_build_info", "Curio's version, as a label; always 1");
    describe_counter!(
        "curio_http_requests_total",
        Unit::Count,
        "HTTP requests answered, by method, route and status"
    );
    describe_histogram!(
        "curio_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method and route"
    );
    describe_gauge!(
        "curio_db_pool_connections",
        Unit::Count,
        "Connections the database pool holds"
    );
    describe_gauge!(
        "curio_db_pool_idle",
        Unit::Count,
        "Idle connections in the database pool"
    );
    describe_gauge!(
        "curio_db_pool_in_use",
        Unit::Count,
        "Connections of the database pool in use"
    );
    describe_histogram!(
        "curio_db_statement_seconds",
        Unit::Seconds,
        "Time a SQL statement took, by outcome and kind (run bookkeeping or data)"
    );
    describe_histogram!(
        "curio_runtime_lag_seconds",
        Unit::Seconds,
        "How late a 25 ms timer fired on a runtime (a blocked worker delays it)"
    );
    describe_gauge!(
        "curio_runtime_lag_max_seconds",
        Unit::Seconds,
        "The largest runtime lag seen since start"
    );
    describe_histogram!(
        "curio_llm_call_seconds",
        Unit::Seconds,
        "Time an LLM call took, retries included, by provider, model, stage and outcome"
    );
    describe_counter!(
        "curio_llm_tokens_total",
        Unit::Count,
        "LLM tokens the provider counted, by provider, model and kind (prompt or completion)"
    );
    describe_counter!(
        "curio_llm_errors_total",
        Unit::Count,
        "LLM calls that failed after their retries, by provider, model and stage"
    );
    describe_counter!(
        "curio_llm_retries_total",
        Unit::Count,
        "LLM attempts repeated after a retryable failure, by provider"
    );
    describe_counter!(
        "process_cpu_seconds_total",
        Unit::Seconds,
        "CPU time the process used, user and system"
    );
    describe_gauge!(
        "process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of the process"
    );
    describe_gauge!(
        "process_open_fds",
        Unit::Count,
        "Open file descriptors of the process"
    );
    describe_gauge!(
        "process_start_time_seconds",
        Unit::Seconds,
        "When the process started, in seconds since the Unix epoch"
    );
}

/// The process's CPU time, memory, open files and start, from Linux's
/// `/proc` (elsewhere nothing is recorded). Reads files: call it on the
/// blocking pool. Written here rather than taken from a crate because the
/// four standard values are a few lines of `/proc`, where the crates that
/// offer them bring a procfs parser of their own.
#[allow(clippy::disallowed_methods)] // on the blocking pool, see above
pub fn record_process() {
    // Linux reports `stat` times in clock ticks of 1/100 s on every
    // architecture Curio builds for (USER_HZ).
    const TICKS: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    // Fields after the command name, which is in parentheses and may hold
    // spaces: state is field 3, utime 14, stime 15, starttime 22.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
    if let (Some(user), Some(system)) = (field(14), field(15)) {
        metrics::counter!("process_cpu_seconds_total").absolute(((user + system) / TICKS) as u64);
    }
    let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
    });
    if let (Some(boot), Some(start)) = (boot, field(22)) {
        metrics::gauge!("process_start_time_seconds").set(boot + start / TICKS);
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
        if let Some(kib) = rss_kib {
            metrics::gauge!("process_resident_memory_bytes").set(kib * 1024.0);
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
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
