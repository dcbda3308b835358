use sea_orm::entity::prelude::*;

/// An article in a report, with its curation state. `is_hidden` marks an
/// excluded article; `original_*` keep what the pipeline produced before the
/// first curator edit.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report_article_associations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: i32,
    pub ranking: i32,
    pub original_ranking: Option<i32>,
    pub relevance_score: Option<f64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub ai_summary: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub original_ai_summary: Option<String>,
    /// Category ids of the stream's `presentation_config` (JSON array).
    #[sea_orm(column_type = "JsonBinary")]
    pub presentation_categories: crate::string_list::StringList,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub original_presentation_categories: Option<crate::string_list::StringList>,
    pub is_hidden: bool,
    pub curator_added: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub curator_notes: Option<String>,
    pub curated_by: Option<i32>,
    pub curated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report::Entity",
        from = "Column::ReportId",
        to = "super::report::Column::Id"
    )]
    Report,
    #[sea_orm(
        belongs_to = "super::article::Entity",
        from = "Column::ArticleId",
        to = "super::article::Column::Id"
    )]
    Article,
}

impl Related<super::report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl Related<super::article::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Article.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
