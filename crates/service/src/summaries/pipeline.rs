//! One summary run: read the report, article summaries, category summaries,
//! the executive summary, then save. Each stage is parallel and bounded; no
//! database connection is held while the LLM works. Finished calls are stored
//! with their results in one transaction per stage (and every
//! `jobs.flush_ms` while a stage runs), so a run resumed by another process
//! pays for nothing stored twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use entity::enums::{LlmStage, RunStatus};
use futures::stream::{self, StreamExt};
use repository::associations::{self, ReportArticle};
use repository::reports::{self, ReportWithArticles};
use repository::streams::Stream;
use repository::summary_cache::{self, CachedSummary, NewCachedSummary};
use repository::summary_runs::{
    self, CategorySummaries, Outcome, Progress, RunFailures, SummaryRun,
};
use repository::usage::{self, NewUsage};
use tracing::Instrument;

use super::job::{Halt, Job, MAX_ATTEMPTS};
use super::{Call, StageConfig, SummaryResult, SummaryService, prompts};
use crate::ServiceError;
use crate::error::FailedItem;
use crate::reports::ReportEnrichments;

/// How a worker's part of a run ended.
pub(super) enum Ended {
    /// Every stage succeeded: the enrichments to save, with the last call
    /// (boxed: the other outcomes are a few words).
    Done(Box<(ReportEnrichments, Pending)>),
    /// An LLM call failed, or the run cannot go on.
    Failed(ServiceError),
    /// Halted before the end (cancelled, handed back, lease lost).
    Halted(Halt),
    /// Claimed too often without ending: given up.
    Abandoned,
}

/// Why the pipeline stopped early.
enum Stop {
    Halted(Halt),
    Failed(ServiceError),
}

impl From<ServiceError> for Stop {
    fn from(err: ServiceError) -> Self {
        Stop::Failed(err)
    }
}

impl From<sea_orm::DbErr> for Stop {
    fn from(err: sea_orm::DbErr) -> Self {
        Stop::Failed(err.into())
    }
}

impl From<repository::RepoError> for Stop {
    fn from(err: repository::RepoError) -> Self {
        Stop::Failed(err.into())
    }
}

/// Finished calls not stored yet: their ledger rows, article summaries and
/// share of the run's progress (with the stage the run moves to, if any).
#[derive(Default)]
pub(super) struct Pending {
    rows: Vec<NewUsage>,
    articles: Vec<(i32, String)>,
    /// Article summaries to keep in the summary cache.
    cache: Vec<NewCachedSummary>,
    progress: Progress,
    /// When the oldest of them finished.
    since: Option<Instant>,
}

impl Pending {
    /// Adds a finished call and its ledger rows; `article` is the article it
    /// summarized, if it did.
    fn push(&mut self, rows: Vec<NewUsage>, call: &Call, article: Option<i32>) {
        self.progress.calls += 1;
        if let Ok(r) = &call.result {
            self.progress.prompt_tokens += i64::from(r.prompt_tokens);
            self.progress.completion_tokens += i64::from(r.completion_tokens);
            if let Some(id) = article {
                self.progress.articles_done += 1;
                self.articles.push((id, r.text.clone()));
            }
        }
        self.rows.extend(rows);
        self.since.get_or_insert_with(Instant::now);
    }

    /// Adds an article summary reused from the cache, with its zero-cost
    /// ledger row: progress, but no call.
    fn reuse(&mut self, row: NewUsage, article: i32, text: String) {
        self.progress.articles_done += 1;
        self.articles.push((article, text));
        self.rows.push(row);
        self.since.get_or_insert_with(Instant::now);
    }

    /// When these calls are due to be stored, if there are any.
    fn due(&self, flush: std::time::Duration) -> Option<Instant> {
        self.since.map(|since| since + flush)
    }
}

/// What a stage's calls brought next.
enum Next<K> {
    /// The next call to finish and every other one ready by then, so that
    /// calls finishing together are noted together.
    Batch(Vec<(K, Call)>),
    /// Pending calls are due to be stored before more finish.
    Due,
    /// Every call has come back.
    End,
}

async fn next_batch<K>(
    results: &mut (impl futures::Stream<Item = (K, Call)> + Unpin),
    span: &tracing::Span,
    due: Option<Instant>,
) -> Next<K> {
    use futures::FutureExt;
    let next = results.next().instrument(span.clone());
    // A stream's `next` is cancel-safe: a timed-out wait loses no call.
    let first = match due {
        None => next.await,
        Some(due) => match tokio::time::timeout_at(due.into(), next).await {
            Ok(first) => first,
            Err(_) => return Next::Due,
        },
    };
    let Some(first) = first else {
        return Next::End;
    };
    let mut batch = vec![first];
    while let Some(Some(more)) = results.next().now_or_never() {
        batch.push(more);
    }
    Next::Batch(batch)
}

/// The items of this attempt that failed, and the model of the last call.
#[derive(Default)]
struct Ledger {
    failed: Vec<FailedItem>,
    timeout: bool,
    model: Option<String>,
}

impl Ledger {
    /// Notes a call (already stored); its text when it succeeded.
    fn note(&mut self, call: &Call, item: Option<String>) -> Option<String> {
        self.model = Some(call.model.clone());
        match &call.result {
            Ok(r) => Some(r.text.clone()),
            Err(e) => {
                self.timeout |= e.is_timeout();
                self.failed.push(FailedItem {
                    stage: call.stage.to_string(),
                    item,
                    error: e.category().to_owned(),
                });
                None
            }
        }
    }

    fn all_ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Article summaries by article id: the stored ones, then this run's.
struct ArticleSummaries {
    by_article: HashMap<i32, String>,
}

impl ArticleSummaries {
    /// Each article of `all` that has a summary and is `listed`, as the
    /// later prompts list it: numbered by its place in `all`, the report's
    /// articles, so that every prompt of the run cites by one numbering.
    fn lines(&self, all: &[ReportArticle], listed: impl Fn(&ReportArticle) -> bool) -> Vec<String> {
        all.iter()
            .enumerate()
            .filter(|(_, a)| listed(a))
            .filter_map(|(i, a)| {
                let summary = self.by_article.get(&a.article.id)?;
                Some(prompts::listed(i + 1, &a.article.title, summary))
            })
            .collect()
    }
}

/// The article stage's requests: the prompt of each article to summarize
/// that the cache cannot answer, the cache's answers, and each request's
/// cache key.
pub(super) struct ArticlePlan {
    pub(super) calls: Vec<(i32, String)>,
    pub(super) hits: Vec<(i32, CachedSummary)>,
    pub(super) keys: HashMap<i32, String>,
}

/// What a run reads before any LLM call.
pub(super) struct Input {
    pub(super) stream: Stream,
    pub(super) loaded: ReportWithArticles,
}

impl SummaryService {
    /// The worker's part of a run: from what is stored (a resumed run skips
    /// what earlier attempts paid for) to the enrichments, or why not.
    pub(super) async fn run(&self, job: &Job, row: &SummaryRun) -> Ended {
        let started = Instant::now();
        let input = match self.read(job.report_id).await {
            Ok(input) => input,
            Err(e) => return Ended::Failed(e),
        };
        let span = tracing::info_span!(
            "summary_run",
            run_id = job.id,
            report_id = job.report_id,
            attempt = row.attempt,
            articles = input.loaded.articles.len()
        );
        let ended = match self.stages(job, row, &input).instrument(span.clone()).await {
            Ok(done) => Ended::Done(Box::new(done)),
            Err(Stop::Halted(halt)) => Ended::Halted(halt),
            Err(Stop::Failed(e)) => Ended::Failed(e),
        };
        span.in_scope(|| {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = matches!(ended, Ended::Done(..)),
                "summary run finished"
            )
        });
        ended
    }

    /// The stages in order; the enrichments and the executive call, still to
    /// be stored with the end of the run.
    async fn stages(
        &self,
        job: &Job,
        row: &SummaryRun,
        input: &Input,
    ) -> Result<(ReportEnrichments, Pending), Stop> {
        let mut ledger = Ledger::default();
        let (summaries, pending) = self.article_stage(job, input, &mut ledger).await?;
        self.end_stage(job, pending, &ledger, LlmStage::CategorySummary)
            .await?;
        let (category_summaries, pending) = self
            .category_stage(job, row, input, &summaries, &mut ledger)
            .await?;
        self.end_stage(job, pending, &ledger, LlmStage::ExecutiveSummary)
            .await?;
        let lines = summaries.lines(&input.loaded.articles, |_| true);
        let (executive_summary, pending) = self
            .executive_stage(job, input, &lines, &category_summaries, &mut ledger)
            .await?;
        let Some(executive_summary) = executive_summary else {
            self.store(job, pending).await?;
            return Err(ledger.error());
        };
        let model = ledger
            .model
            .unwrap_or_else(|| self.provider.default_model().to_owned());
        let enrichments = ReportEnrichments {
            executive_summary: Some(executive_summary),
            category_summaries,
            provider: Some(self.provider.name().to_owned()),
            model: Some(model),
            generated_at: Some(chrono::Utc::now()),
            numbering: input.loaded.articles.iter().map(|a| a.article.id).collect(),
            // New text: what curators let stand was a different text.
            acknowledged: Vec::new(),
        };
        Ok((enrichments, pending))
    }

    /// Stores a stage's last calls, moving the run to `next` when the stage
    /// succeeded and the run goes on; stops when it does not.
    async fn end_stage(
        &self,
        job: &Job,
        mut pending: Pending,
        ledger: &Ledger,
        next: LlmStage,
    ) -> Result<(), Stop> {
        let go_on = ledger.all_ok() && job.halt.get().is_none();
        if go_on {
            pending.progress.stage = Some(next);
        }
        self.store(job, pending).await?;
        halted(job)?;
        if !ledger.all_ok() {
            return Err(ledger.error());
        }
        Ok(())
    }

    /// Notes each call of a stage as it finishes (after what `pending`
    /// already holds) and stores them when due; returns, once every call is
    /// back, the ones still to store.
    async fn drive<K>(
        &self,
        job: &Job,
        mut results: impl futures::Stream<Item = (K, Call)> + Unpin,
        span: &tracing::Span,
        mut pending: Pending,
        mut note: impl FnMut(K, Call, &mut Pending),
    ) -> Result<Pending, Stop> {
        let flush = self.local.flush();
        loop {
            match next_batch(&mut results, span, pending.due(flush)).await {
                Next::Batch(batch) => {
                    for (key, call) in batch {
                        note(key, call, &mut pending);
                    }
                }
                Next::Due => self.store(job, std::mem::take(&mut pending)).await?,
                Next::End => return Ok(pending),
            }
        }
    }

    /// The ledger rows of a call of this run, one per request it sent.
    fn ledger_rows(&self, job: &Job, call: &Call, item: Option<String>) -> Vec<NewUsage> {
        let mut rows = self.usage_rows(call, job.org_id, Some(job.report_id));
        for row in &mut rows {
            row.run_id = Some(job.id);
            row.item = item.clone();
        }
        rows
    }

    /// The report with its visible articles, and its stream; each query
    /// takes a pooled connection and gives it back.
    pub(super) async fn read(&self, report_id: i32) -> Result<Input, ServiceError> {
        let (report, stream) = reports::find_with_stream(&self.db, report_id)
            .await?
            .ok_or(ServiceError::NotFound("report"))?;
        // A request checks this before queueing; an approval that committed
        // between that check and the queueing (it saw no run) shows here,
        // before any call: approvals refuse while a run is active, so none
        // can come later.
        if report.approval_status == entity::enums::ApprovalStatus::Approved {
            return Err(crate::report_guards::approved(report_id));
        }
        let loaded = reports::load_with_articles(&self.db, report, false).await?;
        Ok(Input { stream, loaded })
    }

    /// The article stage's requests: each visible article lacking a summary
    /// (with `force`, each one) that `done` does not hold, rendered; the
    /// ones a summary kept in the cache answers (none with `force`: it asks
    /// the provider again) are set apart.
    pub(super) async fn plan_articles(
        &self,
        input: &Input,
        config: &StageConfig,
        force: bool,
        done: &HashSet<i32>,
    ) -> Result<ArticlePlan, ServiceError> {
        let jobs = input
            .loaded
            .articles
            .iter()
            .filter(|a| !done.contains(&a.article.id))
            .filter(|a| force || a.association.ai_summary.is_none())
            .map(|a| {
                let values = prompts::article(&input.stream, &a.article);
                let prompt = prompts::render(LlmStage::ArticleSummary, &config.template, &values)?;
                Ok((a.article.id, prompt))
            })
            .collect::<Result<Vec<(i32, String)>, ServiceError>>()?;
        let scope = super::cache_scope(&input.stream);
        let keys: HashMap<i32, String> = jobs
            .iter()
            .map(|(id, prompt)| (*id, self.cache_key(&scope, config, prompt)))
            .collect();
        let mut cached = if force || jobs.is_empty() {
            HashMap::new()
        } else {
            let wanted: Vec<String> = keys.values().cloned().collect();
            summary_cache::find_many(&self.db, &wanted).await?
        };
        let mut plan = ArticlePlan {
            calls: Vec::with_capacity(jobs.len()),
            hits: Vec::new(),
            keys,
        };
        for (article_id, prompt) in jobs {
            match cached.remove(&plan.keys[&article_id]) {
                Some(hit) => plan.hits.push((article_id, hit)),
                None => plan.calls.push((article_id, prompt)),
            }
        }
        Ok(plan)
    }

    /// Stage 1: one call per visible article lacking a summary (with
    /// `force`, every one this run has not summarized yet).
    async fn article_stage(
        &self,
        job: &Job,
        input: &Input,
        ledger: &mut Ledger,
    ) -> Result<(ArticleSummaries, Pending), Stop> {
        let articles = &input.loaded.articles;
        let config = self.stage_config(&input.stream, LlmStage::ArticleSummary);
        // What earlier attempts of this run stored (a first attempt has none).
        let done_here: HashSet<i32> = if job.attempt > 1 {
            usage::items_done(&self.db, job.id, LlmStage::ArticleSummary)
                .await?
                .iter()
                .filter_map(|item| item.parse().ok())
                .collect()
        } else {
            HashSet::new()
        };
        let mut by_article: HashMap<i32, String> = articles
            .iter()
            .filter_map(|a| Some((a.article.id, a.association.ai_summary.clone()?)))
            .collect();
        let plan = self
            .plan_articles(input, &config, job.force, &done_here)
            .await?;
        let total = (done_here.len() + plan.calls.len() + plan.hits.len()) as i32;
        let mut pending = Pending::default();
        for (article_id, hit) in plan.hits {
            let row = self.reused_row(
                LlmStage::ArticleSummary,
                (job.org_id, Some(job.report_id), Some(job.id)),
                article_id.to_string(),
                &hit.model,
            );
            pending.reuse(row, article_id, hit.text.clone());
            by_article.insert(article_id, hit.text);
        }
        let (calls, keys) = (plan.calls, plan.keys);
        let reused = pending.articles.len();
        let span = tracing::info_span!(
            "summary_stage",
            stage = "article_summary",
            items = calls.len(),
            reused
        );
        let started = Instant::now();
        let results = self.calls(job, LlmStage::ArticleSummary, &config, calls);
        let mut generated = 0;
        let mut pending = self
            .drive(job, results, &span, pending, |article_id, call, pending| {
                let item = article_id.to_string();
                let rows = self.ledger_rows(job, &call, Some(item.clone()));
                pending.push(rows, &call, Some(article_id));
                pending.progress.articles_total = Some(total);
                if let Ok(r) = &call.result {
                    pending.cache.push(NewCachedSummary {
                        cache_key: keys[&article_id].clone(),
                        text: r.text.clone(),
                        model: call.model.clone(),
                        prompt_tokens: i32::try_from(r.prompt_tokens).unwrap_or(i32::MAX),
                        completion_tokens: i32::try_from(r.completion_tokens).unwrap_or(i32::MAX),
                    });
                }
                if let Some(text) = ledger.note(&call, Some(item)) {
                    by_article.insert(article_id, text);
                    generated += 1;
                }
            })
            .await?;
        pending.progress.articles_total = Some(total);
        span.in_scope(|| stage_finished(started, generated));
        Ok((ArticleSummaries { by_article }, pending))
    }

    /// Stage 2: one call per presentation category that has summarized
    /// articles and no summary from an earlier attempt of this run.
    async fn category_stage(
        &self,
        job: &Job,
        row: &SummaryRun,
        input: &Input,
        summaries: &ArticleSummaries,
        ledger: &mut Ledger,
    ) -> Result<(BTreeMap<String, String>, Pending), Stop> {
        let (stream, articles) = (&input.stream, &input.loaded.articles);
        let config = self.stage_config(&input.stream, LlmStage::CategorySummary);
        let mut done: BTreeMap<String, String> = row
            .category_summaries
            .clone()
            .map(|c| c.0)
            .unwrap_or_default();
        let mut jobs = Vec::new();
        for category in &input.stream.presentation_config.categories {
            if done.contains_key(&category.id) {
                continue;
            }
            let lines = summaries.lines(articles, |a| {
                a.association.presentation_categories.contains(&category.id)
            });
            if lines.is_empty() {
                continue;
            }
            let values = prompts::category(stream, category, &lines);
            let prompt = prompts::render(LlmStage::CategorySummary, &config.template, &values)?;
            jobs.push((category.id.clone(), prompt));
        }
        let span = tracing::info_span!(
            "summary_stage",
            stage = "category_summary",
            items = jobs.len()
        );
        let started = Instant::now();
        let results = self.calls(job, LlmStage::CategorySummary, &config, jobs);
        let pending = self
            .drive(
                job,
                results,
                &span,
                Pending::default(),
                |id, call, pending| {
                    if let Ok(r) = &call.result {
                        done.insert(id.clone(), r.text.clone());
                    }
                    // The summaries so far, stored with the calls that made them.
                    pending.progress.category_summaries = Some(CategorySummaries(done.clone()));
                    let rows = self.ledger_rows(job, &call, Some(id.clone()));
                    pending.push(rows, &call, None);
                    ledger.note(&call, Some(id));
                },
            )
            .await?;
        span.in_scope(|| stage_finished(started, done.len()));
        Ok((done, pending))
    }

    /// Stage 3: the executive summary over every article and category; its
    /// text, if the call succeeded, and the call to store.
    async fn executive_stage(
        &self,
        job: &Job,
        input: &Input,
        article_lines: &[String],
        category_summaries: &BTreeMap<String, String>,
        ledger: &mut Ledger,
    ) -> Result<(Option<String>, Pending), Stop> {
        let config = self.stage_config(&input.stream, LlmStage::ExecutiveSummary);
        let values = prompts::executive(
            &input.stream,
            &input.stream.presentation_config.categories,
            &input.loaded.report.report_name,
            article_lines,
            category_summaries
                .iter()
                .map(|(id, text)| (id.as_str(), text.as_str())),
        );
        let prompt = prompts::render(LlmStage::ExecutiveSummary, &config.template, &values)?;
        let span = tracing::info_span!("summary_stage", stage = "executive_summary", items = 1);
        let started = Instant::now();
        let call = self
            .call(job.org_id, LlmStage::ExecutiveSummary, &config, prompt)
            .instrument(span.clone())
            .await;
        let mut pending = Pending::default();
        pending.push(self.ledger_rows(job, &call, None), &call, None);
        let text = ledger.note(&call, None);
        span.in_scope(|| stage_finished(started, usize::from(text.is_some())));
        Ok((text, pending))
    }

    /// One stage's calls, `max_concurrent` at a time, as they finish (a
    /// slow one does not hold back storing the others). Once the run is
    /// halted no call starts; those in flight still come back.
    fn calls<'a, K: Send + 'a>(
        &'a self,
        job: &'a Job,
        stage: LlmStage,
        config: &'a StageConfig,
        jobs: Vec<(K, String)>,
    ) -> impl futures::Stream<Item = (K, Call)> + 'a {
        stream::iter(jobs)
            .map(move |(key, prompt)| async move {
                if job.halt.get().is_some() {
                    return None;
                }
                Some((key, self.call(job.org_id, stage, config, prompt).await))
            })
            .buffer_unordered(config.max_concurrent)
            .filter_map(std::future::ready)
    }

    /// Stores finished calls: their ledger rows, their results (article
    /// summaries; the category summaries so far) and the run's progress, in
    /// one transaction fenced by the lease, so that a call is either stored
    /// whole or (lease lost) not at all.
    async fn store(&self, job: &Job, pending: Pending) -> Result<(), Stop> {
        let Pending {
            rows,
            articles,
            cache,
            progress,
            ..
        } = pending;
        if rows.is_empty() && progress.stage.is_none() {
            return Ok(());
        }
        let txn = repository::database::begin_write(&self.db).await?;
        // Stored either way while the lease is ours; a cancel made in any
        // process shows here, so the next call is not started.
        let running =
            summary_runs::add_progress(&txn, job.id, &job.owner, progress.clone(), true).await?;
        if !running {
            let kept = Progress {
                stage: None,
                ..progress.clone()
            };
            if !summary_runs::add_progress(&txn, job.id, &job.owner, kept, false).await? {
                txn.rollback().await?;
                job.halt.set(Halt::Lost);
                return Err(Stop::Halted(Halt::Lost));
            }
            job.halt.set(Halt::Cancelled);
        }
        if !articles.is_empty() {
            associations::set_ai_summaries(&txn, job.report_id, &articles).await?;
            reports::bump_version(&txn, job.report_id, None).await?;
        }
        usage::record_many(&txn, rows).await?;
        txn.commit().await?;
        job.stored(&progress);
        self.local.changed(job.id);
        self.keep_in_cache(cache).await;
        Ok(())
    }

    /// Writes how the worker's part ended: the enrichments and the end of
    /// the run in one transaction, or the failure, or the lease given back.
    pub(super) async fn conclude(&self, job: &Job, ended: Ended) -> Result<(), ServiceError> {
        let db = &self.db;
        let outcome = match ended {
            Ended::Done(done) => {
                let (enrichments, pending) = *done;
                // The executive call, the enrichments and the end of the run
                // in one transaction.
                let txn = repository::database::begin_write(db).await?;
                let progress = pending.progress.clone();
                let ours =
                    summary_runs::finish(&txn, job.id, &job.owner, succeeded(), progress.clone())
                        .await?;
                if ours {
                    reports::set_enrichments(&txn, job.report_id, enrichments.clone()).await?;
                    usage::record_many(&txn, pending.rows).await?;
                    txn.commit().await?;
                    job.stored(&progress);
                    let result = SummaryResult::of(job.report_id, enrichments, job.totals());
                    self.local.succeeded(job.id, result);
                    return Ok(());
                }
                // Cancelled meanwhile: the call is stored, the enrichments
                // are not published.
                txn.rollback().await?;
                match self.store(job, pending).await {
                    Ok(()) | Err(Stop::Halted(_)) => {}
                    Err(Stop::Failed(e)) => return Err(e),
                }
                summary_runs::release(db, job.id, &job.owner).await?;
                return Ok(());
            }
            Ended::Halted(Halt::Lost) => return Ok(()),
            Ended::Halted(_) => {
                summary_runs::release(db, job.id, &job.owner).await?;
                return Ok(());
            }
            Ended::Failed(ServiceError::Unavailable(e)) => {
                // The database went away mid-run: hand the run back so that
                // it resumes, here or elsewhere, once it is back.
                tracing::warn!(error = %e, run_id = job.id, "summary run interrupted");
                summary_runs::release(db, job.id, &job.owner).await?;
                return Ok(());
            }
            Ended::Failed(e) => failed(&e),
            Ended::Abandoned => Outcome {
                status: RunStatus::Failed,
                error: Some("interrupted".into()),
                error_detail: Some(format!(
                    "the run was interrupted {} times; start a new one",
                    MAX_ATTEMPTS
                )),
                failures: None,
            },
        };
        let finished =
            summary_runs::finish(db, job.id, &job.owner, outcome, Progress::default()).await?;
        if !finished {
            summary_runs::release(db, job.id, &job.owner).await?;
        }
        Ok(())
    }
}

fn succeeded() -> Outcome {
    Outcome {
        status: RunStatus::Succeeded,
        error: None,
        error_detail: None,
        failures: None,
    }
}

/// How a failure is stored, for every process's waiters to read back.
fn failed(err: &ServiceError) -> Outcome {
    let (error, detail, failures) = match err {
        ServiceError::LlmFailed {
            failed, timeout, ..
        } => (
            if *timeout {
                "llm_timeout"
            } else {
                "llm_failed"
            },
            None,
            Some(RunFailures(failed.clone())),
        ),
        ServiceError::Conflict { detail, .. } => ("conflict", Some(detail.clone()), None),
        ServiceError::NotFound(what) => ("not_found", Some((*what).to_owned()), None),
        other => {
            tracing::error!(error = ?other, "summary run failed");
            ("internal", None, None)
        }
    };
    Outcome {
        status: RunStatus::Failed,
        error: Some(error.into()),
        error_detail: detail,
        failures,
    }
}

/// Stops the pipeline between stages when the run was halted.
fn halted(job: &Job) -> Result<(), Stop> {
    match job.halt.get() {
        Some(halt) => Err(Stop::Halted(halt)),
        None => Ok(()),
    }
}

impl Ledger {
    fn error(&self) -> Stop {
        Stop::Failed(ServiceError::LlmFailed {
            failed: self.failed.clone(),
            timeout: self.timeout,
            run_id: None,
        })
    }
}

fn stage_finished(started: Instant, succeeded: usize) {
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        succeeded,
        "summary stage finished"
    );
}
