//! Summary runs as their event streams follow them (see [`crate::follow`]):
//! a change made here is learnt of at once, one made elsewhere at the next
//! poll.

use std::time::Duration;

use repository::RepoError;
use repository::summary_runs::{self, SummaryRun};
use tokio::sync::watch;

use super::SummaryService;
use crate::ServiceError;
use crate::access::Actor;
use crate::follow::{self, Feed, Followed};

impl Feed for SummaryService {
    type Run = SummaryRun;

    fn followed(&self) -> &Followed<SummaryRun> {
        &self.followed
    }

    async fn until_changed(&self, run_id: i32) {
        SummaryService::until_changed(self, run_id, false).await;
    }

    async fn read(&self, run_id: i32) -> Result<Option<SummaryRun>, RepoError> {
        match summary_runs::get(&self.db, run_id).await {
            Ok(run) => Ok(Some(run)),
            // The report (and its runs) were deleted.
            Err(RepoError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn retry_after(&self) -> Duration {
        self.local.poll()
    }
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
        Ok(follow::follow(self, run, run_id))
    }
}
