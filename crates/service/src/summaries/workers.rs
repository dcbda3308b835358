//! This process's run workers: they claim runs (the ones it queued itself at
//! once, others when they are left queued or their lease expires), keep the
//! lease alive while a run works, and hand runs back on shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use repository::summary_runs::{self, SummaryRun};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::job::{Halt, HaltFlag, Job, MAX_ATTEMPTS, Totals};
use super::pipeline::Ended;
use super::{SummaryResult, SummaryService};
use crate::settings::JobSettings;

/// A run this process works on: how to halt it, and a channel its waiters
/// watch: it changes with the run, holds the result once the run succeeded
/// here, and closes when the work here ends.
struct Working {
    halt: Arc<HaltFlag>,
    changes: watch::Sender<Option<Arc<SummaryResult>>>,
}

/// What one process holds of the shared runs.
pub(crate) struct Local {
    pub(super) jobs: JobSettings,
    /// How many runs it works on at once (`jobs.workers` resolved).
    pub(super) workers: usize,
    /// This process's name on the leases it holds.
    pub(super) owner: String,
    /// One permit per worker.
    pub(super) slots: Arc<Semaphore>,
    /// Wakes the claim loop (a worker became free, a run was queued).
    wake: Notify,
    /// The runs this process works on. Per run, so that a change wakes
    /// only that run's waiters.
    running: Mutex<HashMap<i32, Working>>,
    /// The runtime runs are spawned on: the one that started the workers,
    /// which outlives any request (HTTP workers' runtimes stop first).
    runtime: Mutex<Option<tokio::runtime::Handle>>,
}

impl Local {
    pub(super) fn new(mut jobs: JobSettings, llm_concurrency: usize) -> Self {
        // Bounds that keep the arithmetic below sound whatever is configured.
        let workers = jobs.workers.resolve(llm_concurrency);
        jobs.lease_secs = jobs.lease_secs.clamp(1, 86_400);
        jobs.poll_ms = jobs.poll_ms.clamp(10, 60_000);
        jobs.flush_ms = jobs.flush_ms.min(60_000);
        Self {
            // Zero workers: an API-only process; its runs wait for others.
            slots: Arc::new(Semaphore::new(workers)),
            workers,
            owner: lease_owner(),
            jobs,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            runtime: Mutex::new(None),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Working>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes that this process works on the run; its halt flag.
    fn register(&self, run_id: i32) -> Arc<HaltFlag> {
        let halt = Arc::new(HaltFlag::default());
        let working = Working {
            halt: halt.clone(),
            changes: watch::channel(None).0,
        };
        self.running().insert(run_id, working);
        halt
    }

    /// Notes that this process's work on the run ended; wakes its waiters.
    fn unregister(&self, run_id: i32) {
        self.running().remove(&run_id);
    }

    /// Changes of a run this process works on, if it does: the channel
    /// moves on each, and closes when the work here ends, holding the
    /// result if the run succeeded.
    pub(super) fn watch(&self, run_id: i32) -> Option<watch::Receiver<Option<Arc<SummaryResult>>>> {
        self.running().get(&run_id).map(|w| w.changes.subscribe())
    }

    /// Tells the run's waiters here that it changed.
    pub(super) fn changed(&self, run_id: i32) {
        if let Some(w) = self.running().get(&run_id) {
            w.changes.send_modify(|_| {});
        }
    }

    /// Hands a run's result to its waiters here, who then need not read
    /// it back; its store is committed.
    pub(super) fn succeeded(&self, run_id: i32, result: SummaryResult) {
        if let Some(w) = self.running().get(&run_id) {
            w.changes.send_replace(Some(Arc::new(result)));
        }
    }

    /// Halts a run this process works on, if it does.
    pub(super) fn halt(&self, run_id: i32, halt: Halt) {
        if let Some(w) = self.running().get(&run_id) {
            w.halt.set(halt);
        }
    }

    pub(super) fn lease(&self) -> Duration {
        Duration::from_secs(self.jobs.lease_secs)
    }

    /// How long finished calls may wait to be stored together.
    pub(super) fn flush(&self) -> Duration {
        Duration::from_millis(self.jobs.flush_ms)
    }

    pub(super) fn poll(&self) -> Duration {
        Duration::from_millis(self.jobs.poll_ms)
    }

    pub(super) fn lease_until(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.jobs.lease_secs as i64)
    }
}

/// A name unique to this process among all that share the database.
pub(crate) fn lease_owner() -> String {
    // The column holds 64 characters: pid and time take at most 10 + 32
    // hexadecimal digits of it, the host name the rest.
    let host: String = std::env::var("HOSTNAME")
        .unwrap_or_else(|_| "host".into())
        .chars()
        .take(20)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{host}:{}:{nanos:x}", std::process::id())
}

/// The claim loop of a process, stopped by [`Workers::shutdown`].
pub struct Workers {
    service: SummaryService,
    poller: tokio::task::JoinHandle<()>,
}

impl SummaryService {
    /// Starts this process's workers on the current runtime: runs it queues
    /// start at once, and every `jobs.poll_ms` it takes queued runs no
    /// process started and runs whose lease expired.
    pub fn start_workers(&self) -> Workers {
        *self.local.runtime.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(tokio::runtime::Handle::current());
        let this = self.executor();
        let poller = tokio::spawn(async move {
            loop {
                this.claim_while_free().await;
                let _ = tokio::time::timeout(this.local.poll(), this.local.wake.notified()).await;
            }
        });
        Workers {
            service: self.clone(),
            poller,
        }
    }

    /// Takes claimable runs while a worker is free: of the oldest claimable
    /// run of each organization, first the one whose organization has the
    /// fewest runs working here (the oldest among equals), so that a
    /// backlog of one organization does not delay every other's runs.
    async fn claim_while_free(&self) {
        loop {
            let Ok(slot) = self.local.slots.clone().try_acquire_owned() else {
                return;
            };
            let mut candidates =
                match summary_runs::claimable_per_org(&self.db, Utc::now(), 64).await {
                    Ok(candidates) => candidates,
                    Err(e) => {
                        tracing::warn!(error = %e, "looking for summary runs failed");
                        return;
                    }
                };
            candidates.sort_by_key(|&(id, org)| (self.global.active_of(org), id));
            let mut claimed = None;
            for (id, _) in candidates {
                match self.claim(id).await {
                    Ok(Some(run)) => {
                        claimed = Some(run);
                        break;
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, run_id = id, "claiming a summary run failed");
                        return;
                    }
                }
            }
            match claimed {
                Some(run) => self.spawn_run(run, slot),
                None => return,
            }
        }
    }

    /// Takes the run for this process if it is claimable now.
    async fn claim(&self, run_id: i32) -> Result<Option<SummaryRun>, repository::RepoError> {
        let owner = &self.local.owner;
        summary_runs::claim(
            &self.db,
            run_id,
            owner,
            Utc::now(),
            self.local.lease_until(),
        )
        .await
    }

    /// Starts a queued run here if a worker is free; otherwise it stays
    /// queued for whichever process frees a worker first.
    pub(super) fn dispatch(&self, run_id: i32) {
        let Ok(slot) = self.local.slots.clone().try_acquire_owned() else {
            return;
        };
        // Registered before the claim, so that the caller's wait can watch
        // it at once; unregistered (which wakes the watchers) if another
        // process claims it first.
        let halt = self.local.register(run_id);
        let this = self.executor();
        self.spawn(async move {
            match this.claim(run_id).await {
                Ok(Some(run)) => {
                    let sharing = this.global.enter(run.org_id);
                    this.execute(run, halt, slot, sharing).await
                }
                Ok(None) => this.local.unregister(run_id),
                Err(e) => {
                    this.local.unregister(run_id);
                    tracing::warn!(error = %e, run_id, "claiming a summary run failed");
                }
            }
        });
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let runtime = self
            .local
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match runtime {
            Some(handle) => drop(handle.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
    }

    pub(super) fn spawn_run(&self, run: SummaryRun, slot: OwnedSemaphorePermit) {
        let halt = self.local.register(run.id);
        // Counted as working here before the task starts, so that the next
        // choice of `claim_while_free` (made before the task may have run)
        // sees it.
        let sharing = self.global.enter(run.org_id);
        let this = self.clone();
        self.spawn(async move { this.execute(run, halt, slot, sharing).await });
    }

    /// Works on a claimed run until it ends, is halted, or is handed back.
    /// `sharing` counts the run as its organization's while it works: the
    /// organization shares the LLM concurrency, and the claim loop prefers
    /// organizations with fewer runs working.
    async fn execute(
        self,
        run: SummaryRun,
        halt: Arc<HaltFlag>,
        slot: OwnedSemaphorePermit,
        sharing: super::fair_share::Active,
    ) {
        let job = Job {
            id: run.id,
            report_id: run.report_id,
            org_id: run.org_id,
            force: run.force,
            attempt: run.attempt,
            owner: self.local.owner.clone(),
            halt: halt.clone(),
            totals: std::sync::Mutex::new(Totals::of(&run)),
        };
        let heartbeat = tokio::spawn(self.clone().heartbeat(run.id, halt.clone()));
        let ended = if run.attempt > MAX_ATTEMPTS {
            Ended::Abandoned
        } else {
            self.run(&job, &run).await
        };
        heartbeat.abort();
        if let Err(e) = self.conclude(&job, ended).await {
            // The lease expires and another process (or this one) resumes.
            tracing::warn!(error = %e, run_id = run.id, "ending a summary run failed");
        }
        // Until its end is stored the run still holds its worker.
        drop(sharing);
        // Closes the run's channel: its waiters here read how it ended.
        self.local.unregister(run.id);
        drop(slot);
        self.local.wake.notify_one();
    }

    /// Keeps the run's lease; halts the run when it was cancelled or taken
    /// over.
    async fn heartbeat(self, run_id: i32, halt: Arc<HaltFlag>) {
        use crate::lease_keeper::{self, Lost};
        let lost = lease_keeper::keep::<entity::summary_run::Entity>(
            &self.db,
            run_id,
            &self.local.owner,
            self.local.lease(),
        )
        .await;
        halt.set(match lost {
            Lost::Cancelled => Halt::Cancelled,
            Lost::TakenOver => Halt::Lost,
        });
    }
}

impl Workers {
    /// Stops taking runs, lets the running ones end within `grace`, then
    /// hands the rest back: their calls in flight are kept, and another
    /// process resumes them at once, without waiting for the lease.
    pub async fn shutdown(self, grace: Duration) {
        self.poller.abort();
        let local = &self.service.local;
        let all = u32::try_from(local.workers).unwrap_or(u32::MAX);
        if tokio::time::timeout(grace, local.slots.acquire_many(all))
            .await
            .is_ok()
        {
            return;
        }
        let running: Vec<i32> = local.running().keys().copied().collect();
        tracing::info!(runs = running.len(), "handing summary runs back");
        for id in &running {
            local.halt(*id, Halt::HandBack);
        }
        // Calls in flight end within the LLM deadline; a few seconds more
        // are enough for most, and the lease covers the rest.
        let _ = tokio::time::timeout(Duration::from_secs(5), local.slots.acquire_many(all)).await;
        let still_running: Vec<i32> = local.running().keys().copied().collect();
        for id in still_running {
            if let Err(e) = summary_runs::release(&self.service.db, id, &local.owner).await {
                tracing::warn!(error = %e, run_id = id, "handing a summary run back failed");
            }
        }
    }
}
