use sea_orm::entity::prelude::*;

use crate::enums::{RunStatus, RunTrigger};

/// One retrieval run of a stream: its sources read, a page at a time, into
/// the stream's candidate pool. Like a summary run it is a queue row with a
/// lease (`lease_owner` until `lease_expires_at`, renewed while it works)
/// that any process may take over once it expires; `source_index` and
/// `next_start` are where it got to, written with each page's candidates,
/// so a resumed run fetches at most the page that was in flight again.
/// `active_stream_id` is the stream's id while the run is queued or running
/// and NULL after: a unique index keeps one active run per stream.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "retrieval_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub stream_id: i32,
    pub org_id: Option<i32>,
    pub requested_by: Option<i32>,
    pub active_stream_id: Option<i32>,
    pub trigger: RunTrigger,
    /// The schedule's time the run was queued for (a unique index with the
    /// stream: one run per due time, whatever the number of processes).
    pub due_at: Option<DateTimeUtc>,
    pub status: RunStatus,
    /// The date window every source is searched over (both days included).
    pub window_from: DateTimeUtc,
    pub window_to: DateTimeUtc,
    /// The source being read (an index into the stream's sources as they
    /// were when the run was queued) and its next record.
    pub source_index: i32,
    pub next_start: i32,
    /// Records read, records of works the stream knew, candidates added,
    /// records refused (no title, a field out of bounds).
    pub retrieved: i32,
    pub duplicates: i32,
    pub new_candidates: i32,
    pub rejected: i32,
    /// Candidates LLM screening excluded (`llm_below_threshold`).
    pub screened_out: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub attempt: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::research_stream::Entity",
        from = "Column::StreamId",
        to = "super::research_stream::Column::Id"
    )]
    Stream,
}

impl Related<super::research_stream::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stream.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
