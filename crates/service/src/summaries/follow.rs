//! Live progress of runs, read once per run per process: however many event
//! streams follow a run here, one task reads it (at each change when this
//! process works on it, every `jobs.poll_ms` when another does) and hands
//! each state to all of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use repository::summary_runs::{self, SummaryRun};
use tokio::sync::watch;

use super::SummaryService;
use crate::ServiceError;
use crate::access::Actor;

/// The runs followed in this process, each with the channel its followers
/// read. An entry lives while its run has followers and has not ended.
#[derive(Default)]
pub(super) struct Followed(Mutex<HashMap<i32, Arc<watch::Sender<SummaryRun>>>>);

impl Followed {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Arc<watch::Sender<SummaryRun>>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the run's channel if it is `feed` and, unless the run
    /// ended, nobody follows it any more. Under the map's lock, so that a
    /// follower arriving now either joins before (and keeps it) or finds
    /// no entry and starts a new reader.
    fn retire(&self, run_id: i32, feed: &Arc<watch::Sender<SummaryRun>>, ended: bool) -> bool {
        let mut feeds = self.lock();
        let ours = feeds.get(&run_id).is_some_and(|f| Arc::ptr_eq(f, feed));
        if ours && (ended || feed.receiver_count() == 0) {
            feeds.remove(&run_id);
            return true;
        }
        !ours
    }
}

/// A run as its followers see it: a change is a new status or a new
/// `updated_at` (lease renewals do not move it, and are not news).
fn differs(a: &SummaryRun, b: &SummaryRun) -> bool {
    (a.status, a.updated_at) != (b.status, b.updated_at)
}

impl SummaryService {
    /// A run of a report the caller may see, now and as it changes: the
    /// receiver holds the latest state, and its sender goes away after the
    /// run's last state (or when the run can no longer be read).
    pub async fn follow(
        &self,
        actor: &Actor,
        run_id: i32,
    ) -> Result<watch::Receiver<SummaryRun>, ServiceError> {
        let run = self.run_of(actor, run_id).await?;
        if run.status.is_finished() {
            // Nothing more will happen: a channel that is closed already.
            return Ok(watch::channel(run).1);
        }
        let feed = {
            let mut feeds = self.followed.lock();
            if let Some(feed) = feeds.get(&run_id) {
                return Ok(feed.subscribe());
            }
            let feed = Arc::new(watch::channel(run).0);
            feeds.insert(run_id, feed.clone());
            feed
        };
        let receiver = feed.subscribe();
        let this = self.clone();
        tokio::spawn(async move { this.read_for_followers(run_id, feed).await });
        Ok(receiver)
    }

    /// The one reader of a followed run in this process.
    async fn read_for_followers(self, run_id: i32, feed: Arc<watch::Sender<SummaryRun>>) {
        loop {
            self.until_changed(run_id, false).await;
            if self.followed.retire(run_id, &feed, false) {
                return;
            }
            match summary_runs::get(&self.db, run_id).await {
                Ok(run) => {
                    let ended = run.status.is_finished();
                    if differs(&run, &feed.borrow()) {
                        feed.send_replace(run);
                    }
                    if ended {
                        self.followed.retire(run_id, &feed, true);
                        return;
                    }
                }
                Err(repository::RepoError::NotFound { .. }) => {
                    // The report (and its runs) were deleted.
                    self.followed.retire(run_id, &feed, true);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, run_id, "reading a followed summary run failed");
                    tokio::time::sleep(self.local.poll()).await;
                }
            }
        }
    }
}
