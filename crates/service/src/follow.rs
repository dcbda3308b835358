//! Live progress of runs, read once per run per process: however many event
//! streams follow a run here, one task reads it (when it may have changed)
//! and hands each state to all of them. Summary and retrieval runs are
//! followed the same way; each says how it learns of a change.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use repository::RepoError;
use tokio::sync::watch;

/// A run as its followers see it.
pub trait Progress: Clone + Send + Sync + 'static {
    /// The run has ended: this is its last state.
    fn has_ended(&self) -> bool;
    /// Whether this state is news to someone who saw `earlier` (a lease
    /// renewal is not).
    fn differs_from(&self, earlier: &Self) -> bool;
}

impl Progress for repository::summary_runs::SummaryRun {
    fn has_ended(&self) -> bool {
        self.status.is_finished()
    }
    fn differs_from(&self, earlier: &Self) -> bool {
        (self.status, self.updated_at) != (earlier.status, earlier.updated_at)
    }
}

impl Progress for repository::retrieval_runs::RetrievalRun {
    fn has_ended(&self) -> bool {
        self.status.is_finished()
    }
    fn differs_from(&self, earlier: &Self) -> bool {
        (self.status, self.updated_at) != (earlier.status, earlier.updated_at)
    }
}

/// Where a kind of run is read from, and how its changes are learnt of.
pub(crate) trait Feed: Clone + Send + Sync + 'static {
    type Run: Progress;
    /// The runs of this kind followed in this process.
    fn followed(&self) -> &Followed<Self::Run>;
    /// Returns once the run may have changed: at a change made here, or
    /// after a poll period when another process works on it.
    fn until_changed(&self, run_id: i32) -> impl Future<Output = ()> + Send;
    /// The run now; `None` once it is gone (its subject was deleted).
    fn read(
        &self,
        run_id: i32,
    ) -> impl Future<Output = Result<Option<Self::Run>, RepoError>> + Send;
    /// How long to wait after a failed read.
    fn retry_after(&self) -> Duration;
}

type Sender<R> = Arc<watch::Sender<R>>;

/// The runs followed in this process, each with the channel its followers
/// read. An entry lives while its run has followers and has not ended.
pub(crate) struct Followed<R>(Mutex<HashMap<i32, Sender<R>>>);

impl<R> Default for Followed<R> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<R: Progress> Followed<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Sender<R>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the run's channel if it is `feed` and, unless the run
    /// ended, nobody follows it any more. Under the map's lock, so that a
    /// follower arriving now either joins before (and keeps it) or finds
    /// no entry and starts a new reader.
    fn retire(&self, run_id: i32, feed: &Sender<R>, ended: bool) -> bool {
        let mut feeds = self.lock();
        let ours = feeds.get(&run_id).is_some_and(|f| Arc::ptr_eq(f, feed));
        if ours && (ended || feed.receiver_count() == 0) {
            feeds.remove(&run_id);
            return true;
        }
        !ours
    }
}

/// The run `run` (read just now, by a caller who may see it) as it
/// changes: the receiver holds the latest state, and its sender goes away
/// after the run's last state (or once the run can no longer be read).
pub(crate) fn follow<F: Feed>(source: &F, run: F::Run, run_id: i32) -> watch::Receiver<F::Run> {
    if run.has_ended() {
        // Nothing more will happen: a channel that is closed already.
        return watch::channel(run).1;
    }
    let feed = {
        let mut feeds = source.followed().lock();
        if let Some(feed) = feeds.get(&run_id) {
            return feed.subscribe();
        }
        let feed = Arc::new(watch::channel(run).0);
        feeds.insert(run_id, feed.clone());
        feed
    };
    let receiver = feed.subscribe();
    tokio::spawn(read_for_followers(source.clone(), run_id, feed));
    receiver
}

/// The one reader of a followed run in this process.
async fn read_for_followers<F: Feed>(source: F, run_id: i32, feed: Sender<F::Run>) {
    loop {
        source.until_changed(run_id).await;
        if source.followed().retire(run_id, &feed, false) {
            return;
        }
        match source.read(run_id).await {
            Ok(Some(run)) => {
                let ended = run.has_ended();
                if run.differs_from(&feed.borrow()) {
                    feed.send_replace(run);
                }
                if ended {
                    source.followed().retire(run_id, &feed, true);
                    return;
                }
            }
            Ok(None) => {
                source.followed().retire(run_id, &feed, true);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, run_id, "reading a followed run failed");
                tokio::time::sleep(source.retry_after()).await;
            }
        }
    }
}
