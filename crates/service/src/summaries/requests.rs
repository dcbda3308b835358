//! Summary runs as a resource: start or join one, wait for it, read its
//! progress and history, cancel it. The rules are the report's: whoever
//! may see the report sees its runs; whoever may change it starts and
//! cancels them.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use entity::enums::{ApprovalStatus, RunStatus};
use repository::organizations::Organization;
use repository::summary_runs::{self, NewRun};
use repository::{Page, Paginated, associations};

use super::job::Halt;
use super::{SummaryResult, SummaryService, billed_org};
use crate::access::Actor;
use crate::{ConflictKind, ServiceError};

/// One ledger row: a request sent to the provider, or a reused summary.
pub use entity::llm_usage::Model as LedgerRow;
pub use repository::summary_runs::SummaryRun;

impl SummaryService {
    /// Summarizes a report the caller may change and answers when the run
    /// ends. A request for a report with a run in progress (started by any
    /// process) joins that run; see the API contract for the failure
    /// semantics (article summaries are kept, enrichments are all or nothing).
    pub async fn summarize(
        &self,
        actor: &Actor,
        report_id: i32,
        force: bool,
    ) -> Result<SummaryResult, ServiceError> {
        let (run, _) = self.start(actor, report_id, force).await?;
        match self.wait(run).await? {
            Waited::Here(result) => Ok(Arc::unwrap_or_clone(result)),
            Waited::Stored(run) => self.result_of(*run).await,
        }
    }

    /// Queues a run of a report the caller may change, or joins the one in
    /// progress; `true` when this call queued it. Returns at once.
    pub async fn start(
        &self,
        actor: &Actor,
        report_id: i32,
        force: bool,
    ) -> Result<(SummaryRun, bool), ServiceError> {
        let stream = self.summarizable(actor, report_id).await?;
        // Most concurrent callers join: one read, no lock, no transaction.
        if let Some(active) = summary_runs::active_for_report(&self.db, report_id).await? {
            tracing::info!(run_id = active.id, queued = false, "summary run requested");
            return Ok((active, false));
        }
        let org_id = billed_org(&self.db, &stream).await?;
        let (visible, summarized) = associations::count_summarized(&self.db, report_id).await?;
        if visible == 0 {
            return Err(nothing_to_summarize());
        }
        let articles_total = if force { visible } else { visible - summarized };
        let new = NewRun {
            report_id,
            org_id,
            requested_by: Some(actor.id),
            force,
            articles_total: i32::try_from(articles_total).unwrap_or(i32::MAX),
            reserved_calls: 0,
            reserved_tokens: 0,
        };
        // With a worker free here, the run is inserted claimed by this
        // process and starts at once: no claim to write and read back.
        let slot = self.local.slots.clone().try_acquire_owned().ok();
        let (run, queued) = self.queue(actor, org_id, new, slot.is_some()).await?;
        // Within the request's span: ties its request id to the run's id,
        // which the run's own log lines (provider errors) carry.
        tracing::info!(run_id = run.id, queued, "summary run requested");
        if let (true, Some(slot)) = (queued, slot) {
            self.executor().spawn_run(run.clone(), slot);
        }
        Ok((run, queued))
    }

    /// The report's stream, if the caller may summarize the report: they may
    /// change it, its stream is active, and it is not approved.
    pub(super) async fn summarizable(
        &self,
        actor: &Actor,
        report_id: i32,
    ) -> Result<repository::streams::Stream, ServiceError> {
        let (report, stream) =
            crate::report_guards::get_for_change(&self.db, actor, report_id).await?;
        crate::report_guards::require_active(&stream, "summarize its reports")?;
        if report.approval_status == ApprovalStatus::Approved {
            return Err(crate::report_guards::approved(report_id));
        }
        Ok(stream)
    }

    /// Joins the report's active run, or queues a new one within the caps
    /// on active runs (`jobs.max_active_runs_per_org`, `…_per_user`) and,
    /// for an organization with monthly limits, within its budget: the run
    /// reserves its estimate (every call, the most tokens). Caps and budget
    /// are checked in the transaction that queues the run, under a lock on
    /// the organization (on the user, for work billed to no organization),
    /// so concurrent requests see each other's runs and reservations and
    /// together never pass a cap or a limit. Joining a run in progress costs
    /// nothing and is not checked. A run's reservation stops counting when
    /// it ends: then the ledger holds what it really spent.
    async fn queue(
        &self,
        actor: &Actor,
        org_id: Option<i32>,
        mut new: NewRun,
        claimed: bool,
    ) -> Result<(SummaryRun, bool), ServiceError> {
        let lease = claimed.then(|| summary_runs::Lease {
            owner: &self.local.owner,
            until: self.local.lease_until(),
        });
        let mut estimate = None;
        loop {
            let txn = repository::database::begin_write(&self.db).await?;
            let org = match org_id {
                Some(id) => Some(repository::organizations::lock(&txn, id).await?),
                None => {
                    repository::users::lock(&txn, actor.id).await?;
                    None
                }
            };
            if estimate.is_none() && org.as_ref().is_some_and(has_limits) {
                // Estimated without the lock, which is held for a few reads
                // and an insert only; most organizations have no limits and
                // never come here.
                txn.rollback().await?;
                let input = self.read(new.report_id).await?;
                let estimated = self.estimate_input(&input, new.force).await?;
                new.reserved_calls = i32::try_from(estimated.llm_calls).unwrap_or(i32::MAX);
                new.reserved_tokens = i64::try_from(estimated.tokens()).unwrap_or(i64::MAX);
                estimate = Some(estimated);
                continue;
            }
            let (of_org, of_user) = summary_runs::active_counts(&txn, org_id, actor.id).await?;
            let jobs = &self.local.jobs;
            let over_org = org_id.is_some() && of_org >= jobs.max_active_runs_per_org;
            let over_user = of_user >= jobs.max_active_runs_per_user;
            if over_org || over_user {
                // Joining costs nothing, so it is not capped: a run queued
                // since the look before the lock is joined, not refused.
                if let Some(active) = summary_runs::active_for_report(&txn, new.report_id).await? {
                    return Ok((active, false));
                }
                // Runs mostly end within seconds; a few is a fair wait to
                // suggest.
                let busy = |detail: String| ServiceError::RateLimited {
                    detail,
                    retry_after: std::time::Duration::from_secs(5),
                };
                return Err(busy(if over_org {
                    format!(
                        "the organization has {of_org} summary runs queued or running, its most at once; try again when one ends"
                    )
                } else {
                    format!(
                        "you have {of_user} summary runs queued or running, the most at once; try again when one ends"
                    )
                }));
            }
            if let (Some(org), Some(estimate)) = (&org, &estimate) {
                let needed = (estimate.llm_calls.into(), estimate.tokens());
                within_budget(&txn, org, needed, "summary").await?;
            }
            if let Some(run) = summary_runs::insert(&txn, &new, lease).await? {
                txn.commit().await?;
                return Ok((run, true));
            }
            // The report has an active run after all: queued since the look
            // before the lock (the unique index refused this one). Join it.
            txn.rollback().await?;
            break;
        }
        Ok(summary_runs::queue_or_join(&self.db, new).await?)
    }

    /// Refuses work of `needed` (calls, tokens) that would take the
    /// organization past a monthly limit, counting what its active runs
    /// have reserved; for a single call (a preview), which reserves nothing.
    pub(super) async fn check_budget(
        &self,
        org_id: i32,
        needed: (u64, u64),
        what: &str,
    ) -> Result<(), ServiceError> {
        let org = repository::organizations::get(&self.db, org_id).await?;
        if !has_limits(&org) {
            return Ok(());
        }
        within_budget(&self.db, &org, needed, what).await
    }

    /// Waits until the run (as last seen) ends: its result when it
    /// succeeded in this process, the run as it ended otherwise.
    async fn wait(&self, mut run: SummaryRun) -> Result<Waited, ServiceError> {
        let mut first_look = true;
        loop {
            if run.status.is_finished() {
                return Ok(Waited::Stored(Box::new(run)));
            }
            if run.status == RunStatus::Queued && !first_look {
                // Still queued (every worker here was busy, or it was handed
                // back): take it as soon as one is free, unless another
                // process does first. The first look may precede the claim
                // its creator started.
                self.dispatch(run.id);
            }
            first_look = false;
            if let Some(result) = self.until_changed(run.id, true).await {
                return Ok(Waited::Here(result));
            }
            run = summary_runs::get(&self.db, run.id).await?;
        }
    }

    /// Returns when the run changed here (with `ends_only`, when this
    /// process's work on it ended), or after a poll period when another
    /// process works on it; with the run's result when it succeeded here.
    pub(super) async fn until_changed(
        &self,
        run_id: i32,
        ends_only: bool,
    ) -> Option<Arc<SummaryResult>> {
        let Some(mut changes) = self.local.watch(run_id) else {
            tokio::time::sleep(self.local.poll()).await;
            return None;
        };
        let changed = async {
            while changes.changed().await.is_ok() {
                if !ends_only {
                    return;
                }
            }
        };
        // The lease bounds the wait should a notification be lost.
        let _ = tokio::time::timeout(self.local.lease(), changed).await;
        changes.borrow().clone()
    }

    /// What a waiter of a finished run gets: the report's summaries, or the
    /// run's failure as the error it was.
    async fn result_of(&self, run: SummaryRun) -> Result<SummaryResult, ServiceError> {
        match run.status {
            RunStatus::Succeeded => {}
            RunStatus::Cancelled => {
                return Err(ConflictKind::RunEnded.because("the summary run was cancelled"));
            }
            _ => return Err(run_error(&run)),
        }
        let enrichments = super::report_enrichments(&self.db, run.report_id)
            .await?
            .unwrap_or_default();
        Ok(SummaryResult::of(
            run.report_id,
            enrichments,
            super::job::Totals::of(&run),
        ))
    }

    /// A run of a report the caller may see.
    pub async fn run_of(&self, actor: &Actor, run_id: i32) -> Result<SummaryRun, ServiceError> {
        self.run_for(actor, run_id, false).await
    }

    /// A run, checked against the report's rules: visible to the caller,
    /// and with `change`, changeable by it. A report the caller may not see
    /// makes its runs look missing.
    async fn run_for(
        &self,
        actor: &Actor,
        run_id: i32,
        change: bool,
    ) -> Result<SummaryRun, ServiceError> {
        let run = summary_runs::find(&self.db, run_id)
            .await?
            .ok_or(ServiceError::NotFound("summary run"))?;
        let report = if change {
            crate::report_guards::get_for_change(&self.db, actor, run.report_id).await
        } else {
            crate::report_guards::get_visible(&self.db, actor, run.report_id).await
        };
        match report {
            Ok(_) => Ok(run),
            Err(ServiceError::NotFound(_)) => Err(ServiceError::NotFound("summary run")),
            Err(other) => Err(other),
        }
    }

    /// The ledger rows of a run the caller may see, oldest first: a row per
    /// request sent to the provider (retries included) and per summary
    /// reused, to reconcile with a gateway's or provider's log.
    pub async fn calls_of_run(
        &self,
        actor: &Actor,
        run_id: i32,
        page: Page,
    ) -> Result<Paginated<LedgerRow>, ServiceError> {
        self.run_for(actor, run_id, false).await?;
        Ok(repository::usage::of_run(&self.db, run_id, page).await?)
    }

    /// The runs of a report the caller may see, newest first.
    pub async fn runs_of_report(
        &self,
        actor: &Actor,
        report_id: i32,
        page: Page,
    ) -> Result<Paginated<SummaryRun>, ServiceError> {
        crate::report_guards::get_visible(&self.db, actor, report_id).await?;
        Ok(summary_runs::list_for_report(&self.db, report_id, page).await?)
    }

    /// Cancels a queued or running run of a report the caller may change:
    /// no new LLM calls; calls in flight and finished article summaries are
    /// kept; the report's enrichments stay as they were. Returns the run
    /// once its calls in flight here are stored.
    pub async fn cancel(&self, actor: &Actor, run_id: i32) -> Result<SummaryRun, ServiceError> {
        self.run_for(actor, run_id, true).await?;
        if !summary_runs::cancel(&self.db, run_id).await? {
            return Err(ConflictKind::RunEnded.because(format!(
                "the summary run has already ended ({})",
                summary_runs::get(&self.db, run_id).await?.status
            )));
        }
        self.local.halt(run_id, Halt::Cancelled);
        self.local.changed(run_id);
        // When this process works on the run, its calls in flight come back
        // and are stored first, so that the answer is the run as it ended
        // (bounded by the provider's deadline). A run another process works
        // on is answered as stored; that process notices the cancel at its
        // next lease renewal, and later reads show what its calls stored.
        if self.local.watch(run_id).is_some() {
            let deadline = std::time::Duration::from_secs_f64(
                self.settings.request_timeout_secs.clamp(1.0, 600.0) * 2.0,
            );
            let _ = tokio::time::timeout(deadline, self.until_changed(run_id, true)).await;
        }
        Ok(summary_runs::get(&self.db, run_id).await?)
    }
}

/// How a waited-for run ended.
enum Waited {
    /// It succeeded in this process, which handed its result over.
    Here(Arc<SummaryResult>),
    /// As stored: it failed, was cancelled, or ended in another process.
    Stored(Box<SummaryRun>),
}

/// The error a failed run stands for.
fn run_error(run: &SummaryRun) -> ServiceError {
    let detail = run.error_detail.clone().unwrap_or_default();
    match run.error.as_deref() {
        Some(kind @ ("llm_failed" | "llm_timeout")) => ServiceError::LlmFailed {
            run_id: Some(run.id),
            failed: run.failures.clone().map(|f| f.0).unwrap_or_default(),
            timeout: kind == "llm_timeout",
        },
        Some("conflict") => ConflictKind::RunFailed.because(detail),
        Some("not_found") => ServiceError::NotFound("report"),
        Some("interrupted") => ConflictKind::RunFailed.because(detail),
        _ => ServiceError::Internal(format!("summary run {} failed", run.id).into()),
    }
}

/// Why a report without visible articles is not summarized.
pub(super) fn nothing_to_summarize() -> ServiceError {
    ConflictKind::NoVisibleArticles
        .because("a report with no visible articles has nothing to summarize")
}

/// Whether the organization has a monthly limit at all.
fn has_limits(org: &Organization) -> bool {
    org.monthly_llm_calls.is_some() || org.monthly_llm_tokens.is_some()
}

/// `BudgetExceeded` when work that needs `needed` (calls, tokens) would take
/// the organization past a monthly limit, counting the month's ledger and
/// what its active runs reserved and have not spent; `detail` names the
/// limit, the use, the need and the reset instant.
async fn within_budget<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: &Organization,
    (calls, tokens): (u64, u64),
    what: &str,
) -> Result<(), ServiceError> {
    let (month, resets) = month_of(Utc::now());
    let committed = repository::usage::committed_since(db, org.id, month).await?;
    let over = |limit: i64, used: i64, needed: u64, unit: &str| {
        (used.saturating_add(i64::try_from(needed).unwrap_or(i64::MAX)) > limit).then(|| {
            ServiceError::BudgetExceeded {
                detail: format!(
                    "this {what} needs about {needed} {unit}, and the organization has used or reserved {used} of its monthly limit of {limit}; the limit resets at {}",
                    resets.format("%Y-%m-%dT%H:%M:%SZ")
                ),
                // The reset at the latest; a reservation that ends sooner
                // may let the work in before.
                retry_after: (resets - Utc::now()).to_std().unwrap_or_default(),
            }
        })
    };
    let refusal = org
        .monthly_llm_calls
        .and_then(|limit| over(limit.into(), committed.calls, calls, "LLM calls"))
        .or_else(|| {
            org.monthly_llm_tokens
                .and_then(|limit| over(limit, committed.tokens, tokens, "tokens"))
        });
    match refusal {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// The UTC calendar month of `now`: its first instant, and the next
/// month's, when monthly limits reset.
fn month_of(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::{Datelike, TimeZone};
    let first = |year: i32, month: u32| {
        Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
            .single()
            .unwrap_or(now)
    };
    let start = first(now.year(), now.month());
    let next = if now.month() == 12 {
        first(now.year() + 1, 1)
    } else {
        first(now.year(), now.month() + 1)
    };
    (start, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn monthly_limits_reset_at_the_first_instant_of_the_next_utc_month() {
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(
            month_of(at(2026, 11, 28, 4)),
            (at(2026, 11, 1, 0), at(2026, 12, 1, 0))
        );
        assert_eq!(
            month_of(at(2026, 12, 31, 23)),
            (at(2026, 12, 1, 0), at(2027, 1, 1, 0))
        );
        assert_eq!(
            month_of(at(2027, 1, 1, 0)),
            (at(2027, 1, 1, 0), at(2027, 2, 1, 0))
        );
    }
}
