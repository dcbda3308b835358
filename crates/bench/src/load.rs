//! A closed-loop load generator: N workers over keep-alive HTTP/1.1
//! connections, each sending its next request when the previous one
//! answered, until a deadline or a request budget; latencies go to an HDR
//! histogram.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// What one load point measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub elapsed_secs: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Runs `concurrency` workers for at most `duration` and `budget` requests
/// in total. `send(i)` sends request number `i` and says whether it
/// succeeded.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, budget: u64, send: F) -> LoadResult
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let send = Arc::new(send);
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency).map(|_| {
        let (send, next, errors) = (send.clone(), next.clone(), errors.clone());
        tokio::spawn(async move {
            let mut hist =
                Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= budget || Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let ok = send(i).await;
                hist.saturating_record(t.elapsed().as_micros() as u64);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            hist
        })
    });
    let mut total = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
    for h in futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
    {
        total.add(h).expect("same bounds");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |q: f64| total.value_at_quantile(q) as f64 / 1000.0;
    LoadResult {
        concurrency,
        requests: total.len(),
        errors: errors.load(Ordering::Relaxed),
        elapsed_secs: elapsed,
        rps: total.len() as f64 / elapsed,
        p50_ms: ms(0.50),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        max_ms: total.max() as f64 / 1000.0,
    }
}
