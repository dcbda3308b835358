use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CurationEventType;

/// One entry of a report's audit trail.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "curation_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub report_id: i32,
    pub article_id: Option<i32>,
    pub user_id: Option<i32>,
    pub event_type: CurationEventType,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub details: Option<EventDetails>,
    pub created_at: DateTimeUtc,
}

/// What an edit changed, by kind of edit (stored untagged: the event's
/// type names the kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum EventDetails {
    /// `edit_article`: the new ranking and categories when they changed.
    EditArticle {
        ranking: Option<i32>,
        ai_summary_changed: bool,
        presentation_categories: Option<Vec<String>>,
    },
    /// `edit_summaries`: the category ids whose summaries changed.
    EditSummaries {
        executive_summary_changed: bool,
        category_summaries: Vec<String>,
    },
    /// `reorder`: the visible articles in their new order.
    Reorder { article_ids: Vec<i32> },
    /// `add_articles`: the articles added, in their new rankings' order
    /// (a field name of its own: the variants are told apart by shape).
    AddArticles { added_article_ids: Vec<i32> },
    /// `acknowledge_check`: the sentence let stand (`executive` or a
    /// category id, and its text) and the flags it carried.
    AcknowledgeCheck {
        summary: String,
        sentence: String,
        flags: Vec<String>,
    },
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report::Entity",
        from = "Column::ReportId",
        to = "super::report::Column::Id"
    )]
    Report,
}

impl Related<super::report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
