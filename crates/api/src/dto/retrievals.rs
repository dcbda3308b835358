//! Retrieval run bodies.

use service::retrievals::RetrievalRun;

use super::*;

/// A retrieval run: where it got to in the stream's sources, what it found,
/// and how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetrievalRunOut {
    pub id: i32,
    pub stream_id: i32,
    pub status: RunStatusOut,
    /// `manual` (a curator), `schedule`, `import` (a file, recorded as it
    /// ended) or `screening` (LLM screening of an import's candidates: it
    /// reads no source).
    pub trigger: service::enums::RunTrigger,
    /// The schedule's due time it was queued for (`schedule` runs).
    pub due_at: Option<DateTime<Utc>>,
    /// The window every source is searched over, both days included.
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    /// The source being read (an index into the stream's
    /// `retrieval_config.sources`) and the next record of it.
    pub source_index: i32,
    pub next_start: i32,
    /// Records read from the sources.
    pub retrieved: i32,
    /// Records of works the stream already had (a candidate, an article of
    /// one of its reports, or an earlier record of the same page).
    pub duplicates: i32,
    /// Candidates it added to the pool.
    pub new_candidates: i32,
    /// Records not stored (no title, a field beyond an article column's
    /// bound).
    pub rejected: i32,
    /// Candidates LLM screening excluded (reason `llm_below_threshold`);
    /// a stream that screens screens its new candidates once its sources
    /// are read.
    pub screened_out: i32,
    /// Why it failed: the source's refusal or last failure.
    pub error: Option<String>,
    /// Claims of the run by a worker: above 1 when it was resumed.
    pub attempt: i32,
    pub requested_by: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<RetrievalRun> for RetrievalRunOut {
    fn from(r: RetrievalRun) -> Self {
        RetrievalRunOut {
            id: r.id,
            stream_id: r.stream_id,
            status: r.status,
            trigger: r.trigger,
            due_at: r.due_at,
            window_from: r.window_from.date_naive(),
            window_to: r.window_to.date_naive(),
            source_index: r.source_index,
            next_start: r.next_start,
            retrieved: r.retrieved,
            duplicates: r.duplicates,
            new_candidates: r.new_candidates,
            rejected: r.rejected,
            screened_out: r.screened_out,
            error: r.error,
            attempt: r.attempt,
            requested_by: r.requested_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            updated_at: r.updated_at,
        }
    }
}

/// What screening the stream's pool would cost now: nothing is called or
/// stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreeningEstimateOut {
    pub stream_id: i32,
    /// Candidates still to screen (undecided, never screened), at most
    /// 10,000.
    pub candidates: u64,
    /// Calls screening them would make.
    pub llm_calls: u64,
    /// Answers the cache holds for the same prompts: no call.
    pub reused: u64,
    /// Prompt tokens, at four characters a token.
    pub prompt_tokens: u64,
    /// The most completion tokens the calls may produce (their `max_tokens`).
    pub max_completion_tokens: u64,
}
