//! Exports of a report and of a stream's candidate pool as RIS, BibTeX,
//! CSL-JSON or CSV, for reference managers, spreadsheets and review tools.
//!
//! An export holds what its caller may read: a report's visible articles
//! (a member gets approved reports only, as everywhere), with the curator
//! fields — decision, reason, notes, the LLM's original summary — only for
//! those who may curate the stream. The bytes are written on the blocking
//! pool: a pool of thousands of records is milliseconds of CPU.

use std::collections::HashMap;

use bibliography::Record;
pub use bibliography::export::ExportFormat;
use bibliography::export::{CitingSentence, Curation, Entry, assign_keys};
use repository::articles::Article;
use repository::candidates::{self as pool, CandidateFilter};
use repository::{Page, reports};
use sea_orm::DatabaseConnection;

use crate::access::{self, Actor};
use crate::report_guards::get_visible;
use crate::streams::Stream;
use crate::summary_checks::SummaryCitations;
use crate::{ServiceError, limits};

/// A written export.
#[derive(Debug, Clone)]
pub struct Export {
    pub format: ExportFormat,
    /// A file name for `Content-Disposition` (ASCII).
    pub file_name: String,
    pub body: String,
    /// How many articles it holds.
    pub count: usize,
    /// How many matched (a pool export holds at most
    /// [`limits::EXPORT_CANDIDATES`] of them from its offset).
    pub total: u64,
}

/// Writes exports.
#[derive(Clone)]
pub struct ExportService {
    db: DatabaseConnection,
}

fn record_of(a: &Article) -> Record {
    Record {
        title: a.title.clone(),
        r#abstract: a.r#abstract.clone(),
        authors: a.authors.0.clone(),
        journal: a.journal.clone(),
        pub_year: a.pub_year,
        doi: a.doi.clone(),
        pmid: a.pmid.clone(),
        url: a.url.clone(),
    }
}

/// Keys, then the bytes, off the runtime's workers.
async fn write(
    format: ExportFormat,
    mut entries: Vec<Entry>,
    article_ids: Vec<i64>,
    file_stem: String,
    total: u64,
) -> Result<Export, ServiceError> {
    tokio::task::spawn_blocking(move || {
        assign_keys(&mut entries, &article_ids);
        Export {
            format,
            file_name: format!("{file_stem}.{}", format.extension()),
            body: format.write(&entries),
            count: entries.len(),
            total,
        }
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))
}

impl ExportService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A visible report's visible articles, by ranking, with their
    /// categories (by name) and AI summaries; curators also get each
    /// article's decision and reason in the stream's pool, and the
    /// report's notes and original summaries.
    pub async fn report(
        &self,
        actor: &Actor,
        report_id: i32,
        format: ExportFormat,
    ) -> Result<Export, ServiceError> {
        let db = &self.db;
        let (report, stream) = get_visible(db, actor, report_id).await?;
        let curator = access::can_change_stream(actor, &stream);
        let loaded = reports::load_with_articles(db, report, false).await?;
        let names = category_names(&stream);
        let cited_in = cited_in(&SummaryCitations::of(&loaded), &names);
        let pooled: HashMap<i32, pool::Candidate> = if curator {
            let ids: Vec<i32> = loaded.articles.iter().map(|a| a.article.id).collect();
            pool::of_articles(db, stream.id, &ids)
                .await?
                .into_iter()
                .map(|c| (c.article_id, c))
                .collect()
        } else {
            HashMap::new()
        };
        let ids = loaded
            .articles
            .iter()
            .map(|a| a.article.id.into())
            .collect();
        let entries = loaded
            .articles
            .into_iter()
            .map(|ra| {
                let assoc = ra.association;
                let candidate = pooled.get(&ra.article.id);
                Entry {
                    key: String::new(),
                    record: record_of(&ra.article),
                    ranking: Some(assoc.ranking),
                    categories: assoc
                        .presentation_categories
                        .0
                        .iter()
                        .map(|id| names.get(id.as_str()).map_or(id.clone(), |n| n.clone()))
                        .collect(),
                    summary: assoc.ai_summary,
                    cited_in: cited_in.get(&ra.article.id).cloned().unwrap_or_default(),
                    curation: curator.then(|| Curation {
                        decision: candidate.map(|c| c.status.to_string()),
                        reason: candidate.and_then(|c| c.reason.clone()),
                        notes: assoc.curator_notes,
                        original_summary: assoc.original_ai_summary,
                    }),
                }
            })
            .collect::<Vec<_>>();
        let total = entries.len() as u64;
        write(format, entries, ids, format!("report-{report_id}"), total).await
    }

    /// The stream's candidates that pass the filter, newest first, at most
    /// [`limits::EXPORT_CANDIDATES`] from `offset` (the stream's curators,
    /// who alone see the pool), each with its decision, reason and notes.
    pub async fn candidates(
        &self,
        actor: &Actor,
        stream_id: i32,
        filter: CandidateFilter,
        offset: u64,
        format: ExportFormat,
    ) -> Result<Export, ServiceError> {
        let db = &self.db;
        let stream = crate::streams::get_for_change(db, actor, stream_id).await?;
        crate::candidates::check_window(&filter)?;
        let limit = limits::EXPORT_CANDIDATES as u64;
        let page = Page::up_to(offset, limit, limit)
            .ok_or_else(|| ServiceError::invalid("offset", "is too large"))?;
        let listed = pool::list(db, stream.id, &filter, page).await?;
        let ids = listed.items.iter().map(|p| p.article.id.into()).collect();
        let entries = listed
            .items
            .into_iter()
            .map(|p| Entry {
                key: String::new(),
                record: record_of(&p.article),
                ranking: None,
                categories: Vec::new(),
                summary: None,
                cited_in: Vec::new(),
                curation: Some(Curation {
                    decision: Some(p.candidate.status.to_string()),
                    reason: p.candidate.reason,
                    notes: p.candidate.notes,
                    original_summary: None,
                }),
            })
            .collect();
        write(
            format,
            entries,
            ids,
            format!("stream-{stream_id}-candidates"),
            listed.total,
        )
        .await
    }
}

/// Category names by id.
fn category_names(stream: &Stream) -> HashMap<&str, String> {
    stream
        .presentation_config
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.name.clone()))
        .collect()
}

/// By article id, the summaries' sentences that cite it: the executive
/// summary's first, then the categories' (by name).
fn cited_in(
    citations: &SummaryCitations,
    names: &HashMap<&str, String>,
) -> HashMap<i32, Vec<CitingSentence>> {
    let summaries = std::iter::once(("Executive summary".to_owned(), &citations.executive)).chain(
        citations.categories.iter().map(|(id, sentences)| {
            let name = names
                .get(id.as_str())
                .cloned()
                .unwrap_or_else(|| id.clone());
            (name, sentences)
        }),
    );
    let mut by_article: HashMap<i32, Vec<CitingSentence>> = HashMap::new();
    for (summary, sentences) in summaries {
        for s in sentences {
            for id in &s.article_ids {
                by_article.entry(*id).or_default().push(CitingSentence {
                    summary: summary.clone(),
                    sentence: s.text.clone(),
                });
            }
        }
    }
    by_article
}
