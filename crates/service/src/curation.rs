//! Curation: exclude, include, edit, reorder, and the report's life cycle
//! (submit, approve, reject, reopen). Each change writes its state, the
//! report's curation fields and one audit event in the same transaction.
//! An approved report's contents do not change until it is reopened.

use std::collections::{BTreeMap, HashSet};

use crate::reports::EventDetails;
use entity::enums::{ApprovalStatus, CurationEventType};
use repository::associations::{self, Association, AssociationEdit};
use repository::curation_events::{self, NewEvent};
pub use repository::reports::Versions;
use repository::reports::{self, Report};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::access::Actor;
use crate::report_guards::{check_categories, check_editable, check_version, get_for_change};
use crate::summary_checks::{Acknowledgement, SummaryCitations};
use crate::{ConflictKind, FieldError, ServiceError, limits};

/// A curator's edit of a report's summaries, as submitted: the executive
/// summary, and category summaries by category id.
#[derive(Debug, Clone, Default)]
pub struct EditSummaries {
    pub executive_summary: Option<String>,
    pub category_summaries: BTreeMap<String, String>,
    pub notes: Option<String>,
}

/// What a curator adds to a draft: candidates of its stream's pool (none
/// excluded), or articles of the shared bibliography, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddArticles {
    Candidates(Vec<i32>),
    Articles(Vec<i32>),
}

/// A curator's edit of one article of a report, as submitted.
#[derive(Debug, Clone, Default)]
pub struct EditArticle {
    pub ranking: Option<i32>,
    pub ai_summary: Option<Option<String>>,
    pub presentation_categories: Option<Vec<String>>,
    pub notes: Option<String>,
}

async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    report_id: i32,
    article_id: Option<i32>,
    event_type: CurationEventType,
    notes: Option<String>,
    details: Option<EventDetails>,
) -> Result<(), ServiceError> {
    reports::mark_curated(txn, report_id, actor.id).await?;
    curation_events::append(
        txn,
        NewEvent {
            report_id,
            article_id,
            user_id: actor.id,
            event_type,
            notes,
            details,
        },
    )
    .await?;
    Ok(())
}

/// Ends a life-cycle move: its curation event, in its transaction, then the
/// commit; the report as moved.
async fn moved(
    txn: DatabaseTransaction,
    actor: &Actor,
    report: Report,
    event: CurationEventType,
    notes: Option<String>,
) -> Result<Report, ServiceError> {
    record(&txn, actor, report.id, None, event, notes, None).await?;
    txn.commit().await?;
    Ok(report)
}

/// A `Conflict` unless the report has a visible article.
async fn require_visible(
    txn: &DatabaseTransaction,
    report_id: i32,
    action: &str,
) -> Result<(), ServiceError> {
    if associations::count_visible(txn, report_id).await? == 0 {
        return Err(ConflictKind::NoVisibleArticles.because(format!(
            "a report with no visible articles cannot be {action}"
        )));
    }
    Ok(())
}

fn check_reason(reason: String) -> Result<String, ServiceError> {
    let reason = reason.trim().to_owned();
    if let Some(e) = limits::check("reason", limits::Reason::refusal(&reason)) {
        return Err(ServiceError::Validation(vec![e]));
    }
    Ok(reason)
}

fn check_notes(notes: &Option<String>) -> Result<(), ServiceError> {
    match notes
        .as_deref()
        .and_then(|n| limits::check("notes", limits::Notes::refusal(n)))
    {
        Some(error) => Err(ServiceError::Validation(vec![error])),
        None => Ok(()),
    }
}

/// Curation of a report's articles and its approval, one event per change.
#[derive(Clone)]
pub struct CurationService {
    db: DatabaseConnection,
    /// The report version the caller's change is based on (`If-Match`).
    expected_version: Option<Versions>,
}

impl CurationService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            expected_version: None,
        }
    }

    /// The same service, changing a report only while it is at one of
    /// `versions` (none: whatever its version); a change to another version
    /// is a `PreconditionFailed`.
    pub fn if_match(&self, versions: Option<Versions>) -> Self {
        Self {
            db: self.db.clone(),
            expected_version: versions,
        }
    }

    /// Opens the change's transaction by moving the report to its next
    /// version, from the expected one if there is one; an approved report
    /// is refused.
    async fn begin(&self, report_id: i32) -> Result<DatabaseTransaction, ServiceError> {
        let txn = repository::database::begin_write(&self.db).await?;
        check_editable(&txn, report_id, self.expected_version.as_ref()).await?;
        Ok(txn)
    }

    /// Opens a life-cycle transition's transaction: the caller may change
    /// the report, and the report (read under the transaction's lock on
    /// it) is in one of `from`; otherwise a `Conflict` naming its status.
    /// Gives the transaction and the report as it read it.
    async fn begin_transition(
        &self,
        actor: &Actor,
        report_id: i32,
        from: &[ApprovalStatus],
        action: &str,
    ) -> Result<(DatabaseTransaction, Report), ServiceError> {
        get_for_change(&self.db, actor, report_id).await?;
        let txn = repository::database::begin_write(&self.db).await?;
        check_version(&txn, report_id, self.expected_version.as_ref()).await?;
        let current = reports::get(&txn, report_id).await?;
        let status = current.approval_status;
        if !from.contains(&status) {
            let allowed: Vec<String> = from.iter().map(ToString::to_string).collect();
            return Err(ConflictKind::ReportStatus.because(format!(
                "a report that is {} cannot be {action}; only a report that is {} can",
                status,
                allowed.join(" or ")
            )));
        }
        Ok((txn, current))
    }

    /// Submits a draft for approval.
    pub async fn submit(&self, actor: &Actor, report_id: i32) -> Result<Report, ServiceError> {
        let from = [ApprovalStatus::Draft];
        let (txn, _) = self
            .begin_transition(actor, report_id, &from, "submitted")
            .await?;
        require_visible(&txn, report_id, "submitted").await?;
        let report =
            reports::set_undecided(&txn, report_id, ApprovalStatus::AwaitingApproval).await?;
        moved(txn, actor, report, CurationEventType::Submit, None).await
    }

    /// Takes an approved or rejected report back to `draft`, with a reason
    /// kept in its audit trail.
    pub async fn reopen(
        &self,
        actor: &Actor,
        report_id: i32,
        reason: String,
    ) -> Result<Report, ServiceError> {
        let reason = check_reason(reason)?;
        let from = [ApprovalStatus::Approved, ApprovalStatus::Rejected];
        let (txn, _) = self
            .begin_transition(actor, report_id, &from, "reopened")
            .await?;
        let report = reports::set_undecided(&txn, report_id, ApprovalStatus::Draft).await?;
        // What the approved version had not mailed yet no longer goes; the
        // webhooks hear of the reopening.
        crate::deliveries::reopened(&txn, &report, &reason).await?;
        moved(txn, actor, report, CurationEventType::Reopen, Some(reason)).await
    }

    /// Adds articles to a draft after its last ranking, in the order given,
    /// and returns the ids added: an article the report holds already
    /// (excluded or not) is left as it is. One `add_articles` event; the
    /// report moves to its next version when anything was added.
    pub async fn add_articles(
        &self,
        actor: &Actor,
        report_id: i32,
        add: AddArticles,
    ) -> Result<Vec<i32>, ServiceError> {
        let db = &self.db;
        let (report, stream) = get_for_change(db, actor, report_id).await?;
        // The state first: past draft no list of ids could be taken, and
        // saying which of them are unknown would only mislead.
        only_drafts_take_articles(report.approval_status)?;
        let mut errors = Vec::new();
        let (field, ids) = match &add {
            AddArticles::Candidates(ids) => ("candidate_ids", ids),
            AddArticles::Articles(ids) => ("article_ids", ids),
        };
        if let Some(e) = limits::check(field, limits::AddedIds::refusal(ids.len())) {
            return Err(ServiceError::Validation(vec![e]));
        }
        let articles = match add {
            AddArticles::Candidates(ids) => {
                let from = crate::candidates::FromCandidates::Ids(ids);
                crate::candidates::articles_of(db, stream.id, &from, field, &mut errors).await?
            }
            AddArticles::Articles(ids) => {
                crate::articles::check_exist(db, field, None, &ids, &mut errors).await?;
                ids
            }
        };
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let txn = self.begin(report_id).await?;
        // Again under the lock: the report may have moved since.
        only_drafts_take_articles(reports::get(&txn, report_id).await?.approval_status)?;
        let mut present = associations::article_ids(&txn, report_id).await?;
        let new: Vec<i32> = articles
            .into_iter()
            .filter(|id| present.insert(*id))
            .collect();
        if present.len() > limits::ARTICLES_PER_REPORT {
            return Err(ServiceError::invalid(
                field,
                format!(
                    "a report holds at most {} articles",
                    limits::ARTICLES_PER_REPORT
                ),
            ));
        }
        if new.is_empty() {
            // Nothing changes: the version the transaction moved stays.
            txn.rollback().await?;
            return Ok(new);
        }
        let first = associations::next_ranking(&txn, report_id).await?;
        let rows =
            new.iter()
                .zip(first..)
                .map(|(&article_id, ranking)| associations::NewAssociation {
                    article_id,
                    ranking,
                    relevance_score: None,
                    presentation_categories: Vec::new(),
                    curator_added: true,
                });
        associations::create_many(&txn, report_id, rows.collect()).await?;
        let details = EventDetails::AddArticles {
            added_article_ids: new.clone(),
        };
        record(
            &txn,
            actor,
            report_id,
            None,
            CurationEventType::AddArticles,
            None,
            Some(details),
        )
        .await?;
        txn.commit().await?;
        Ok(new)
    }

    /// Excludes (`hidden`) or re-includes an article of a report.
    pub async fn set_excluded(
        &self,
        actor: &Actor,
        report_id: i32,
        article_id: i32,
        excluded: bool,
        notes: Option<String>,
    ) -> Result<Association, ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, report_id).await?;
        check_notes(&notes)?;
        let txn = self.begin(report_id).await?;
        let current = associations::find(&txn, report_id, article_id)
            .await?
            .ok_or(ServiceError::NotFound("report article"))?;
        if current.is_hidden == excluded {
            return Err(ConflictKind::AlreadyDone.because(if excluded {
                "the article is already excluded"
            } else {
                "the article is already included"
            }));
        }
        let updated =
            associations::set_hidden(&txn, current, excluded, actor.id, notes.clone()).await?;
        let event = if excluded {
            CurationEventType::ExcludeArticle
        } else {
            CurationEventType::IncludeArticle
        };
        record(&txn, actor, report_id, Some(article_id), event, notes, None).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Edits an article's ranking, summary or categories; the first edit keeps
    /// the original values.
    pub async fn edit(
        &self,
        actor: &Actor,
        report_id: i32,
        article_id: i32,
        input: EditArticle,
    ) -> Result<Association, ServiceError> {
        let db = &self.db;
        let (_, stream) = get_for_change(db, actor, report_id).await?;
        let mut errors = Vec::new();
        if let Some(r) = input.ranking {
            errors.extend(limits::check("ranking", limits::Ranking::refusal(r)));
        }
        if let Some(Some(s)) = &input.ai_summary {
            errors.extend(limits::check("ai_summary", limits::SummaryText::refusal(s)));
        }
        if let Some(c) = &input.presentation_categories {
            let known = crate::report_guards::category_ids(&stream);
            check_categories(&known, "presentation_categories", c, &mut errors);
        }
        if input.ranking.is_none()
            && input.ai_summary.is_none()
            && input.presentation_categories.is_none()
            && input.notes.is_none()
        {
            errors.push(FieldError::new(
                "body",
                "change at least one of ranking, ai_summary, presentation_categories, notes",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        check_notes(&input.notes)?;
        let details = EventDetails::EditArticle {
            ranking: input.ranking,
            ai_summary_changed: input.ai_summary.is_some(),
            presentation_categories: input.presentation_categories.clone(),
        };
        let txn = self.begin(report_id).await?;
        let current = associations::find(&txn, report_id, article_id)
            .await?
            .ok_or(ServiceError::NotFound("report article"))?;
        let updated = associations::edit(
            &txn,
            current,
            AssociationEdit {
                ranking: input.ranking,
                ai_summary: input.ai_summary,
                presentation_categories: input.presentation_categories,
                notes: input.notes.clone().map(Some),
            },
            actor.id,
        )
        .await?;
        record(
            &txn,
            actor,
            report_id,
            Some(article_id),
            CurationEventType::EditArticle,
            input.notes,
            Some(details),
        )
        .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Edits the executive summary or category summaries of a report; the
    /// first LLM text stays as the original. Category ids must be the
    /// stream's.
    pub async fn edit_summaries(
        &self,
        actor: &Actor,
        report_id: i32,
        input: EditSummaries,
    ) -> Result<Report, ServiceError> {
        let (_, stream) = get_for_change(&self.db, actor, report_id).await?;
        let mut errors = Vec::new();
        if input.executive_summary.is_none() && input.category_summaries.is_empty() {
            errors.push(FieldError::new(
                "body",
                "change at least one of executive_summary, category_summaries",
            ));
        }
        if let Some(text) = &input.executive_summary {
            errors.extend(limits::check(
                "executive_summary",
                limits::SummaryText::refusal(text),
            ));
        }
        if let Some(e) = limits::check(
            "category_summaries",
            limits::Categories::refusal(input.category_summaries.len()),
        ) {
            errors.push(e);
        } else {
            let known = crate::report_guards::category_ids(&stream);
            for id in input.category_summaries.keys() {
                if !known.contains(id.as_str()) {
                    errors.push(FieldError::new(
                        "category_summaries",
                        format!("unknown presentation category `{id}`"),
                    ));
                }
            }
        }
        for (id, text) in &input.category_summaries {
            let field = format!("category_summaries.{id}");
            errors.extend(limits::check(field, limits::SummaryText::refusal(text)));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        check_notes(&input.notes)?;
        let txn = self.begin(report_id).await?;
        let mut enrichments = reports::get(&txn, report_id)
            .await?
            .enrichments
            .unwrap_or_default();
        if let Some(text) = &input.executive_summary {
            enrichments.executive_summary = Some(text.clone());
        }
        for (id, text) in &input.category_summaries {
            enrichments
                .category_summaries
                .insert(id.clone(), text.clone());
        }
        reports::edit_enrichments(&txn, report_id, enrichments).await?;
        let details = EventDetails::EditSummaries {
            executive_summary_changed: input.executive_summary.is_some(),
            category_summaries: input.category_summaries.keys().cloned().collect(),
        };
        let event = CurationEventType::EditSummaries;
        record(
            &txn,
            actor,
            report_id,
            None,
            event,
            input.notes,
            Some(details),
        )
        .await?;
        let report = reports::get(&txn, report_id).await?;
        txn.commit().await?;
        Ok(report)
    }

    /// Lets a flagged sentence of a report's summaries stand: `summary` is
    /// `executive` or a category id, `sentence` its place in that summary's
    /// citations, `reason` why it stands (the curation event's notes). The
    /// acknowledgement holds while the sentence reads as it did; an edit of
    /// it, or a new summary run, asks again.
    pub async fn acknowledge_check(
        &self,
        actor: &Actor,
        report_id: i32,
        summary: &str,
        sentence: usize,
        reason: String,
    ) -> Result<(), ServiceError> {
        get_for_change(&self.db, actor, report_id).await?;
        let reason = check_reason(reason)?;
        let txn = self.begin(report_id).await?;
        let report = reports::get(&txn, report_id).await?;
        let loaded = reports::load_with_articles(&txn, report, false).await?;
        let citations = SummaryCitations::of(&loaded);
        // Naming a summary or a sentence the report does not have means the
        // caller's view of the report is out of date (as a ranking that does
        // not list the visible articles is): reload and look again.
        if summary != crate::summary_checks::EXECUTIVE
            && !citations.categories.contains_key(summary)
        {
            return Err(ConflictKind::Stale.because(format!(
                "the report has no summary `{summary}`: name `executive` or a category id with a summary"
            )));
        }
        let Some(flagged) = citations.sentence(summary, sentence) else {
            return Err(ConflictKind::Stale
                .because(format!("summary `{summary}` has no sentence {sentence}")));
        };
        if flagged.flags.is_empty() {
            return Err(ConflictKind::AlreadyDone.because(format!(
                "sentence {sentence} of summary `{summary}` carries no flag to acknowledge"
            )));
        }
        let text = flagged.text.clone();
        let flags: Vec<String> = flagged
            .flags
            .iter()
            .map(|f| f.kind.as_str().to_owned())
            .collect();
        let mut enrichments = loaded.report.enrichments.clone().unwrap_or_default();
        enrichments
            .acknowledged
            .retain(|a| !(a.summary == summary && a.text == text));
        enrichments.acknowledged.push(Acknowledgement {
            summary: summary.to_owned(),
            text: text.clone(),
            reason: reason.clone(),
            user_id: actor.id,
            at: chrono::Utc::now(),
        });
        reports::edit_enrichments(&txn, report_id, enrichments).await?;
        let details = EventDetails::AcknowledgeCheck {
            summary: summary.to_owned(),
            sentence: text,
            flags,
        };
        let event = CurationEventType::AcknowledgeCheck;
        record(
            &txn,
            actor,
            report_id,
            None,
            event,
            Some(reason),
            Some(details),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets the order of all visible articles of a report: `article_ids` must
    /// name each visible article exactly once; they get rankings 1..=n. An id
    /// listed twice is a `Validation` error; a list that names other articles
    /// than the report's visible ones is a `Conflict` (the caller's view of the
    /// report is stale).
    pub async fn reorder(
        &self,
        actor: &Actor,
        report_id: i32,
        article_ids: Vec<i32>,
    ) -> Result<(), ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, report_id).await?;
        let given: HashSet<i32> = article_ids.iter().copied().collect();
        if given.len() != article_ids.len() {
            return Err(ServiceError::invalid(
                "article_ids",
                "must not list an article twice",
            ));
        }
        let txn = self.begin(report_id).await?;
        let visible = associations::visible_article_ids(&txn, report_id).await?;
        if given != visible.iter().copied().collect::<HashSet<_>>() {
            return Err(ConflictKind::Stale.because(format!(
                "the ranking must list each of the report's {} visible articles exactly once; reload the report",
                visible.len()
            )));
        }
        let rankings: Vec<(i32, i32)> = article_ids
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, i as i32 + 1))
            .collect();
        associations::set_rankings(&txn, report_id, &rankings).await?;
        record(
            &txn,
            actor,
            report_id,
            None,
            CurationEventType::Reorder,
            None,
            Some(EventDetails::Reorder {
                article_ids: article_ids.to_vec(),
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Approves a report awaiting approval; refused while it has no visible
    /// article or a summary run is queued or running for it.
    pub async fn approve(&self, actor: &Actor, report_id: i32) -> Result<Report, ServiceError> {
        let from = [ApprovalStatus::AwaitingApproval];
        let (txn, current) = self
            .begin_transition(actor, report_id, &from, "approved")
            .await?;
        require_visible(&txn, report_id, "approved").await?;
        if repository::summary_runs::active_for_report(&txn, report_id)
            .await?
            .is_some()
        {
            return Err(ConflictKind::RunInProgress.because(
                "a summary run of this report is in progress; wait for it to end or cancel it",
            ));
        }
        let stream = repository::streams::find(&txn, current.stream_id)
            .await?
            .ok_or(ServiceError::NotFound("report"))?;
        if stream.enrichment_config.require_checked_summaries {
            let loaded = reports::load_with_articles(&txn, current, false).await?;
            require_checked(&SummaryCitations::of(&loaded))?;
        }
        let report =
            reports::set_approval(&txn, report_id, ApprovalStatus::Approved, actor.id, None)
                .await?;
        // The outbox: written with the approval or not at all.
        crate::deliveries::enqueue_approval(&txn, &report, &stream).await?;
        moved(txn, actor, report, CurationEventType::Approve, None).await
    }

    /// Rejects a report awaiting approval, with a reason.
    pub async fn reject(
        &self,
        actor: &Actor,
        report_id: i32,
        reason: String,
    ) -> Result<Report, ServiceError> {
        let reason = check_reason(reason)?;
        let from = [ApprovalStatus::AwaitingApproval];
        let (txn, _) = self
            .begin_transition(actor, report_id, &from, "rejected")
            .await?;
        let report = reports::set_approval(
            &txn,
            report_id,
            ApprovalStatus::Rejected,
            actor.id,
            Some(reason.clone()),
        )
        .await?;
        moved(txn, actor, report, CurationEventType::Reject, Some(reason)).await
    }
}

/// How many unresolved sentences a refused approval names; the checks
/// (`GET /reports/{id}`) list them all.
const NAMED_SENTENCES: usize = 10;

/// A `Conflict` naming the flagged sentences no curator acknowledged, if
/// there are any.
fn require_checked(citations: &SummaryCitations) -> Result<(), ServiceError> {
    let unresolved = citations.unresolved();
    if unresolved.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = unresolved
        .iter()
        .take(NAMED_SENTENCES)
        .map(|f| {
            let flags: Vec<String> = f
                .sentence
                .flags
                .iter()
                .map(|flag| format!("{} {}", flag.kind.as_str(), flag.detail))
                .collect();
            format!(
                "{} sentence {} \"{}\" ({})",
                f.summary,
                f.index,
                f.sentence.text,
                flags.join("; ")
            )
        })
        .collect();
    let more = unresolved.len().saturating_sub(NAMED_SENTENCES);
    let more = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    Err(ConflictKind::UncheckedSummaries.because(format!(
        "the stream requires checked summaries and {} flagged sentence(s) are neither fixed nor acknowledged: {}{more}",
        unresolved.len(),
        named.join("; ")
    )))
}

fn only_drafts_take_articles(status: ApprovalStatus) -> Result<(), ServiceError> {
    if status == ApprovalStatus::Draft {
        return Ok(());
    }
    Err(ConflictKind::ReportStatus.because(format!(
        "a report that is {status} takes no more articles; only a draft does"
    )))
}
