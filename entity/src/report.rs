use sea_orm::entity::prelude::*;

use crate::enrichments::ReportEnrichments;
use crate::enums::ApprovalStatus;

/// A periodic report of a stream. `enrichments` holds the executive and
/// category summaries; `original_enrichments` the first generated version,
/// kept when curators edit.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub stream_id: i32,
    pub report_name: String,
    pub report_date: Date,
    pub approval_status: ApprovalStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub rejection_reason: Option<String>,
    pub approved_by: Option<i32>,
    pub approved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub enrichments: Option<ReportEnrichments>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub original_enrichments: Option<ReportEnrichments>,
    pub has_curation_edits: bool,
    pub last_curated_by: Option<i32>,
    pub last_curated_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every write to the report or its articles: the `ETag`.
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::research_stream::Entity",
        from = "Column::StreamId",
        to = "super::research_stream::Column::Id"
    )]
    ResearchStream,
    #[sea_orm(has_many = "super::report_article_association::Entity")]
    ReportArticleAssociation,
    #[sea_orm(has_many = "super::curation_event::Entity")]
    CurationEvent,
}

impl Related<super::research_stream::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResearchStream.def()
    }
}

impl Related<super::report_article_association::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReportArticleAssociation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
