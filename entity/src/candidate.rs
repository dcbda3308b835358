use sea_orm::entity::prelude::*;

use crate::enums::{CandidateSource, CandidateStatus};

/// An article in a stream's candidate pool: retrieved or imported, waiting
/// for (or carrying) a curator's decision. One per stream and article
/// (`uq_candidates_stream_article`): an article found again is a duplicate,
/// not a second candidate. `version` grows with each decision, so that two
/// curators deciding the same candidate learn of each other.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "candidates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub stream_id: i32,
    pub article_id: i32,
    pub source: CandidateSource,
    pub status: CandidateStatus,
    /// The exclusion reason's code (of the stream's `retrieval_config`);
    /// only on an excluded candidate.
    pub reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub version: i32,
    pub retrieved_at: DateTimeUtc,
    /// The retrieval run that found it; none for an import.
    pub run_id: Option<i32>,
    /// LLM screening (a stream with `retrieval_config.screening`): how
    /// relevant the model found it to the stream's criteria, 0 to 1, and
    /// why; `screened_at` is NULL until it was screened.
    pub relevance: Option<f64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rationale: Option<String>,
    pub screened_at: Option<DateTimeUtc>,
    /// The stream's candidate that is another version of the same work: a
    /// preprint and the paper it became, matched by title when exactly one
    /// of their DOIs is a preprint server's.
    pub version_of: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::research_stream::Entity",
        from = "Column::StreamId",
        to = "super::research_stream::Column::Id"
    )]
    Stream,
    #[sea_orm(
        belongs_to = "super::article::Entity",
        from = "Column::ArticleId",
        to = "super::article::Column::Id"
    )]
    Article,
}

impl Related<super::research_stream::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stream.def()
    }
}

impl Related<super::article::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Article.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
