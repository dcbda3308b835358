//! One summary run: read the report, article summaries, category summaries,
//! the executive summary, then save. Each stage is parallel and bounded; no
//! database connection is held while the LLM works. Every finished call is
//! stored at once with its result, so a run resumed by another process pays
//! for nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use entity::enums::{LlmStage, RunStatus};
use futures::stream::{self, StreamExt};
use repository::associations::{self, ReportArticle};
use repository::reports::{self, ReportWithArticles};
use repository::streams::Stream;
use repository::summary_runs::{self, Outcome, Progress, SummaryRun};
use repository::usage::{self, NewUsage};
use serde_json::json;
use tracing::Instrument;

use super::templates::PromptType;
use super::workers::{Halt, HaltFlag};
use super::{Call, StageConfig, SummaryService, client_error, prompts};
use crate::ServiceError;
use crate::error::FailedItem;
use crate::stream_config::StreamConfig;

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
}

/// How a worker's part of a run ended.
pub(super) enum Ended {
    /// Every stage succeeded: the enrichments to save.
    Done(serde_json::Value),
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

/// A finished call to store, with what it summarized.
struct Finished<'a> {
    call: &'a Call,
    /// The article or category id, for the ledger.
    item: Option<String>,
    /// The article and its new summary, when an article call succeeded.
    article: Option<(i32, &'a str)>,
}

/// The calls that have finished: the next to arrive and every other one
/// ready by then, so that calls finishing together are stored together.
async fn next_batch<K>(
    results: &mut (impl futures::Stream<Item = (K, Call)> + Unpin),
    span: &tracing::Span,
) -> Option<Vec<(K, Call)>> {
    use futures::FutureExt;
    let first = results.next().instrument(span.clone()).await?;
    let mut batch = vec![first];
    while let Some(Some(more)) = results.next().now_or_never() {
        batch.push(more);
    }
    Some(batch)
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
                    stage: super::stage_name(call.stage).into(),
                    item,
                    error: client_error(e),
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
    /// Each article that has a summary, as the later prompts list it.
    fn lines<'a>(&self, articles: impl IntoIterator<Item = &'a ReportArticle>) -> Vec<String> {
        articles
            .into_iter()
            .filter_map(|a| {
                let summary = self.by_article.get(&a.article.id)?;
                Some(prompts::listed(&a.article.title, summary))
            })
            .collect()
    }
}

/// What a run reads before any LLM call.
struct Input {
    stream: Stream,
    config: StreamConfig,
    loaded: ReportWithArticles,
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
            Ok(enrichments) => Ended::Done(enrichments),
            Err(Stop::Halted(halt)) => Ended::Halted(halt),
            Err(Stop::Failed(e)) => Ended::Failed(e),
        };
        span.in_scope(|| {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = matches!(ended, Ended::Done(_)),
                "summary run finished"
            )
        });
        ended
    }

    async fn stages(
        &self,
        job: &Job,
        row: &SummaryRun,
        input: &Input,
    ) -> Result<serde_json::Value, Stop> {
        let mut ledger = Ledger::default();
        let summaries = self.article_stage(job, input, &mut ledger).await?;
        halted(job)?;
        if !ledger.all_ok() {
            return Err(ledger.into_error());
        }
        let category_summaries = self
            .category_stage(job, row, input, &summaries, &mut ledger)
            .await?;
        halted(job)?;
        if !ledger.all_ok() {
            return Err(ledger.into_error());
        }
        let lines = summaries.lines(&input.loaded.articles);
        let executive_summary = self
            .executive_stage(job, input, &lines, &category_summaries, &mut ledger)
            .await?;
        let Some(executive_summary) = executive_summary else {
            return Err(ledger.into_error());
        };
        let model = ledger
            .model
            .unwrap_or_else(|| self.provider.default_model().to_owned());
        Ok(json!({
            "executive_summary": executive_summary,
            "category_summaries": category_summaries,
            "provider": self.provider.name(),
            "model": model,
            "generated_at": chrono::Utc::now().to_rfc3339(),
        }))
    }

    /// The report with its visible articles, and its stream; each query
    /// takes a pooled connection and gives it back.
    async fn read(&self, report_id: i32) -> Result<Input, ServiceError> {
        let report = reports::get(&self.db, report_id).await?;
        let stream = repository::streams::find(&self.db, report.stream_id)
            .await?
            .ok_or(ServiceError::NotFound("stream"))?;
        let loaded = reports::load_with_articles(&self.db, report, false).await?;
        Ok(Input {
            config: StreamConfig::of(&stream),
            stream,
            loaded,
        })
    }

    /// Stage 1: one call per visible article lacking a summary (with
    /// `force`, every one this run has not summarized yet); each summary is
    /// stored as soon as it arrives.
    async fn article_stage(
        &self,
        job: &Job,
        input: &Input,
        ledger: &mut Ledger,
    ) -> Result<ArticleSummaries, Stop> {
        let (stream, articles) = (&input.stream, &input.loaded.articles);
        let config = self.stage_config(&input.config, PromptType::ArticleSummary);
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
        let jobs = articles
            .iter()
            .filter(|a| !done_here.contains(&a.article.id))
            .filter(|a| job.force || a.association.ai_summary.is_none())
            .map(|a| {
                let values = prompts::article(stream, &a.article);
                let prompt =
                    prompts::render(PromptType::ArticleSummary, &config.template, &values)?;
                Ok((a.article.id, prompt))
            })
            .collect::<Result<Vec<(i32, String)>, ServiceError>>()?;
        let total = (done_here.len() + jobs.len()) as i32;
        self.enter_stage(job, LlmStage::ArticleSummary, Some(total))
            .await?;
        let span = tracing::info_span!(
            "summary_stage",
            stage = "article_summary",
            items = jobs.len()
        );
        let started = Instant::now();
        let mut results = self.calls(job, LlmStage::ArticleSummary, &config, jobs);
        let mut generated = 0;
        while let Some(batch) = next_batch(&mut results, &span).await {
            let finished: Vec<Finished> = batch
                .iter()
                .map(|(article_id, call)| Finished {
                    call,
                    item: Some(article_id.to_string()),
                    article: call
                        .result
                        .as_ref()
                        .ok()
                        .map(|r| (*article_id, r.text.as_str())),
                })
                .collect();
            self.store(job, &finished, None).await?;
            for (article_id, call) in &batch {
                if let Some(text) = ledger.note(call, Some(article_id.to_string())) {
                    by_article.insert(*article_id, text);
                    generated += 1;
                }
            }
        }
        span.in_scope(|| stage_finished(started, generated));
        Ok(ArticleSummaries { by_article })
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
    ) -> Result<BTreeMap<String, String>, Stop> {
        let (stream, articles) = (&input.stream, &input.loaded.articles);
        let config = self.stage_config(&input.config, PromptType::CategorySummary);
        let mut done: BTreeMap<String, String> = row
            .category_summaries
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let mut jobs = Vec::new();
        for category in &input.config.presentation.categories {
            if done.contains_key(&category.id) {
                continue;
            }
            let lines = summaries.lines(
                articles
                    .iter()
                    .filter(|a| associations::categories(&a.association).contains(&category.id)),
            );
            if lines.is_empty() {
                continue;
            }
            let values = prompts::category(stream, category, &lines);
            let prompt = prompts::render(PromptType::CategorySummary, &config.template, &values)?;
            jobs.push((category.id.clone(), prompt));
        }
        self.enter_stage(job, LlmStage::CategorySummary, None)
            .await?;
        let span = tracing::info_span!(
            "summary_stage",
            stage = "category_summary",
            items = jobs.len()
        );
        let started = Instant::now();
        let mut results = self.calls(job, LlmStage::CategorySummary, &config, jobs);
        while let Some(batch) = next_batch(&mut results, &span).await {
            for (id, call) in &batch {
                if let Ok(r) = &call.result {
                    done.insert(id.clone(), r.text.clone());
                }
            }
            let finished: Vec<Finished> = batch
                .iter()
                .map(|(id, call)| Finished {
                    call,
                    item: Some(id.clone()),
                    article: None,
                })
                .collect();
            self.store(job, &finished, Some(&done)).await?;
            for (id, call) in &batch {
                ledger.note(call, Some(id.clone()));
            }
        }
        span.in_scope(|| stage_finished(started, done.len()));
        Ok(done)
    }

    /// Stage 3: the executive summary over every article and category.
    async fn executive_stage(
        &self,
        job: &Job,
        input: &Input,
        article_lines: &[String],
        category_summaries: &BTreeMap<String, String>,
        ledger: &mut Ledger,
    ) -> Result<Option<String>, Stop> {
        let config = self.stage_config(&input.config, PromptType::ExecutiveSummary);
        let values = prompts::executive(
            &input.stream,
            &input.loaded.report.report_name,
            article_lines,
            category_summaries
                .iter()
                .map(|(id, text)| (id.as_str(), text.as_str())),
        );
        let prompt = prompts::render(PromptType::ExecutiveSummary, &config.template, &values)?;
        self.enter_stage(job, LlmStage::ExecutiveSummary, None)
            .await?;
        let span = tracing::info_span!("summary_stage", stage = "executive_summary", items = 1);
        let started = Instant::now();
        let call = self
            .call(LlmStage::ExecutiveSummary, &config, prompt)
            .instrument(span.clone())
            .await;
        let finished = Finished {
            call: &call,
            item: None,
            article: None,
        };
        self.store(job, &[finished], None).await?;
        let text = ledger.note(&call, None);
        span.in_scope(|| stage_finished(started, usize::from(text.is_some())));
        Ok(text)
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
                Some((key, self.call(stage, config, prompt).await))
            })
            .buffer_unordered(config.max_concurrent)
            .filter_map(std::future::ready)
    }

    async fn enter_stage(
        &self,
        job: &Job,
        stage: LlmStage,
        total: Option<i32>,
    ) -> Result<(), Stop> {
        if !summary_runs::set_stage(&self.db, job.id, &job.owner, stage, total).await? {
            return Err(Stop::Halted(Halt::Lost));
        }
        self.local.changed(job.id);
        Ok(())
    }

    /// Stores finished calls: their ledger rows, their results (article
    /// summaries; the category summaries so far) and the run's progress, in
    /// one transaction fenced by the lease, so that a call is either stored
    /// whole or (lease lost) not at all.
    async fn store(
        &self,
        job: &Job,
        finished: &[Finished<'_>],
        categories: Option<&BTreeMap<String, String>>,
    ) -> Result<(), Stop> {
        let answers = || finished.iter().filter_map(|f| f.call.result.as_ref().ok());
        let progress = Progress {
            calls: finished.len() as i32,
            articles_done: finished.iter().filter(|f| f.article.is_some()).count() as i32,
            prompt_tokens: answers().map(|r| i64::from(r.prompt_tokens)).sum(),
            completion_tokens: answers().map(|r| i64::from(r.completion_tokens)).sum(),
            category_summaries: categories.map(|done| json!(done)),
        };
        let rows: Vec<NewUsage> = finished
            .iter()
            .map(|f| NewUsage {
                run_id: Some(job.id),
                item: f.item.clone(),
                ..self.usage_row(f.call, job.org_id, job.report_id)
            })
            .collect();
        let txn = repository::database::begin_write(&self.db).await?;
        // Stored either way while the lease is ours; a cancel made in any
        // process shows here, so the next call is not started.
        let running =
            summary_runs::add_progress(&txn, job.id, &job.owner, progress.clone(), true).await?;
        if !running {
            if !summary_runs::add_progress(&txn, job.id, &job.owner, progress, false).await? {
                txn.rollback().await?;
                job.halt.set(Halt::Lost);
                return Err(Stop::Halted(Halt::Lost));
            }
            job.halt.set(Halt::Cancelled);
        }
        let mut summarized = false;
        for (article_id, text) in finished.iter().filter_map(|f| f.article) {
            associations::set_ai_summary(&txn, job.report_id, article_id, text).await?;
            summarized = true;
        }
        if summarized {
            reports::bump_version(&txn, job.report_id, None).await?;
        }
        usage::record_many(&txn, rows).await?;
        txn.commit().await?;
        self.local.changed(job.id);
        Ok(())
    }

    /// Writes how the worker's part ended: the enrichments and the end of
    /// the run in one transaction, or the failure, or the lease given back.
    pub(super) async fn conclude(&self, job: &Job, ended: Ended) -> Result<(), ServiceError> {
        let db = &self.db;
        let outcome = match ended {
            Ended::Done(enrichments) => {
                let txn = repository::database::begin_write(db).await?;
                let ours = summary_runs::finish(&txn, job.id, &job.owner, succeeded()).await?;
                if ours {
                    reports::bump_version(&txn, job.report_id, None).await?;
                    reports::set_enrichments(&txn, job.report_id, enrichments).await?;
                    txn.commit().await?;
                } else {
                    // Cancelled meanwhile: the enrichments are not published.
                    txn.rollback().await?;
                    summary_runs::release(db, job.id, &job.owner).await?;
                }
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
                    super::workers::MAX_ATTEMPTS
                )),
                failures: None,
            },
        };
        if !summary_runs::finish(db, job.id, &job.owner, outcome).await? {
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
        ServiceError::LlmFailed { failed, timeout } => (
            if *timeout {
                "llm_timeout"
            } else {
                "llm_failed"
            },
            None,
            Some(json!(failed)),
        ),
        ServiceError::Conflict(why) => ("conflict", Some(why.clone()), None),
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
    fn into_error(self) -> Stop {
        Stop::Failed(ServiceError::LlmFailed {
            failed: self.failed,
            timeout: self.timeout,
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
