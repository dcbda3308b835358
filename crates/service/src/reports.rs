//! Reports: creation with their articles, reading, listing, changing.

use std::collections::HashSet;

use chrono::NaiveDate;
pub use entity::enrichments::ReportEnrichments;
use entity::enums::CandidateStatus;
use repository::associations::NewAssociation;
pub use repository::associations::{Association, ReportArticle};
use repository::curation_events;
pub use repository::curation_events::{CurationEvent, EventDetails};
use repository::reports::{self, NewReport, ReportUpdate};
pub use repository::reports::{Report, ReportFilter, ReportWithArticles};
use repository::{Page, Paginated, associations};

use crate::report_guards::{category_ids, check_categories, get_for_change, get_visible};
use sea_orm::DatabaseConnection;

use crate::access::{self, Actor};
use crate::summary_checks::SummaryCitations;
use crate::{FieldError, ServiceError, limits};

/// A report with its articles and its summaries' citations.
#[derive(Debug, Clone)]
pub struct ReportDetail {
    pub loaded: ReportWithArticles,
    /// Flags only when `curator`.
    pub citations: SummaryCitations,
    /// Whether the reader curates the report's stream.
    pub curator: bool,
}

/// An article to put in a new report.
#[derive(Debug, Clone)]
pub struct ReportArticleInput {
    pub article_id: i32,
    pub ranking: Option<i32>,
    pub relevance_score: Option<f64>,
    pub presentation_categories: Option<Vec<String>>,
}

/// A report to create, as submitted.
#[derive(Debug, Clone)]
pub struct CreateReport {
    pub report_name: String,
    pub report_date: NaiveDate,
    pub articles: Vec<ReportArticleInput>,
    /// Candidates of the stream's pool to add after `articles` (an article
    /// named in both is added once).
    pub from_candidates: Option<crate::candidates::FromCandidates>,
}

/// Reports: creation with curated articles, reading, changes and the curation log.
#[derive(Clone)]
pub struct ReportService {
    db: DatabaseConnection,
    quotas: crate::QuotaSettings,
}

impl ReportService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            quotas: crate::QuotaSettings::default(),
        }
    }

    /// The same service with other quotas for members.
    pub fn with_quotas(mut self, quotas: crate::QuotaSettings) -> Self {
        self.quotas = quotas;
        self
    }

    /// Creates a report and its associations in one transaction. Articles
    /// without a ranking follow the ranked ones in input order.
    pub async fn create(
        &self,
        actor: &Actor,
        stream_id: i32,
        mut input: CreateReport,
    ) -> Result<Report, ServiceError> {
        let db = &self.db;
        let stream = crate::streams::get_for_change(db, actor, stream_id).await?;
        crate::report_guards::require_active(&stream, "add reports")?;
        let mut errors = Vec::new();
        let name = input.report_name.trim().to_owned();
        errors.extend(limits::check(
            "report_name",
            limits::ReportName::refusal(&name),
        ));
        errors.extend(limits::unstorable_date("report_date", input.report_date));
        if let Some(from) = input.from_candidates.take() {
            let pooled = crate::candidates::articles_of(
                db,
                stream_id,
                &from,
                "from_candidates",
                &mut errors,
            )
            .await?;
            let named: std::collections::HashSet<i32> =
                input.articles.iter().map(|a| a.article_id).collect();
            let mut added = std::collections::HashSet::new();
            input.articles.extend(
                pooled
                    .into_iter()
                    .filter(|id| !named.contains(id) && added.insert(*id))
                    .map(|article_id| ReportArticleInput {
                        article_id,
                        ranking: None,
                        relevance_score: None,
                        presentation_categories: None,
                    }),
            );
        }
        let member = access::has_member_quotas(actor);
        let most = if member {
            self.quotas
                .member_articles_per_report
                .min(limits::ARTICLES_PER_REPORT)
        } else {
            limits::ARTICLES_PER_REPORT
        };
        if input.articles.len() > most {
            let who = if member { " for a member" } else { "" };
            errors.push(FieldError::new(
                "articles",
                format!("at most {most} articles{who}"),
            ));
            return Err(ServiceError::Validation(errors));
        }
        check_report_articles(&category_ids(&stream), &input.articles, &mut errors);
        let ids: Vec<i32> = input.articles.iter().map(|a| a.article_id).collect();
        crate::articles::check_exist(db, "articles", Some("article_id"), &ids, &mut errors).await?;
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let new = rank(input.articles);
        let txn = repository::database::begin_write(db).await?;
        if member {
            // Under a lock on the member, so that reports created at once
            // count each other.
            repository::users::lock(&txn, actor.id).await?;
            let day = chrono::Duration::hours(24);
            let since = chrono::Utc::now() - day;
            let (made, oldest) = reports::created_by_since(&txn, actor.id, since).await?;
            if made >= self.quotas.member_reports_per_day {
                let frees = oldest.map_or(day, |t| t + day - chrono::Utc::now());
                return Err(ServiceError::RateLimited {
                    detail: format!(
                        "a member creates at most {} reports in 24 hours",
                        self.quotas.member_reports_per_day
                    ),
                    retry_after: frees
                        .to_std()
                        .unwrap_or_default()
                        .max(std::time::Duration::from_secs(1)),
                });
            }
        }
        let report = reports::create(
            &txn,
            NewReport {
                stream_id,
                report_name: name,
                report_date: input.report_date,
                created_by: Some(actor.id),
            },
        )
        .await?;
        associations::create_many(&txn, report.id, new).await?;
        txn.commit().await?;
        Ok(report)
    }

    /// A visible report with its visible articles ordered by ranking. Curator
    /// notes and the original AI summaries (of articles and enrichments) go
    /// only to those who may curate the report's stream.
    pub async fn get(&self, actor: &Actor, id: i32) -> Result<ReportWithArticles, ServiceError> {
        self.load(actor, id, false).await
    }

    /// The curator's view of a report: like [`ReportService::get`], with the
    /// excluded articles too (`is_hidden`), so that they can be brought back.
    /// Only those who may curate the report's stream get it (`Forbidden`).
    pub async fn get_including_hidden(
        &self,
        actor: &Actor,
        id: i32,
    ) -> Result<ReportWithArticles, ServiceError> {
        self.load(actor, id, true).await
    }

    /// The report as [`ReportService::get`] (or, with `include_hidden`,
    /// [`ReportService::get_including_hidden`]) gives it, with its
    /// summaries' citations; the checks' flags for curators only.
    pub async fn detail(
        &self,
        actor: &Actor,
        id: i32,
        include_hidden: bool,
    ) -> Result<ReportDetail, ServiceError> {
        let (loaded, curator) = self.load_as(actor, id, include_hidden).await?;
        let citations = SummaryCitations::of(&loaded);
        let citations = if curator {
            citations
        } else {
            citations.without_flags()
        };
        Ok(ReportDetail {
            loaded,
            citations,
            curator,
        })
    }

    async fn load(
        &self,
        actor: &Actor,
        id: i32,
        include_hidden: bool,
    ) -> Result<ReportWithArticles, ServiceError> {
        Ok(self.load_as(actor, id, include_hidden).await?.0)
    }

    /// The report and whether `actor` curates it.
    async fn load_as(
        &self,
        actor: &Actor,
        id: i32,
        include_hidden: bool,
    ) -> Result<(ReportWithArticles, bool), ServiceError> {
        let db = &self.db;
        // Three statements in all: the caller, the report with its stream,
        // then its articles.
        let (report, stream) = get_visible(db, actor, id).await?;
        let curator = access::can_change_stream(actor, &stream);
        if include_hidden && !curator {
            return Err(ServiceError::Forbidden(
                "only the stream's curators see a report's excluded articles".into(),
            ));
        }
        let mut loaded = reports::load_with_articles(db, report, include_hidden).await?;
        if !curator {
            loaded.report.original_enrichments = None;
            for a in &mut loaded.articles {
                a.association.curator_notes = None;
                a.association.original_ai_summary = None;
            }
        }
        Ok((loaded, curator))
    }

    /// Visible reports with their article counts, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: ReportFilter,
        page: Page,
    ) -> Result<Paginated<(Report, u64)>, ServiceError> {
        let db = &self.db;
        Ok(reports::list_visible_with_counts(db, &actor.viewer(), filter, page).await?)
    }

    /// Renames or re-dates a report; with `expected_version`, only while
    /// the report is at that version (`If-Match`).
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        report_name: Option<String>,
        report_date: Option<NaiveDate>,
        expected_version: Option<reports::Versions>,
    ) -> Result<Report, ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, id).await?;
        let mut errors = Vec::new();
        if let Some(n) = &report_name {
            errors.extend(limits::check("report_name", limits::ReportName::refusal(n)));
        }
        if let Some(date) = report_date {
            errors.extend(limits::unstorable_date("report_date", date));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let txn = repository::database::begin_write(db).await?;
        crate::report_guards::check_editable(&txn, id, expected_version.as_ref()).await?;
        let report = reports::update(
            &txn,
            id,
            ReportUpdate {
                report_name: report_name.map(|n| n.trim().to_owned()),
                report_date,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(report)
    }

    /// Deletes a report with its associations and events.
    pub async fn delete(&self, actor: &Actor, id: i32) -> Result<(), ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, id).await?;
        Ok(reports::delete(db, id).await?)
    }

    /// The audit trail of a report, for those who may curate it (it carries
    /// curator notes and rejection reasons).
    pub async fn events(
        &self,
        actor: &Actor,
        id: i32,
        page: Page,
    ) -> Result<Paginated<CurationEvent>, ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, id).await?;
        Ok(curation_events::list_for_report(db, id, page).await?)
    }
}

/// Checks each article of a new report: no duplicates, rankings from 1,
/// scores within 0..=1, categories of the stream.
fn check_report_articles(
    known: &HashSet<&str>,
    articles: &[ReportArticleInput],
    errors: &mut Vec<FieldError>,
) {
    let mut seen = HashSet::new();
    for (i, a) in articles.iter().enumerate() {
        if !seen.insert(a.article_id) {
            errors.push(FieldError::new(
                format!("articles[{i}].article_id"),
                "appears twice",
            ));
        }
        if let Some(r) = a.ranking {
            errors.extend(limits::check(
                format!("articles[{i}].ranking"),
                limits::Ranking::refusal(r),
            ));
        }
        if a.relevance_score.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
            errors.push(FieldError::new(
                format!("articles[{i}].relevance_score"),
                "must be between 0 and 1",
            ));
        }
        if let Some(c) = &a.presentation_categories {
            check_categories(
                known,
                &format!("articles[{i}].presentation_categories"),
                c,
                errors,
            );
        }
    }
}

/// The associations to create: articles without a ranking follow the
/// ranked ones in input order.
fn rank(articles: Vec<ReportArticleInput>) -> Vec<NewAssociation> {
    let mut next = articles.iter().filter_map(|a| a.ranking).max().unwrap_or(0);
    articles
        .into_iter()
        .map(|a| NewAssociation {
            article_id: a.article_id,
            ranking: a.ranking.unwrap_or_else(|| {
                next += 1;
                next
            }),
            relevance_score: a.relevance_score,
            presentation_categories: a.presentation_categories.unwrap_or_default(),
            curator_added: false,
        })
        .collect()
}

/// What a report's stream took in for it, PRISMA-style: over the window
/// after the stream's previous report's creation up to this report's (open
/// for the stream's latest report), the records its retrievals and imports read, the
/// duplicates among them and those refused, and where the candidates of
/// that window stand now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub retrieved: i64,
    pub duplicates: i64,
    pub rejected: i64,
    /// Candidates the LLM screened out (`llm_below_threshold`).
    pub screened_out: i64,
    /// Candidates curators excluded, by reason (`""`: none given).
    pub excluded: std::collections::BTreeMap<String, i64>,
    pub included: i64,
    /// Candidates still to be screened.
    pub undecided: i64,
}

/// The exclusion reason LLM screening gives.
pub const SCREENED_OUT: &str = "llm_below_threshold";

impl ReportService {
    /// The funnel of a report the caller may see (see [`Funnel`]).
    pub async fn funnel(&self, actor: &Actor, report_id: i32) -> Result<Funnel, ServiceError> {
        let db = &self.db;
        let (report, _) = crate::report_guards::get_visible(db, actor, report_id).await?;
        let (after, until) = reports::intake_window(db, &report).await?;
        let counts = repository::retrieval_runs::funnel(db, report.stream_id, after, until).await?;
        let mut funnel = Funnel {
            retrieved: counts.retrieved,
            duplicates: counts.duplicates,
            rejected: counts.rejected,
            ..Funnel::default()
        };
        for (status, reason, n) in counts.candidates {
            match status {
                CandidateStatus::New => funnel.undecided += n,
                CandidateStatus::Included => funnel.included += n,
                CandidateStatus::Excluded if reason.as_deref() == Some(SCREENED_OUT) => {
                    funnel.screened_out += n
                }
                CandidateStatus::Excluded => {
                    *funnel
                        .excluded
                        .entry(reason.unwrap_or_default())
                        .or_default() += n
                }
            }
        }
        Ok(funnel)
    }
}
