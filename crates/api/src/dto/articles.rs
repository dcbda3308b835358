//! Article bodies: single, bulk import and bulk update.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleOut {
    pub id: i32,
    pub title: String,
    #[serde(rename = "abstract")]
    pub r#abstract: Option<String>,
    pub authors: Vec<String>,
    pub journal: Option<String>,
    pub pub_year: Option<i32>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
}

impl From<service::articles::Article> for ArticleOut {
    fn from(a: service::articles::Article) -> Self {
        ArticleOut {
            id: a.id,
            authors: a.authors.into(),
            title: a.title,
            r#abstract: a.r#abstract,
            journal: a.journal,
            pub_year: a.pub_year,
            doi: a.doi,
            pmid: a.pmid,
            url: a.url,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticleIn {
    #[schema(schema_with = limits::ArticleTitle::schema)]
    pub title: String,
    #[serde(rename = "abstract")]
    #[schema(schema_with = limits::ArticleAbstract::nullable)]
    pub r#abstract: Option<String>,
    #[serde(default)]
    #[schema(schema_with = limits::Authors::schema)]
    pub authors: Vec<String>,
    #[schema(schema_with = limits::Journal::nullable)]
    pub journal: Option<String>,
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::PubYear::nullable)]
    pub pub_year: Option<i32>,
    #[schema(schema_with = limits::Doi::nullable)]
    pub doi: Option<String>,
    #[schema(schema_with = limits::Pmid::nullable)]
    pub pmid: Option<String>,
    #[schema(schema_with = limits::ArticleUrl::nullable)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkImportRequest {
    /// Up to 10,000 articles.
    #[schema(schema_with = limits::BulkArticles::<NewArticleIn>::schema)]
    pub articles: Vec<NewArticleIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkImportResponse {
    /// Ids in input order (rows sharing a DOI or PMID share an id).
    pub ids: Vec<i32>,
    /// Indexes of input rows that matched an article a report of another
    /// organization (or of a global stream) holds: that article was kept as
    /// it is, and only a platform admin may change it.
    pub kept: Vec<usize>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleUpdateIn {
    #[serde(deserialize_with = "whole::one")]
    #[schema(schema_with = limits::Id::schema)]
    pub article_id: i32,
    #[schema(schema_with = limits::ArticleTitle::nullable)]
    pub title: Option<String>,
    #[serde(rename = "abstract", default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::ArticleAbstract::nullable)]
    pub r#abstract: Option<Option<String>>,
    #[schema(schema_with = limits::Authors::nullable)]
    pub authors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::Journal::nullable)]
    pub journal: Option<Option<String>>,
    #[serde(default, deserialize_with = "whole::nullable")]
    #[schema(schema_with = limits::PubYear::nullable)]
    pub pub_year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::Doi::nullable)]
    pub doi: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::Pmid::nullable)]
    pub pmid: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::ArticleUrl::nullable)]
    pub url: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"updates": [{"article_id": 1, "journal": "Nature Medicine"}]}))]
pub struct BulkUpdateRequest {
    #[schema(schema_with = limits::BulkArticles::<ArticleUpdateIn>::schema)]
    pub updates: Vec<ArticleUpdateIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkUpdateResponse {
    /// Articles whose fields changed (an update to the values an article
    /// has changes nothing).
    pub updated: u64,
}
