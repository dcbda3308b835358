use sea_orm::entity::prelude::*;

/// A bibliographic record, shared by all organizations. `doi` and `pmid` are
/// natural keys: unique where present (`uq_articles_doi`, `uq_articles_pmid`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub r#abstract: Option<String>,
    /// Author names, in order (JSON array of strings).
    #[sea_orm(column_type = "JsonBinary")]
    pub authors: crate::string_list::StringList,
    pub journal: Option<String>,
    pub pub_year: Option<i32>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
    /// The title's letters and digits, folded, with the year
    /// (`bibliography::title_key`): how records without a DOI or PMID are
    /// recognised as the same work. Not unique: two works may share it.
    pub title_key: Option<String>,
    /// The authors joined by `; `: what full-text search indexes next to
    /// the title, abstract and journal (MariaDB cannot index a JSON column).
    #[sea_orm(column_type = "Text", nullable)]
    pub authors_text: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::report_article_association::Entity")]
    ReportArticleAssociation,
}

impl Related<super::report_article_association::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReportArticleAssociation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
