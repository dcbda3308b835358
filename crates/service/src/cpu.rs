//! CPU-heavy work (password hashing, parsing and validating bulk bodies):
//! on the blocking pool, never on a runtime worker, and at most
//! `cores - 1` pieces at once (at least one). One per core would leave the
//! runtime workers waiting for a CPU behind a burst of such requests; with
//! a core kept free, `/health` and every light request stay fast.

use crate::ServiceError;

fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// Pieces of work run so far in this process.
static COMPLETED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs `work` on the blocking pool once a slot is free.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    let _slot = slots().acquire().await.map_err(ServiceError::internal)?;
    let done = tokio::task::spawn_blocking(work)
        .await
        .map_err(ServiceError::internal);
    COMPLETED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    done
}

/// How many pieces of work [`run`] has completed in this process: what the
/// tests count to prove that work ran here, off the runtime workers.
pub fn completed() -> u64 {
    COMPLETED.load(std::sync::atomic::Ordering::Relaxed)
}
