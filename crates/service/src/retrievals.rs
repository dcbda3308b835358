//! Retrieval runs: a stream's sources read into its candidate pool.
//!
//! A run is a durable job under the lease summary runs use
//! ([`repository::leases`]): queued by a curator, claimed by whichever
//! process has a free retrieval worker, its lease renewed while it works.
//! It reads each source a page at a time; each page's candidates and the
//! run's place (source, next record) are written in one transaction, and no
//! connection is held while a source is asked. A process that dies loses
//! at most the page in flight: the next claim resumes from the stored place
//! (asking the source again for that page), and the pool's uniqueness per
//! stream and article stores each candidate once whatever is fetched twice.
//!
//! A stream with `retrieval_config.screening` has its new candidates
//! screened by the LLM once its sources are read (and after each import,
//! by a run that reads no source): a batch at a time, each batch's scores,
//! exclusions and ledger rows in one transaction, so a crash repeats at
//! most the calls of the batch in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use entity::enums::{CandidateSource, RunStatus, RunTrigger};
use repository::retrieval_runs::{self, Advance, NewRetrieval};
use repository::{Page, Paginated};
use sea_orm::DatabaseConnection;
use sources::outbound::{Outbound, Policy};
use sources::pubmed::{self, DateField, Pubmed, PubmedError};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

pub use repository::retrieval_runs::RetrievalRun;

use crate::access::Actor;
use crate::candidates::{self, PreparedFile};
use crate::follow::{self, Feed, Followed};
use crate::stream_config::{PubmedDateField, Source};
use crate::summaries::SummaryService;
use crate::{ConflictKind, JobSettings, ServiceError, SourceSettings, StartupError};

/// Claims of a run at most; the next claim fails it (a run that keeps
/// killing its process must not keep coming back).
const MAX_ATTEMPTS: i32 = 5;
/// Records one run reads of one source at most.
pub const RECORDS_PER_SOURCE: u64 = 100_000;

/// Starts, reads and cancels retrieval runs, and works on them.
#[derive(Clone)]
pub struct RetrievalService {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    /// The outbound client feeds are read through (PubMed has its own
    /// clone, with its pace).
    http: Outbound,
    pubmed: Pubmed,
    /// The folder `feed_file` sources are read from (`sources.feed_files_dir`).
    feed_files: Option<std::path::PathBuf>,
    /// Bytes of a feed file read at most, as of any answer from a source.
    max_bytes: usize,
    jobs: JobSettings,
    workers: usize,
    /// This process's name on the leases it holds.
    owner: String,
    slots: Arc<Semaphore>,
    /// Wakes the claim loop: a run was queued here, or a worker freed.
    wake: Notify,
    /// Set on shutdown: runs stop at the next page and go back to the queue.
    stopping: AtomicBool,
    /// Ticks whenever a run changes here (a page stored, an end, a
    /// cancel): the followers' readers look again then, and at each poll
    /// for runs other processes work on.
    changed: watch::Sender<()>,
    /// The runs this process's event streams follow.
    followed: Followed<RetrievalRun>,
    /// LLM calls of screening: the summaries' provider, settings, fair
    /// share, cache and budgets.
    summaries: SummaryService,
}

/// Candidates an estimate of screening counts at most.
pub const ESTIMATED_CANDIDATES: u64 = 10_000;

/// Candidates screened per batch: one transaction each.
const SCREENING_BATCH: u64 = 32;

impl RetrievalService {
    pub fn new(
        db: DatabaseConnection,
        settings: &SourceSettings,
        jobs: JobSettings,
        summaries: SummaryService,
    ) -> Result<Self, StartupError> {
        let http = Outbound::new(Policy {
            allow_private: settings.allow_private,
            timeout: Duration::from_secs_f64(settings.request_timeout_secs.clamp(1.0, 600.0)),
            max_bytes: settings.max_response_bytes,
        })
        .map_err(|e| StartupError::Config(format!("sources: {e}")))?;
        let base_url = url::Url::parse(&settings.pubmed.base_url)
            .map_err(|e| StartupError::Config(format!("sources.pubmed.base_url: {e}")))?;
        let pubmed = Pubmed::new(
            http.clone(),
            pubmed::Config {
                base_url,
                api_key: settings
                    .pubmed
                    .api_key
                    .as_ref()
                    .map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned()),
                page_size: settings.pubmed.page_size,
                max_attempts: settings.pubmed.max_attempts,
                backoff: Duration::from_millis(settings.pubmed.backoff_ms),
            },
        );
        let workers = settings.workers.min(256);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                http,
                pubmed,
                feed_files: settings.feed_files(),
                max_bytes: settings.max_response_bytes,
                workers,
                owner: crate::summaries::lease_owner(),
                slots: Arc::new(Semaphore::new(workers)),
                wake: Notify::new(),
                stopping: AtomicBool::new(false),
                changed: watch::channel(()).0,
                followed: Followed::default(),
                summaries,
                jobs,
            }),
        })
    }

    fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// Queues a run of the stream's sources (its curators), or answers the
    /// run already queued or running: `true` when this call queued it. The
    /// run looks back `retrieval_config.lookback_days` from now.
    pub async fn start(
        &self,
        actor: &Actor,
        stream_id: i32,
    ) -> Result<(RetrievalRun, bool), ServiceError> {
        let stream = crate::streams::get_for_change(self.db(), actor, stream_id).await?;
        let config = &stream.retrieval_config;
        if config.sources.is_empty() && config.screening.is_none() {
            // The request is well formed; the stream is not ready for it.
            return Err(ConflictKind::NoSources
                .because("the stream has no sources to retrieve from (retrieval_config.sources)"));
        }
        let to = Utc::now();
        let from = to - chrono::Duration::days(i64::from(config.lookback_days));
        let queued = retrieval_runs::queue_or_join(
            self.db(),
            NewRetrieval {
                stream_id,
                org_id: stream.org_id,
                requested_by: Some(actor.id),
                trigger: RunTrigger::Manual,
                due_at: None,
                window_from: from,
                window_to: to,
                first_source: 0,
            },
        )
        .await?;
        if queued.1 {
            self.inner.wake.notify_one();
        }
        Ok(queued)
    }

    /// After an import into a stream that screens: queues a run that reads
    /// no source and screens the pool's new candidates, or joins the
    /// stream's active run (which screens them at its end). The run's id;
    /// none when the stream does not screen.
    pub async fn screen_imported(&self, stream_id: i32) -> Result<Option<i32>, ServiceError> {
        let Some(stream) = repository::streams::find(self.db(), stream_id).await? else {
            return Ok(None);
        };
        if stream.retrieval_config.screening.is_none() {
            return Ok(None);
        }
        let now = Utc::now();
        let (run, queued) = retrieval_runs::queue_or_join(
            self.db(),
            NewRetrieval {
                stream_id,
                org_id: stream.org_id,
                requested_by: None,
                trigger: RunTrigger::Screening,
                due_at: None,
                window_from: now,
                window_to: now,
                first_source: i32::try_from(stream.retrieval_config.sources.len())
                    .unwrap_or(i32::MAX),
            },
        )
        .await?;
        if queued {
            self.inner.wake.notify_one();
        }
        Ok(Some(run.id))
    }

    /// What screening the stream's pool would cost now (its curators): the
    /// candidates still to screen (at most [`ESTIMATED_CANDIDATES`]), the
    /// calls, the answers the cache holds and the tokens at most. 409 for
    /// a stream that does not screen.
    pub async fn estimate_screening(
        &self,
        actor: &Actor,
        stream_id: i32,
    ) -> Result<crate::summaries::ScreeningEstimate, ServiceError> {
        let stream = crate::streams::get_for_change(self.db(), actor, stream_id).await?;
        let Some(screening) = &stream.retrieval_config.screening else {
            return Err(ConflictKind::NoScreening.because(
                "the stream does not screen its candidates (retrieval_config.screening)",
            ));
        };
        let pool =
            repository::candidates::unscreened(self.db(), stream_id, ESTIMATED_CANDIDATES).await?;
        self.inner
            .summaries
            .estimate_screening(&stream, screening, pool)
            .await
    }

    /// A run of a stream the caller curates; any other run looks missing.
    pub async fn run_of(&self, actor: &Actor, run_id: i32) -> Result<RetrievalRun, ServiceError> {
        let run = retrieval_runs::find(self.db(), run_id)
            .await?
            .ok_or(ServiceError::NotFound("retrieval run"))?;
        match crate::streams::get_for_change(self.db(), actor, run.stream_id).await {
            Ok(_) => Ok(run),
            Err(ServiceError::NotFound(_)) => Err(ServiceError::NotFound("retrieval run")),
            Err(other) => Err(other),
        }
    }

    /// The stream's runs, newest first (its curators).
    pub async fn runs_of_stream(
        &self,
        actor: &Actor,
        stream_id: i32,
        page: Page,
    ) -> Result<Paginated<RetrievalRun>, ServiceError> {
        crate::streams::get_for_change(self.db(), actor, stream_id).await?;
        Ok(retrieval_runs::list_for_stream(self.db(), stream_id, page).await?)
    }

    /// Cancels a queued or running run: its worker stops before the next
    /// page; the candidates already stored stay.
    pub async fn cancel(&self, actor: &Actor, run_id: i32) -> Result<RetrievalRun, ServiceError> {
        self.run_of(actor, run_id).await?;
        if !retrieval_runs::cancel(self.db(), run_id).await? {
            return Err(ConflictKind::RunEnded.because(format!(
                "the retrieval run has already ended ({})",
                retrieval_runs::get(self.db(), run_id).await?.status
            )));
        }
        self.tell_followers();
        Ok(retrieval_runs::get(self.db(), run_id).await?)
    }

    /// A run of a stream the caller curates, now and as it changes: the
    /// receiver holds the latest state, and its sender goes away after the
    /// run's last state.
    pub async fn follow(
        &self,
        actor: &Actor,
        run_id: i32,
    ) -> Result<watch::Receiver<RetrievalRun>, ServiceError> {
        let run = self.run_of(actor, run_id).await?;
        Ok(follow::follow(self, run, run_id))
    }

    fn tell_followers(&self) {
        self.inner.changed.send_replace(());
    }

    fn poll(&self) -> Duration {
        Duration::from_millis(self.inner.jobs.poll_ms.clamp(10, 60_000))
    }

    /// Starts this process's retrieval workers on the current runtime: runs
    /// queued here start at once, and every `jobs.poll_ms` it takes queued
    /// runs and runs whose lease expired.
    pub fn start_workers(&self) -> RetrievalWorkers {
        let this = self.clone();
        let poller = tokio::spawn(async move {
            let poll = this.poll();
            loop {
                this.queue_due_schedules().await;
                this.claim_while_free().await;
                let _ = tokio::time::timeout(poll, this.inner.wake.notified()).await;
            }
        });
        RetrievalWorkers {
            service: self.clone(),
            poller,
        }
    }

    /// Queues a run for each stream whose schedule is due, and moves its
    /// schedule on to the next due time after now. Every process does this;
    /// the unique index on (stream, due time) lets one run in per due time,
    /// and a schedule that fell due several times while no process ran
    /// queues one run, for the first of them.
    async fn queue_due_schedules(&self) {
        let now = Utc::now();
        let due = match retrieval_runs::due_schedules(self.db(), now, 32).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "looking for due retrieval schedules failed");
                return;
            }
        };
        for (stream_id, due_at) in due {
            if let Err(e) = self.queue_scheduled(stream_id, due_at, now).await {
                tracing::warn!(stream_id, error = %e, "queueing a scheduled retrieval failed");
            }
        }
    }

    async fn queue_scheduled(
        &self,
        stream_id: i32,
        due_at: chrono::DateTime<Utc>,
        now: chrono::DateTime<Utc>,
    ) -> Result<(), repository::RepoError> {
        let db = self.db();
        // A deleted stream's schedule went with it.
        let Some(stream) = repository::streams::find(db, stream_id).await? else {
            return Ok(());
        };
        let config = &stream.retrieval_config;
        let next = config
            .schedule
            .as_ref()
            .and_then(|s| crate::schedules::Parsed::of(s, "schedule").ok())
            .and_then(|s| s.next_after(now));
        if stream.is_active && !config.sources.is_empty() {
            let queued = retrieval_runs::queue_scheduled(
                db,
                NewRetrieval {
                    stream_id,
                    org_id: stream.org_id,
                    requested_by: None,
                    trigger: RunTrigger::Schedule,
                    due_at: Some(due_at),
                    window_from: due_at - chrono::Duration::days(i64::from(config.lookback_days)),
                    window_to: due_at,
                    first_source: 0,
                },
            )
            .await?;
            if queued.is_some() {
                tracing::info!(stream_id, %due_at, "queued a scheduled retrieval");
                self.inner.wake.notify_one();
            }
        }
        retrieval_runs::move_schedule(db, stream_id, now, next).await
    }

    async fn claim_while_free(&self) {
        while !self.inner.stopping.load(Ordering::Relaxed) {
            let Ok(slot) = self.inner.slots.clone().try_acquire_owned() else {
                return;
            };
            let now = Utc::now();
            let ids = match retrieval_runs::claimable(self.db(), now, 16).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "looking for retrieval runs failed");
                    return;
                }
            };
            let mut claimed = None;
            for id in ids {
                match retrieval_runs::claim(
                    self.db(),
                    id,
                    &self.inner.owner,
                    now,
                    self.lease_until(),
                )
                .await
                {
                    Ok(Some(run)) => {
                        claimed = Some(run);
                        break;
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, run_id = id, "claiming a retrieval run failed");
                        return;
                    }
                }
            }
            let Some(run) = claimed else { return };
            tokio::spawn(self.clone().execute(run, slot));
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(self.inner.jobs.lease_secs.clamp(1, 86_400))
    }

    fn lease_until(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.lease()).unwrap_or_default()
    }

    /// Ends a run as succeeded and, in the same transaction, tells the
    /// webhooks of the organizations that read its stream.
    async fn succeeded(&self, run_id: i32) -> Result<(), repository::RepoError> {
        let txn = repository::database::begin_write(self.db()).await?;
        let ended =
            retrieval_runs::finish(&txn, run_id, &self.inner.owner, RunStatus::Succeeded, None)
                .await?;
        if ended {
            let run = retrieval_runs::get(&txn, run_id).await?;
            if let Some(stream) = repository::streams::find(&txn, run.stream_id).await? {
                let data = serde_json::json!({
                    "run_id": run.id,
                    "stream_id": stream.id,
                    "stream_name": stream.stream_name,
                    "trigger": run.trigger.to_string(),
                    "retrieved": run.retrieved,
                    "duplicates": run.duplicates,
                    "new_candidates": run.new_candidates,
                    "rejected": run.rejected,
                    "screened_out": run.screened_out,
                });
                crate::webhooks::enqueue(&txn, &stream, "retrieval.completed", None, data)
                    .await
                    .map_err(|e| {
                        repository::RepoError::Db(sea_orm::DbErr::Custom(e.to_string()))
                    })?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Works on a claimed run until it ends, is halted, or is handed back.
    async fn execute(self, run: RetrievalRun, slot: OwnedSemaphorePermit) {
        let halted = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(self.clone().heartbeat(run.id, halted.clone()));
        let ended = if run.attempt > MAX_ATTEMPTS {
            Err(Failure::Source(format!(
                "abandoned after {MAX_ATTEMPTS} attempts"
            )))
        } else {
            self.retrieve(&run, &halted).await
        };
        heartbeat.abort();
        let db = self.db();
        let owner = &self.inner.owner;
        let result = match ended {
            Ok(true) => self.succeeded(run.id).await,
            Err(Failure::Source(error)) => {
                tracing::warn!(run_id = run.id, %error, "a retrieval run failed");
                retrieval_runs::finish(db, run.id, owner, RunStatus::Failed, Some(error))
                    .await
                    .map(drop)
            }
            // Halted (cancelled, taken over, shutting down) or the database
            // failed: the run goes back to the queue, or stays cancelled.
            Ok(false) => retrieval_runs::release(db, run.id, owner).await,
            Err(Failure::Store(e)) => {
                tracing::warn!(run_id = run.id, error = %e, "storing a retrieval page failed");
                retrieval_runs::release(db, run.id, owner).await
            }
        };
        if let Err(e) = result {
            // The lease expires and a process resumes the run.
            tracing::warn!(run_id = run.id, error = %e, "ending a retrieval run failed");
        }
        self.tell_followers();
        drop(slot);
        self.inner.wake.notify_one();
    }

    /// Keeps the run's lease; halts the run once it is no longer this
    /// process's (cancelled, taken over).
    async fn heartbeat(self, run_id: i32, halted: Arc<AtomicBool>) {
        crate::lease_keeper::keep::<entity::retrieval_run::Entity>(
            self.db(),
            run_id,
            &self.inner.owner,
            self.lease(),
        )
        .await;
        halted.store(true, Ordering::Relaxed);
    }

    /// Reads the run's sources from where it stands: `true` when every
    /// source was read, `false` when it was halted on the way.
    async fn retrieve(&self, run: &RetrievalRun, halted: &AtomicBool) -> Result<bool, Failure> {
        let Some(stream) = repository::streams::find(self.db(), run.stream_id)
            .await
            .map_err(store_failure)?
        else {
            return Err(Failure::Source("the stream no longer exists".into()));
        };
        let sources = &stream.retrieval_config.sources;
        let mut index = usize::try_from(run.source_index).unwrap_or(0);
        let mut start = u64::try_from(run.next_start).unwrap_or(0);
        while let Some(source) = sources.get(index) {
            let read = match source {
                Source::Pubmed { query, date_field } => {
                    self.read_pubmed(run, halted, (index, start), query, *date_field)
                        .await?
                }
                Source::Feed { url } => self.read_feed(run, halted, index, url).await?,
                Source::FeedFile { path } => self.read_feed_file(run, halted, index, path).await?,
            };
            if !read {
                return Ok(false);
            }
            index += 1;
            start = 0;
        }
        match &stream.retrieval_config.screening {
            Some(screening) => self.screen_pool(run, &stream, screening, halted).await,
            None => Ok(true),
        }
    }

    /// Screens the stream's unscreened candidates a batch at a time until
    /// none is left; `false` when halted on the way. A batch whose calls
    /// failed is stored (what succeeded, and every request on the ledger)
    /// and then fails the run: its candidates stay unscreened for the next.
    async fn screen_pool(
        &self,
        run: &RetrievalRun,
        stream: &repository::streams::Stream,
        screening: &entity::stream_config::Screening,
        halted: &AtomicBool,
    ) -> Result<bool, Failure> {
        let summaries = &self.inner.summaries;
        loop {
            if self.halted(halted) {
                return Ok(false);
            }
            let batch = repository::candidates::unscreened(self.db(), stream.id, SCREENING_BATCH)
                .await
                .map_err(store_failure)?;
            if batch.is_empty() {
                return Ok(true);
            }
            let answered =
                summaries
                    .screen(stream, screening, batch)
                    .await
                    .map_err(|e| match e {
                        ServiceError::Unavailable(_) | ServiceError::Internal(_) => {
                            store_failure(e)
                        }
                        ServiceError::BudgetExceeded { detail, .. } => {
                            Failure::Source(format!("LLM screening: {detail}"))
                        }
                        other => Failure::Source(format!("LLM screening: {other}")),
                    })?;
            let txn = repository::database::begin_write(self.db())
                .await
                .map_err(store_failure)?;
            let excluded = repository::candidates::record_screening(
                &txn,
                &answered.screened,
                crate::reports::SCREENED_OUT,
                Utc::now(),
            )
            .await
            .map_err(store_failure)?;
            repository::usage::record_many(&txn, answered.rows)
                .await
                .map_err(store_failure)?;
            let ours = retrieval_runs::screened(
                &txn,
                run.id,
                &self.inner.owner,
                i32::try_from(excluded).unwrap_or(i32::MAX),
            )
            .await
            .map_err(store_failure)?;
            if !ours {
                let _ = txn.rollback().await;
                return Ok(false);
            }
            txn.commit().await.map_err(store_failure)?;
            summaries.keep_in_cache(answered.cache).await;
            self.tell_followers();
            if let Some((_, error)) = answered.failed.first() {
                return Err(Failure::Source(format!(
                    "LLM screening failed for {} candidate(s): {error}",
                    answered.failed.len()
                )));
            }
        }
    }

    /// Reads a PubMed search from `at` (source, next record) a page at a
    /// time; `false` when halted on the way.
    async fn read_pubmed(
        &self,
        run: &RetrievalRun,
        halted: &AtomicBool,
        at: (usize, u64),
        query: &str,
        date_field: PubmedDateField,
    ) -> Result<bool, Failure> {
        let (index, mut start) = at;
        let query = pubmed::Query {
            term: query.to_owned(),
            date_field: match date_field {
                PubmedDateField::Entrez => DateField::Entrez,
                PubmedDateField::Publication => DateField::Publication,
            },
            from: run.window_from.date_naive(),
            to: run.window_to.date_naive(),
        };
        let history = self
            .inner
            .pubmed
            .search(&query)
            .await
            .map_err(source_failure)?;
        let total = history.count.min(RECORDS_PER_SOURCE);
        let page_size = u64::from(self.inner.pubmed.page_size());
        loop {
            if self.halted(halted) {
                return Ok(false);
            }
            let done = start >= total;
            let page = if done {
                PreparedFile::default()
            } else {
                let parsed = self
                    .inner
                    .pubmed
                    .fetch(&history, start)
                    .await
                    .map_err(source_failure)?;
                crate::cpu::run(move || candidates::prepare_parsed(parsed))
                    .await
                    .map_err(store_failure)?
            };
            let next = start + page_size;
            let (next_index, next_start) = if done || next >= total {
                (index + 1, 0)
            } else {
                (index, next)
            };
            let source = CandidateSource::Pubmed;
            if !self
                .store_page(run, source, &page, next_index, next_start)
                .await?
            {
                return Ok(false);
            }
            if next_index != index {
                return Ok(true);
            }
            start = next;
        }
    }

    /// Reads a feed whole: one page.
    async fn read_feed(
        &self,
        run: &RetrievalRun,
        halted: &AtomicBool,
        index: usize,
        url: &str,
    ) -> Result<bool, Failure> {
        if self.halted(halted) {
            return Ok(false);
        }
        let url = url::Url::parse(url).map_err(|e| Failure::Source(format!("feed {url}: {e}")))?;
        let parsed = sources::feed::fetch(&self.inner.http, &url)
            .await
            .map_err(|e| Failure::Source(format!("feed {url}: {e}")))?;
        let page = crate::cpu::run(move || candidates::prepare_parsed(parsed))
            .await
            .map_err(store_failure)?;
        self.store_page(run, CandidateSource::Feed, &page, index + 1, 0)
            .await
    }

    /// Reads a feed file of `sources.feed_files_dir` whole: one page.
    async fn read_feed_file(
        &self,
        run: &RetrievalRun,
        halted: &AtomicBool,
        index: usize,
        path: &str,
    ) -> Result<bool, Failure> {
        if self.halted(halted) {
            return Ok(false);
        }
        let failed = |why: String| Failure::Source(format!("feed file {path}: {why}"));
        let Some(dir) = &self.inner.feed_files else {
            return Err(failed(
                "this server reads no feed files (sources.feed_files_dir is not set)".into(),
            ));
        };
        // The stream was checked when it was written, maybe under other
        // settings; the path is checked again before it is joined.
        if !entity::bounds::is_relative_path(path) {
            return Err(failed(
                "not a relative path inside sources.feed_files_dir".into(),
            ));
        }
        let file = dir.join(path);
        let body = read_bounded(&file, self.inner.max_bytes)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let page = crate::cpu::run(move || {
            sources::feed::parse(&body, None).map(candidates::prepare_parsed)
        })
        .await
        .map_err(store_failure)?
        .map_err(|e| failed(e.to_string()))?;
        self.store_page(run, CandidateSource::Feed, &page, index + 1, 0)
            .await
    }

    fn halted(&self, halted: &AtomicBool) -> bool {
        halted.load(Ordering::Relaxed) || self.inner.stopping.load(Ordering::Relaxed)
    }

    /// Stores a page's candidates and moves the run on, in one transaction;
    /// `false` (and nothing stored) when the run is no longer this
    /// process's to write.
    async fn store_page(
        &self,
        run: &RetrievalRun,
        source: CandidateSource,
        page: &PreparedFile,
        next_index: usize,
        next_start: u64,
    ) -> Result<bool, Failure> {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let txn = repository::database::begin_write(self.db())
            .await
            .map_err(store_failure)?;
        let stored = candidates::store(&txn, run.stream_id, &page.records, source, Some(run.id))
            .await
            .map_err(store_failure)?;
        let step = Advance {
            source_index: count(next_index),
            next_start: i32::try_from(next_start).unwrap_or(i32::MAX),
            retrieved: count(page.records.len() + page.duplicates + page.rejected.len()),
            duplicates: count(page.duplicates + stored.known),
            new_candidates: count(stored.new),
            rejected: count(page.rejected.len()),
        };
        let advanced = retrieval_runs::advance(&txn, run.id, &self.inner.owner, step)
            .await
            .map_err(store_failure)?;
        if !advanced {
            let _ = txn.rollback().await;
            return Ok(false);
        }
        txn.commit().await.map_err(store_failure)?;
        self.tell_followers();
        Ok(true)
    }
}

impl Feed for RetrievalService {
    type Run = RetrievalRun;

    fn followed(&self) -> &Followed<RetrievalRun> {
        &self.inner.followed
    }

    async fn until_changed(&self, _run_id: i32) {
        // Any run's change here wakes every reader: a run changes once per
        // page, and a reader that finds nothing new sends nothing.
        let mut changes = self.inner.changed.subscribe();
        let _ = tokio::time::timeout(self.poll(), changes.changed()).await;
    }

    async fn read(&self, run_id: i32) -> Result<Option<RetrievalRun>, repository::RepoError> {
        // A deleted stream takes its runs with it.
        retrieval_runs::find(self.db(), run_id).await
    }

    fn retry_after(&self) -> Duration {
        self.poll()
    }
}

/// The file's bytes, unless it holds more than `max`.
async fn read_bounded(file: &std::path::Path, max: usize) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let opened = tokio::fs::File::open(file).await?;
    let mut body = Vec::new();
    // One byte past the bound tells a file that is too large from one that
    // fits exactly, whatever its size said when it was opened.
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    opened.take(limit).read_to_end(&mut body).await?;
    if body.len() > max {
        return Err(std::io::Error::other(format!(
            "larger than {max} bytes (sources.max_response_bytes)"
        )));
    }
    Ok(body)
}

/// Why a run stopped short.
enum Failure {
    /// The source refused or kept failing (after the client's retries):
    /// the run fails, naming it.
    Source(String),
    /// The database failed: the run goes back to the queue.
    Store(String),
}

fn store_failure(e: impl std::fmt::Display) -> Failure {
    Failure::Store(e.to_string())
}

fn source_failure(e: PubmedError) -> Failure {
    Failure::Source(format!("PubMed: {e}"))
}

/// This process's retrieval workers, stopped by [`RetrievalWorkers::shutdown`].
pub struct RetrievalWorkers {
    service: RetrievalService,
    poller: tokio::task::JoinHandle<()>,
}

impl RetrievalWorkers {
    /// Stops taking runs; runs in progress stop at their next page and go
    /// back to the queue (within `grace`; a run still asking its source
    /// then is left to its lease).
    pub async fn shutdown(self, grace: Duration) {
        self.poller.abort();
        let inner = &self.service.inner;
        inner.stopping.store(true, Ordering::Relaxed);
        let all = u32::try_from(inner.workers).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(grace, inner.slots.acquire_many(all)).await;
    }
}
