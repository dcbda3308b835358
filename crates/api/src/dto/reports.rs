//! Report, curation and event bodies.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub id: i32,
    pub stream_id: i32,
    pub report_name: String,
    pub report_date: NaiveDate,
    pub approval_status: ApprovalStatus,
    pub rejection_reason: Option<String>,
    pub approved_by: Option<i32>,
    pub approved_at: Option<DateTime<Utc>>,
    pub has_curation_edits: bool,
    pub last_curated_by: Option<i32>,
    pub last_curated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_count: Option<u64>,
}

impl From<service::reports::Report> for ReportOut {
    fn from(r: service::reports::Report) -> Self {
        ReportOut {
            id: r.id,
            stream_id: r.stream_id,
            report_name: r.report_name,
            report_date: r.report_date,
            approval_status: r.approval_status,
            rejection_reason: r.rejection_reason,
            approved_by: r.approved_by,
            approved_at: r.approved_at,
            has_curation_edits: r.has_curation_edits,
            last_curated_by: r.last_curated_by,
            last_curated_at: r.last_curated_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            article_count: None,
        }
    }
}

impl From<(service::reports::Report, u64)> for ReportOut {
    fn from((r, n): (service::reports::Report, u64)) -> Self {
        ReportOut {
            article_count: Some(n),
            ..ReportOut::from(r)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportArticleOut {
    #[serde(flatten)]
    pub article: ArticleOut,
    pub ranking: i32,
    pub relevance_score: Option<f64>,
    pub ai_summary: Option<String>,
    pub original_ai_summary: Option<String>,
    pub presentation_categories: Vec<String>,
    pub is_hidden: bool,
    pub curator_added: bool,
    pub curator_notes: Option<String>,
    pub curated_by: Option<i32>,
    pub curated_at: Option<DateTime<Utc>>,
}

impl From<service::reports::ReportArticle> for ReportArticleOut {
    fn from(ra: service::reports::ReportArticle) -> Self {
        let a = ra.association;
        ReportArticleOut {
            article: ra.article.into(),
            ranking: a.ranking,
            relevance_score: a.relevance_score,
            presentation_categories: a.presentation_categories.into(),
            ai_summary: a.ai_summary,
            original_ai_summary: a.original_ai_summary.filter(|s| !s.is_empty()),
            is_hidden: a.is_hidden,
            curator_added: a.curator_added,
            curator_notes: a.curator_notes,
            curated_by: a.curated_by,
            curated_at: a.curated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssociationOut {
    pub report_id: i32,
    pub article_id: i32,
    pub ranking: i32,
    pub ai_summary: Option<String>,
    pub original_ai_summary: Option<String>,
    pub presentation_categories: Vec<String>,
    pub is_hidden: bool,
    pub curator_notes: Option<String>,
}

impl From<service::reports::Association> for AssociationOut {
    fn from(a: service::reports::Association) -> Self {
        AssociationOut {
            report_id: a.report_id,
            article_id: a.article_id,
            ranking: a.ranking,
            presentation_categories: a.presentation_categories.into(),
            ai_summary: a.ai_summary,
            original_ai_summary: a.original_ai_summary.filter(|s| !s.is_empty()),
            is_hidden: a.is_hidden,
            curator_notes: a.curator_notes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrichments {
    pub executive_summary: Option<String>,
    pub category_summaries: BTreeMap<String, String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The first LLM-written summaries, kept when a curator edits them
    /// (curators only; `null` for others and before any edit or run).
    pub original: Option<OriginalSummaries>,
    /// Each summary's sentences with the report articles they cite.
    pub citations: CitationsOut,
    /// Curators only (`null` for others): the sentences a check flagged,
    /// the executive summary's first.
    pub checks: Option<Vec<FlaggedSentenceOut>>,
}

/// The summaries as the LLM first wrote them.
#[derive(Debug, Serialize, ToSchema)]
pub struct OriginalSummaries {
    pub executive_summary: Option<String>,
    pub category_summaries: BTreeMap<String, String>,
}

/// The summaries read as sentences.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitationsOut {
    /// Empty before any executive summary.
    pub executive: Vec<CitedSentenceOut>,
    /// By category id.
    pub categories: BTreeMap<String, Vec<CitedSentenceOut>>,
}

/// A sentence without its markers and the visible articles they name.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitedSentenceOut {
    pub text: String,
    pub article_ids: Vec<i32>,
}

/// A sentence a check flagged.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlaggedSentenceOut {
    /// `executive` or the category id of the summary it belongs to.
    pub summary: String,
    /// Its place in that summary's `citations` (from 0).
    pub sentence: usize,
    pub text: String,
    pub flags: Vec<FlagOut>,
    /// A curator let the sentence stand as written (`null`: nobody has).
    pub acknowledged: Option<AcknowledgementOut>,
}

/// Who let a flagged sentence stand, when and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcknowledgementOut {
    pub reason: String,
    pub user_id: i32,
    pub at: DateTime<Utc>,
}

/// `POST /reports/{id}/acknowledgements`: a flagged sentence, named as
/// the checks name it, and why it stands.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeCheckRequest {
    /// `executive` or the category id of the sentence's summary.
    #[schema(schema_with = limits::CategoryId::schema)]
    pub summary: String,
    /// The sentence's place in that summary (the checks' `sentence`).
    #[serde(deserialize_with = "whole::place")]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub sentence: u32,
    #[schema(schema_with = limits::Reason::schema)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagOut {
    pub kind: FlagKindOut,
    /// What the flag is about: the marker, the number as written.
    pub detail: String,
}

/// `unknown_citation`: a marker names no article this summary may cite
/// (for a category summary: of that category); `uncited`: the sentence
/// cites nothing; `unsupported_number`: a number (with its unit) that no
/// cited article's title or abstract states.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagKindOut {
    UnknownCitation,
    Uncited,
    UnsupportedNumber,
    UnsupportedClaim,
}

impl From<service::summary_checks::FlagKind> for FlagKindOut {
    fn from(k: service::summary_checks::FlagKind) -> Self {
        use service::summary_checks::FlagKind as K;
        match k {
            K::UnknownCitation => Self::UnknownCitation,
            K::Uncited => Self::Uncited,
            K::UnsupportedNumber => Self::UnsupportedNumber,
            K::UnsupportedClaim => Self::UnsupportedClaim,
        }
    }
}

impl Enrichments {
    /// From a report's stored enrichments, its summaries' citations and,
    /// for curators, its originals and the checks.
    pub fn of(
        report: &service::reports::Report,
        citations: &service::summary_checks::SummaryCitations,
        curator: bool,
    ) -> Self {
        let current = report.enrichments.clone().unwrap_or_default();
        let original = report
            .original_enrichments
            .clone()
            .map(|o| OriginalSummaries {
                executive_summary: o.executive_summary,
                category_summaries: o.category_summaries,
            });
        let sentences = |list: &[service::summary_checks::CheckedSentence]| {
            list.iter()
                .map(|s| CitedSentenceOut {
                    text: s.text.clone(),
                    article_ids: s.article_ids.clone(),
                })
                .collect::<Vec<_>>()
        };
        let checks =
            curator.then(|| {
                citations
                    .flagged()
                    .into_iter()
                    .map(|f| FlaggedSentenceOut {
                        summary: f.summary.to_owned(),
                        sentence: f.index,
                        text: f.sentence.text.clone(),
                        flags: f
                            .sentence
                            .flags
                            .iter()
                            .map(|flag| FlagOut {
                                kind: flag.kind.into(),
                                detail: flag.detail.clone(),
                            })
                            .collect(),
                        acknowledged: f.sentence.acknowledged.as_ref().map(|a| {
                            AcknowledgementOut {
                                reason: a.reason.clone(),
                                user_id: a.user_id,
                                at: a.at,
                            }
                        }),
                    })
                    .collect()
            });
        Enrichments {
            executive_summary: current.executive_summary,
            category_summaries: current.category_summaries,
            provider: current.provider,
            model: current.model,
            original,
            citations: CitationsOut {
                executive: sentences(&citations.executive),
                categories: citations
                    .categories
                    .iter()
                    .map(|(id, list)| (id.clone(), sentences(list)))
                    .collect(),
            },
            checks,
        }
    }
}

/// `PATCH /reports/{id}/summaries`: the executive summary, category
/// summaries by category id, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditSummariesRequest {
    #[schema(schema_with = limits::SummaryText::nullable)]
    pub executive_summary: Option<String>,
    #[serde(default)]
    pub category_summaries: BTreeMap<String, String>,
    #[schema(schema_with = limits::Notes::nullable)]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetailOut {
    #[serde(flatten)]
    pub report: ReportOut,
    pub articles: Vec<ReportArticleOut>,
    pub enrichments: Enrichments,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportArticleIn {
    #[serde(deserialize_with = "whole::one")]
    #[schema(schema_with = limits::Id::schema)]
    pub article_id: i32,
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::Ranking::nullable)]
    pub ranking: Option<i32>,
    #[schema(minimum = 0, maximum = 1)]
    pub relevance_score: Option<f64>,
    #[schema(schema_with = limits::ArticleCategories::nullable)]
    pub presentation_categories: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReportRequest {
    #[schema(schema_with = limits::ReportName::schema)]
    pub report_name: String,
    #[schema(schema_with = limits::StorableDate::schema)]
    pub report_date: NaiveDate,
    #[serde(default)]
    #[schema(schema_with = limits::ReportArticles::<ReportArticleIn>::schema)]
    pub articles: Vec<ReportArticleIn>,
    /// Candidates of the stream's pool to add after `articles`: every
    /// `included` one, or these candidate ids (none excluded). An article
    /// named in both is added once.
    #[schema(schema_with = from_candidates_schema)]
    pub from_candidates: Option<FromCandidatesIn>,
}

/// `"included"`, a list of candidate ids (at most as many as a report
/// holds), or `null`.
fn from_candidates_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["included"])),
        )
        .item(
            ArrayBuilder::new()
                .items(limits::Id::schema())
                .max_items(Some(limits::ARTICLES_PER_REPORT)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// `"included"`, or a list of candidate ids.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FromCandidatesIn {
    Status(IncludedCandidates),
    Ids(Vec<i32>),
}

/// Every included candidate of the stream.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncludedCandidates {
    Included,
}

impl From<FromCandidatesIn> for service::candidates::FromCandidates {
    fn from(f: FromCandidatesIn) -> Self {
        match f {
            FromCandidatesIn::Status(IncludedCandidates::Included) => Self::Included,
            FromCandidatesIn::Ids(ids) => Self::Ids(ids),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchReportRequest {
    #[schema(schema_with = limits::ReportName::nullable)]
    pub report_name: Option<String>,
    #[schema(schema_with = limits::StorableDate::nullable)]
    pub report_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NotesRequest {
    #[schema(schema_with = limits::Notes::nullable)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArticleRequest {
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::Ranking::nullable)]
    pub ranking: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::SummaryText::nullable)]
    pub ai_summary: Option<Option<String>>,
    #[schema(schema_with = limits::ArticleCategories::nullable)]
    pub presentation_categories: Option<Vec<String>>,
    #[schema(schema_with = limits::Notes::nullable)]
    pub notes: Option<String>,
}

/// What a report's stream took in for it, PRISMA-style, over the window
/// after the stream's previous report was created up to this report's
/// creation (open for the stream's latest report): records its retrievals and imports read, duplicates
/// among them, records refused, and where that window's candidates stand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"retrieved": 120, "duplicates": 31, "rejected": 1, "screened_out": 0, "excluded": {"off_topic": 60, "wrong_population": 9}, "included": 12, "undecided": 7}))]
pub struct FunnelOut {
    pub retrieved: i64,
    pub duplicates: i64,
    pub rejected: i64,
    /// Candidates the LLM screened out (`llm_below_threshold`).
    pub screened_out: i64,
    /// Candidates curators excluded, by reason code (`""`: none given).
    pub excluded: BTreeMap<String, i64>,
    pub included: i64,
    /// Candidates not decided yet.
    pub undecided: i64,
}

impl From<service::reports::Funnel> for FunnelOut {
    fn from(f: service::reports::Funnel) -> Self {
        FunnelOut {
            retrieved: f.retrieved,
            duplicates: f.duplicates,
            rejected: f.rejected,
            screened_out: f.screened_out,
            excluded: f.excluded,
            included: f.included,
            undecided: f.undecided,
        }
    }
}

/// Articles for a draft: candidates of its stream's pool (none excluded)
/// or articles of the shared bibliography, by id; exactly one of the two.
/// Read as two optional fields and checked by [`TryFrom`], so that a body
/// with both or neither is refused on the field at fault (an untagged enum
/// would only say that no variant matched).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddArticlesRequest {
    #[serde(default, deserialize_with = "whole_many")]
    candidate_ids: Option<Vec<i32>>,
    #[serde(default, deserialize_with = "whole_many")]
    article_ids: Option<Vec<i32>>,
}

fn whole_many<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Vec<i32>>, D::Error> {
    whole::many(de).map(Some)
}

impl TryFrom<AddArticlesRequest> for service::curation::AddArticles {
    type Error = service::ServiceError;

    fn try_from(r: AddArticlesRequest) -> Result<Self, Self::Error> {
        match (r.candidate_ids, r.article_ids) {
            (Some(ids), None) => Ok(Self::Candidates(ids)),
            (None, Some(ids)) => Ok(Self::Articles(ids)),
            (Some(_), Some(_)) => Err(service::ServiceError::invalid(
                "article_ids",
                "give candidate_ids or article_ids, not both",
            )),
            (None, None) => Err(service::ServiceError::invalid(
                "candidate_ids",
                "give candidate_ids or article_ids",
            )),
        }
    }
}

// The schema states the rule `TryFrom` enforces: one object or the other,
// nothing else in it.
impl utoipa::PartialSchema for AddArticlesRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder};
        let only = |field: &str| {
            ObjectBuilder::new()
                .property(field, limits::AddedIds::schema())
                .required(field)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .item(only("candidate_ids"))
            .item(only("article_ids"))
            .description(Some(
                "Articles for a draft: candidates of its stream's pool (none excluded) \
                 or articles of the shared bibliography, by id; exactly one of the two.",
            ))
            .examples([serde_json::json!({"candidate_ids": [1, 2]})])
            .into()
    }
}

impl ToSchema for AddArticlesRequest {}

/// The articles a draft took, in their new rankings' order; articles it
/// held already are left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedArticlesOut {
    pub added: Vec<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingRequest {
    #[serde(deserialize_with = "whole::many")]
    #[schema(schema_with = limits::RankedIds::schema)]
    pub article_ids: Vec<i32>,
}

/// Why a report is rejected or reopened (kept in its audit trail).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[schema(schema_with = limits::Reason::schema)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: i32,
    pub report_id: i32,
    pub article_id: Option<i32>,
    pub user_id: Option<i32>,
    pub event_type: service::enums::CurationEventType,
    pub notes: Option<String>,
    pub details: Option<service::reports::EventDetails>,
    pub created_at: DateTime<Utc>,
}

impl From<service::reports::CurationEvent> for EventOut {
    fn from(e: service::reports::CurationEvent) -> Self {
        EventOut {
            id: e.id,
            report_id: e.report_id,
            article_id: e.article_id,
            user_id: e.user_id,
            event_type: e.event_type,
            notes: e.notes,
            details: e.details,
            created_at: e.created_at,
        }
    }
}
