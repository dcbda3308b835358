//! Candidate pool bodies: imports, the listing and decisions.

use service::candidates::{Candidate, DecisionInput, ImportOutcome, PooledCandidate};
use service::enums::{CandidateSource, CandidateStatus};

use super::*;

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"imported": 2, "duplicates": 1, "rejected": [{"record": 4, "line": 31, "reason": "the record has no title"}], "run_id": 7}))]
pub struct ImportOut {
    /// Records that became new candidates.
    pub imported: usize,
    /// Records of works the stream knew already (a candidate, an article of
    /// one of its reports, or an earlier record of the same file).
    pub duplicates: usize,
    /// Records not stored, in file order.
    pub rejected: Vec<RejectedRecord>,
    /// The import as a run of the stream's history
    /// (`GET /retrieval-runs/{id}`, trigger `import`); the candidates it
    /// added carry it as `run_id`. None for a file without records.
    pub run_id: Option<i32>,
    /// For a stream that screens (`retrieval_config.screening`): the
    /// retrieval run that screens the new candidates (trigger `screening`,
    /// or the stream's run already in progress). Follow it at
    /// `GET /retrieval-runs/{id}`.
    pub screening_run_id: Option<i32>,
}

/// A record of the file that was not stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRecord {
    /// 1 for the file's first record.
    pub record: usize,
    /// The line the record starts on, from 1.
    pub line: usize,
    pub reason: String,
}

impl From<ImportOutcome> for ImportOut {
    fn from(o: ImportOutcome) -> Self {
        ImportOut {
            imported: o.imported,
            duplicates: o.duplicates,
            run_id: o.run_id,
            screening_run_id: None,
            rejected: o
                .rejected
                .into_iter()
                .map(|r| RejectedRecord {
                    record: r.record,
                    line: r.line,
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

/// A candidate's decision and bookkeeping.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateState {
    pub id: i32,
    pub article_id: i32,
    pub status: CandidateStatus,
    /// The exclusion reason's code, on an excluded candidate.
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub source: CandidateSource,
    /// The retrieval run that found it; none for an import.
    pub run_id: Option<i32>,
    pub retrieved_at: DateTime<Utc>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Grows with each decision; send it back as a decision's `version`.
    pub version: i32,
    /// The LLM's screening, on a stream that screens; none until screened.
    pub screening: Option<CandidateScreening>,
    /// The stream's candidate that is another version of this work: the
    /// preprint of this paper, or the paper this preprint became (same
    /// title; exactly one of the two DOIs a preprint server's).
    pub version_of: Option<i32>,
}

/// How relevant the LLM found a candidate to the stream's criteria. One
/// under the threshold was excluded with the reason `llm_below_threshold`
/// (`decided_by` none) and stays in the pool for a curator to include.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateScreening {
    /// 0 to 1; none when the model's answer carried no usable score (the
    /// candidate is then left to the curators).
    #[schema(minimum = 0, maximum = 1)]
    pub relevance: Option<f64>,
    pub rationale: Option<String>,
    pub screened_at: DateTime<Utc>,
}

impl From<Candidate> for CandidateState {
    fn from(c: Candidate) -> Self {
        CandidateState {
            id: c.id,
            article_id: c.article_id,
            status: c.status,
            reason: c.reason,
            notes: c.notes,
            source: c.source,
            run_id: c.run_id,
            retrieved_at: c.retrieved_at,
            decided_by: c.decided_by,
            decided_at: c.decided_at,
            version: c.version,
            version_of: c.version_of,
            screening: c.screened_at.map(|screened_at| CandidateScreening {
                relevance: c.relevance,
                rationale: c.rationale,
                screened_at,
            }),
        }
    }
}

/// A candidate with its article.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateOut {
    #[serde(flatten)]
    pub state: CandidateState,
    pub article: ArticleOut,
}

impl From<PooledCandidate> for CandidateOut {
    fn from(p: PooledCandidate) -> Self {
        CandidateOut {
            state: p.candidate.into(),
            article: p.article.into(),
        }
    }
}

/// Decisions on candidates of one stream: all are recorded, or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decisions": [{"candidate_id": 12, "status": "excluded", "reason": "off_topic", "version": 1}, {"candidate_id": 13, "status": "included"}]}))]
pub struct DecisionsRequest {
    #[schema(schema_with = limits::Decisions::<DecisionIn>::schema)]
    pub decisions: Vec<DecisionIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[serde(deserialize_with = "whole::one")]
    #[schema(schema_with = limits::Id::schema)]
    pub candidate_id: i32,
    /// `new` takes a decision back.
    pub status: CandidateStatus,
    /// One of the stream's exclusion reason codes: required to exclude
    /// when the stream lists any, refused on any other status.
    #[schema(schema_with = limits::ReasonCode::nullable)]
    pub reason: Option<String>,
    #[schema(schema_with = limits::Notes::nullable)]
    pub notes: Option<String>,
    /// The candidate's `version` the decision was made on: another one is
    /// 412. Left out, the decision applies to whatever version is stored.
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::Ranking::nullable)]
    pub version: Option<i32>,
}

impl From<DecisionIn> for DecisionInput {
    fn from(d: DecisionIn) -> Self {
        DecisionInput {
            candidate_id: d.candidate_id,
            status: d.status,
            reason: d.reason,
            notes: d.notes,
            version: d.version,
        }
    }
}

/// The decided candidates, as they are now, in the request's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionsOut {
    pub data: Vec<CandidateState>,
}
