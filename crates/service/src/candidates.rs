//! A stream's candidate pool: file imports into it, its listing, and the
//! curators' decisions on its candidates.
//!
//! The pool is the curators' workspace: those who may change the stream
//! import, list and decide; a reader of the stream is refused (403).

use std::collections::{HashMap, HashSet};

pub use bibliography::Format;
use chrono::{DateTime, Utc};
use entity::enums::{CandidateSource, CandidateStatus};
use repository::articles::{self, NewArticle, Rewrites};
pub use repository::candidates::{Candidate, CandidateFilter, Decision, PooledCandidate};
use repository::{Page, Paginated};
use repository::{candidates, retrieval_runs};
use sea_orm::DatabaseConnection;

use crate::access::Actor;
use crate::{FieldError, ServiceError, limits};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Records that became new candidates of the stream.
    pub imported: usize,
    /// Records of works the stream already knew (a candidate, an article
    /// of one of its reports, or an earlier record of the same file).
    pub duplicates: usize,
    /// Records not stored, with their position and the reason.
    pub rejected: Vec<bibliography::Rejected>,
    /// The run that records the import in the stream's history (none when
    /// the file held no record).
    pub run_id: Option<i32>,
}

/// A curator's decision on one candidate, as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInput {
    pub candidate_id: i32,
    pub status: CandidateStatus,
    pub reason: Option<String>,
    pub notes: Option<String>,
    /// The candidate's version the decision was made on; another one is
    /// 412 (another curator decided in between).
    pub version: Option<i32>,
}

/// Imports into the pool, its listing and decisions on it.
#[derive(Clone)]
pub struct CandidateService {
    db: DatabaseConnection,
}

impl CandidateService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Imports a file of `format` into the stream's pool. Every record is
    /// either stored whole or listed in `rejected` with its line and reason;
    /// the stored ones are written in one transaction. A work the stream
    /// already knows (by DOI, PMID or title key) is counted as a duplicate,
    /// not stored twice. An article the shared bibliography holds already
    /// keeps its fields (an import never rewrites what others curated) and
    /// gains only a DOI or PMID it lacked.
    pub async fn import(
        &self,
        actor: &Actor,
        stream_id: i32,
        format: Format,
        body: Vec<u8>,
    ) -> Result<ImportOutcome, ServiceError> {
        let db = &self.db;
        let stream = crate::streams::get_for_change(db, actor, stream_id).await?;
        if body.len() > limits::IMPORT_BYTES {
            return Err(ServiceError::invalid(
                "body",
                format!("must be at most {} bytes", limits::IMPORT_BYTES),
            ));
        }
        let prepared = crate::cpu::run(move || prepare(format, body)).await??;
        let mut outcome = ImportOutcome {
            duplicates: prepared.duplicates,
            rejected: prepared.rejected,
            ..Default::default()
        };
        // A file of no records at all leaves no trace; one whose records
        // were all refused or known is in the history with its counts.
        if prepared.records.is_empty() && outcome.duplicates == 0 && outcome.rejected.is_empty() {
            return Ok(outcome);
        }
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let txn = repository::database::begin_write(db).await?;
        // The import is a run of the stream's history, whose candidates
        // carry its id.
        let run = retrieval_runs::record_import(&txn, stream_id, stream.org_id, actor.id).await?;
        let source = CandidateSource::Import;
        let stored = store(&txn, stream_id, &prepared.records, source, Some(run.id)).await?;
        outcome.imported = stored.new;
        outcome.duplicates += stored.known;
        let counts = retrieval_runs::Advance {
            retrieved: count(outcome.imported + outcome.duplicates + outcome.rejected.len()),
            duplicates: count(outcome.duplicates),
            new_candidates: count(outcome.imported),
            rejected: count(outcome.rejected.len()),
            ..Default::default()
        };
        retrieval_runs::set_import_counts(&txn, run.id, counts).await?;
        txn.commit().await?;
        outcome.run_id = Some(run.id);
        Ok(outcome)
    }

    /// A page of the stream's candidates, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        stream_id: i32,
        filter: CandidateFilter,
        page: Page,
    ) -> Result<Paginated<PooledCandidate>, ServiceError> {
        let db = &self.db;
        crate::streams::get_for_change(db, actor, stream_id).await?;
        check_window(&filter)?;
        Ok(candidates::list(db, stream_id, &filter, page).await?)
    }

    /// Records the decisions, all or none, and returns the candidates as
    /// they are after. An exclusion names one of the stream's exclusion
    /// reasons (when it has any); a decision made on a version of the
    /// candidate that is no longer current is 412.
    pub async fn decide(
        &self,
        actor: &Actor,
        stream_id: i32,
        decisions: Vec<DecisionInput>,
    ) -> Result<Vec<Candidate>, ServiceError> {
        let db = &self.db;
        let stream = crate::streams::get_for_change(db, actor, stream_id).await?;
        let mut errors = check_decisions(&stream.retrieval_config, &decisions);
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let ids: Vec<i32> = decisions.iter().map(|d| d.candidate_id).collect();
        let txn = repository::database::begin_write(db).await?;
        let stored: HashMap<i32, Candidate> = candidates::lock_many(&txn, stream_id, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut stale = Vec::new();
        for (i, d) in decisions.iter().enumerate() {
            match stored.get(&d.candidate_id) {
                None => errors.push(FieldError::new(
                    format!("decisions[{i}].candidate_id"),
                    "no candidate of this stream has this id",
                )),
                Some(c) if d.version.is_some_and(|v| v != c.version) => {
                    stale.push(format!("{} (now version {})", c.id, c.version));
                }
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        if !stale.is_empty() {
            return Err(ServiceError::PreconditionFailed(format!(
                "candidates {} were decided since the versions given; reload them",
                stale.join(", ")
            )));
        }
        // Candidates given the same decision are written in one statement.
        let mut groups: Vec<(Decision, Vec<i32>)> = Vec::new();
        for d in decisions {
            let decision = Decision {
                status: d.status,
                reason: d.reason,
                notes: d.notes,
            };
            match groups.iter_mut().find(|(g, _)| *g == decision) {
                Some((_, ids)) => ids.push(d.candidate_id),
                None => groups.push((decision, vec![d.candidate_id])),
            }
        }
        let now = now_micros();
        for (decision, ids) in &groups {
            candidates::decide(&txn, ids, decision, actor.id, now).await?;
        }
        txn.commit().await?;
        // The rows as written, built here rather than read back.
        let mut after = Vec::with_capacity(ids.len());
        for (decision, group) in groups {
            for id in group {
                let mut c = stored[&id].clone();
                c.status = decision.status;
                c.reason = decision.reason.clone();
                c.notes = decision.notes.clone();
                c.decided_by = Some(actor.id);
                c.decided_at = Some(now);
                c.version += 1;
                after.push(c);
            }
        }
        let order: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        after.sort_by_key(|c| order[&c.id]);
        Ok(after)
    }
}

/// What storing a batch of records did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stored {
    /// Records that became new candidates.
    pub new: usize,
    /// Records of works the stream already had (a candidate, an article of
    /// one of its reports).
    pub known: usize,
}

/// Stores checked records as candidates of the stream, in `txn`: records
/// known only by their title key take the stored article that carries it;
/// the others are upserted on DOI and PMID (and inserted when new), never
/// rewriting a stored article's fields beyond a missing identifier.
pub(crate) async fn store<C: sea_orm::ConnectionTrait>(
    txn: &C,
    stream_id: i32,
    records: &[Prepared],
    source: CandidateSource,
    run_id: Option<i32>,
) -> Result<Stored, ServiceError> {
    if records.is_empty() {
        return Ok(Stored::default());
    }
    let keys: Vec<&str> = records
        .iter()
        .filter(|r| r.article.doi.is_none() && r.article.pmid.is_none())
        .filter_map(|r| r.title_key.as_deref())
        .collect();
    let by_title = articles::ids_by_title_keys(txn, &keys).await?;
    let mut article_ids = vec![0; records.len()];
    let mut to_upsert = Vec::new();
    let mut upserted_rows = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let keyless = r.article.doi.is_none() && r.article.pmid.is_none();
        match r.title_key.as_deref().and_then(|k| by_title.get(k)) {
            Some(&id) if keyless => article_ids[i] = id,
            _ => {
                to_upsert.push(r.article.clone());
                upserted_rows.push(i);
            }
        }
    }
    let upserted = articles::import(txn, to_upsert, Rewrites::IdentifiersOnly).await?;
    for (row, id) in upserted_rows.into_iter().zip(upserted.ids) {
        article_ids[row] = id;
    }
    let known = candidates::known_articles(txn, stream_id, &article_ids).await?;
    let mut seen = HashSet::new();
    let new: Vec<i32> = article_ids
        .iter()
        .copied()
        .filter(|id| !known.contains(id) && seen.insert(*id))
        .collect();
    candidates::insert_new(txn, stream_id, source, run_id, &new, Utc::now()).await?;
    let added: HashSet<i32> = new.iter().copied().collect();
    let fresh = records
        .iter()
        .zip(&article_ids)
        .filter(|(_, id)| added.contains(id));
    link_versions(txn, stream_id, fresh).await?;
    Ok(Stored {
        new: new.len(),
        known: article_ids.len() - new.len(),
    })
}

/// Years apart a preprint and its published paper may be.
const VERSION_YEARS: i32 = 3;

/// Links each new candidate to a candidate of the stream that is another
/// version of its work: the same title (its key, the year aside: a
/// preprint is often a year or two older than its paper) and DOIs of
/// which exactly one is a preprint server's. A preprint looks for papers
/// of its year and the next ones; a paper for preprints of its year and the
/// ones before. The oldest such candidate is the one linked.
async fn link_versions<'a, C: sea_orm::ConnectionTrait>(
    txn: &C,
    stream_id: i32,
    fresh: impl Iterator<Item = (&'a Prepared, &'a i32)>,
) -> Result<(), ServiceError> {
    // (article id, is a preprint, the title keys its other version may have)
    let mut wanted = Vec::new();
    for (record, &article_id) in fresh {
        let (Some(doi), Some(year)) = (&record.article.doi, record.article.pub_year) else {
            continue;
        };
        let preprint = bibliography::is_preprint_doi(doi);
        let years = if preprint {
            year..=year + VERSION_YEARS
        } else {
            year - VERSION_YEARS..=year
        };
        let keys: Vec<String> = years
            .filter_map(|y| bibliography::title_key(&record.article.title, Some(y)))
            .collect();
        if !keys.is_empty() {
            wanted.push((article_id, preprint, keys));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let all: Vec<String> = wanted.iter().flat_map(|w| w.2.iter().cloned()).collect();
    let mut by_key: HashMap<String, Vec<(i32, i32, bool)>> = HashMap::new();
    for (candidate, article, doi, key) in candidates::by_title_keys(txn, stream_id, &all).await? {
        let Some(doi) = doi else { continue };
        by_key.entry(key).or_default().push((
            candidate,
            article,
            bibliography::is_preprint_doi(&doi),
        ));
    }
    for (article_id, preprint, keys) in wanted {
        let other = keys
            .iter()
            .filter_map(|k| by_key.get(k))
            .flatten()
            .filter(|&&(_, article, other_preprint)| {
                article != article_id && other_preprint != preprint
            })
            .map(|&(candidate, ..)| candidate)
            .min();
        if let Some(other) = other {
            candidates::link_version(txn, stream_id, article_id, other).await?;
        }
    }
    Ok(())
}

/// Which of a stream's candidates a new report takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromCandidates {
    /// Every included candidate, in the order they entered the pool.
    Included,
    /// These candidates, in this order; none of them excluded.
    Ids(Vec<i32>),
}

/// The articles of the candidates `from` names, in order; errors name
/// `field` (or `field[i]`).
pub(crate) async fn articles_of(
    db: &DatabaseConnection,
    stream_id: i32,
    from: &FromCandidates,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<i32>, ServiceError> {
    let ids = match from {
        FromCandidates::Included => {
            return Ok(candidates::included_article_ids(db, stream_id).await?);
        }
        FromCandidates::Ids(ids) => ids,
    };
    if let Some(e) = limits::check(field, limits::ReportArticles::<()>::refusal(ids.len())) {
        errors.push(e);
        return Ok(Vec::new());
    }
    let stored: HashMap<i32, Candidate> = candidates::find_many(db, stream_id, ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut articles = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let field = format!("{field}[{i}]");
        match stored.get(id) {
            None => errors.push(FieldError::new(
                field,
                "no candidate of this stream has this id",
            )),
            Some(c) if c.status == CandidateStatus::Excluded => {
                errors.push(FieldError::new(field, "is excluded: include it first"));
            }
            Some(c) => articles.push(c.article_id),
        }
    }
    Ok(articles)
}

/// The current time as the timestamp columns store it (microseconds), so
/// that what a write returns is what a later read gives.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The decisions' own errors: each candidate once, a reason exactly when
/// the stream's list calls for one, notes bounded.
fn check_decisions(
    config: &entity::stream_config::RetrievalConfig,
    decisions: &[DecisionInput],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(e) = limits::check(
        "decisions",
        limits::Decisions::<()>::refusal(decisions.len()),
    ) {
        return vec![e];
    }
    let mut seen = HashSet::new();
    for (i, d) in decisions.iter().enumerate() {
        let field = |name: &str| format!("decisions[{i}].{name}");
        if !seen.insert(d.candidate_id) {
            errors.push(FieldError::new(field("candidate_id"), "appears twice"));
        }
        match (&d.reason, d.status) {
            (Some(code), CandidateStatus::Excluded) if !config.has_reason(code) => {
                let known: Vec<&str> = config
                    .exclusion_reasons
                    .iter()
                    .map(|r| r.code.as_str())
                    .collect();
                errors.push(FieldError::new(
                    field("reason"),
                    if known.is_empty() {
                        "the stream defines no exclusion reasons (retrieval_config.exclusion_reasons)".to_owned()
                    } else {
                        format!("must be one of the stream's exclusion reasons: {}", known.join(", "))
                    },
                ));
            }
            (None, CandidateStatus::Excluded) if !config.exclusion_reasons.is_empty() => {
                errors.push(FieldError::new(
                    field("reason"),
                    "is required to exclude: the stream lists exclusion reasons",
                ));
            }
            (Some(_), status) if status != CandidateStatus::Excluded => {
                errors.push(FieldError::new(
                    field("reason"),
                    "only an excluded candidate has a reason",
                ));
            }
            _ => {}
        }
        if let Some(notes) = &d.notes {
            errors.extend(limits::check(field("notes"), limits::Notes::refusal(notes)));
        }
    }
    errors
}

/// A record ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    article: NewArticle,
    title_key: Option<String>,
}

/// A file's records, parsed and checked, with the duplicates within it
/// counted and the records refused listed.
#[derive(Debug, Default)]
pub(crate) struct PreparedFile {
    pub records: Vec<Prepared>,
    pub duplicates: usize,
    pub rejected: Vec<bibliography::Rejected>,
}

/// Parses and checks a file: CPU work, run on the blocking pool.
fn prepare(format: Format, body: Vec<u8>) -> Result<PreparedFile, ServiceError> {
    let text = String::from_utf8(body).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        ServiceError::invalid(
            "body",
            format!("is not UTF-8 (at byte {offset}); export the file as UTF-8"),
        )
    })?;
    let parsed = format.parse(&text).map_err(|e| {
        ServiceError::invalid(
            "body",
            format!("is not {format}: line {}: {}", e.line, e.reason),
        )
    })?;
    if parsed.total() > limits::IMPORT_RECORDS {
        return Err(ServiceError::invalid(
            "body",
            format!(
                "holds {} records; an import takes at most {}",
                parsed.total(),
                limits::IMPORT_RECORDS
            ),
        ));
    }
    Ok(prepare_parsed(parsed))
}

/// Checks parsed records: each stored whole or refused with its reason,
/// and a work that appears twice (by any of its keys) counted once.
pub(crate) fn prepare_parsed(parsed: bibliography::Parsed) -> PreparedFile {
    let mut rejected = parsed.rejected;
    let mut records = Vec::with_capacity(parsed.records.len());
    let mut duplicates = 0;
    let mut seen: HashSet<String> = HashSet::new();
    for located in parsed.records {
        let r = located.value;
        let article = NewArticle {
            title: r.title,
            r#abstract: r.r#abstract,
            authors: r.authors,
            journal: r.journal,
            pub_year: r.pub_year,
            // A record with no DOI that links to arXiv is known by the DOI
            // arXiv registers, so that the preprint found in a feed, a file
            // or a later run is one work.
            doi: articles::normalize_doi(
                r.doi
                    .or_else(|| r.url.as_deref().and_then(bibliography::arxiv_doi))
                    .as_deref(),
            ),
            pmid: articles::normalize_pmid(r.pmid.as_deref()),
            url: r.url,
        };
        let errors = crate::articles::new_article_errors("record", &article);
        if !errors.is_empty() {
            let reason = errors
                .iter()
                .map(|e| format!("{}: {}", e.field.trim_start_matches("record."), e.message))
                .collect::<Vec<_>>()
                .join("; ");
            rejected.push(bibliography::Rejected {
                record: located.record,
                line: located.line,
                reason,
            });
            continue;
        }
        let title_key = bibliography::title_key(&article.title, article.pub_year);
        // The same work twice in one file: by any of its keys.
        let keys: Vec<String> = [
            article.doi.as_ref().map(|d| format!("doi:{d}")),
            article.pmid.as_ref().map(|p| format!("pmid:{p}")),
            title_key.as_ref().map(|t| format!("title:{t}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let repeated = keys.iter().any(|k| seen.contains(k));
        seen.extend(keys);
        if repeated {
            duplicates += 1;
            continue;
        }
        records.push(Prepared { article, title_key });
    }
    rejected.sort_by_key(|r| r.record);
    PreparedFile {
        records,
        duplicates,
        rejected,
    }
}

/// A 422 naming `from` or `to` when the filter's retrieval window has a
/// date no backend stores.
pub(crate) fn check_window(filter: &CandidateFilter) -> Result<(), ServiceError> {
    let errors: Vec<FieldError> = [("from", filter.from), ("to", filter.to)]
        .into_iter()
        .filter_map(|(field, at)| limits::unstorable_date(field, at?.date_naive()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(errors))
    }
}
