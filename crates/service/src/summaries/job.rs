//! A claimed run as both sides of a summary run see it: the workers that
//! claim, lease and hand back runs (`workers`), and the pipeline that runs
//! one (`pipeline`). Neither imports the other's internals for these.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use repository::summary_runs::{Progress, SummaryRun};

/// A claimed run, as its worker sees it.
pub(super) struct Job {
    pub id: i32,
    pub report_id: i32,
    pub org_id: Option<i32>,
    pub force: bool,
    /// How many times the run was claimed, this claim included.
    pub attempt: i32,
    /// The lease owner every write is fenced by.
    pub owner: String,
    pub halt: Arc<HaltFlag>,
    /// The run's counters as stored: as claimed, plus what this worker has
    /// stored since (the lease keeps every other process from adding), so
    /// that its waiters here learn how it ended without reading it back.
    pub totals: Mutex<Totals>,
}

/// A run's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Totals {
    pub articles_done: i64,
    pub llm_calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

impl Totals {
    pub(super) fn of(run: &SummaryRun) -> Self {
        Totals {
            articles_done: run.articles_done.into(),
            llm_calls: run.llm_calls.into(),
            prompt_tokens: run.prompt_tokens,
            completion_tokens: run.completion_tokens,
        }
    }
}

impl Job {
    /// Notes progress this worker stored (committed).
    pub(super) fn stored(&self, progress: &Progress) {
        let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        totals.articles_done += i64::from(progress.articles_done);
        totals.llm_calls += i64::from(progress.calls);
        totals.prompt_tokens += progress.prompt_tokens;
        totals.completion_tokens += progress.completion_tokens;
    }

    pub(super) fn totals(&self) -> Totals {
        *self.totals.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A run that keeps failing to end (its process dies each time, or the
/// database keeps going away) is given up after this many claims.
pub(super) const MAX_ATTEMPTS: i32 = 5;

/// Why a run must make no further LLM calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Halt {
    /// A user cancelled it: calls in flight are kept, then it ends.
    Cancelled,
    /// This process is stopping: calls in flight are kept, then the run
    /// goes back to the queue for another process.
    HandBack,
    /// Another process took the run over: this one writes nothing more.
    Lost,
}

/// A running run's halt flag, set by the heartbeat, a cancel or shutdown.
#[derive(Debug, Default)]
pub(super) struct HaltFlag(AtomicU8);

impl HaltFlag {
    pub(super) fn set(&self, halt: Halt) {
        let code = match halt {
            Halt::Cancelled => 1,
            Halt::HandBack => 2,
            Halt::Lost => 3,
        };
        // The strongest reason wins: losing the lease beats handing back,
        // which beats a cancel.
        self.0.fetch_max(code, Ordering::SeqCst);
    }

    pub(super) fn get(&self) -> Option<Halt> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(Halt::Cancelled),
            2 => Some(Halt::HandBack),
            3 => Some(Halt::Lost),
            _ => None,
        }
    }
}
