use actix_web::{get, patch, post, web};
use service::articles::{ArticleChanges, NewArticle};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{
    ArticleOut, BulkImportRequest, BulkImportResponse, BulkUpdateRequest, BulkUpdateResponse, List,
};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::BlockingJson;
use crate::state::AppState;

/// Insert articles, upserting on DOI or PMID; ids come back in input order.
#[utoipa::path(operation_id = "importArticles", tag = "articles", security(("bearer" = [])), request_body = BulkImportRequest,
    responses((status = 200, description = "Imported", body = BulkImportResponse)))]
#[post("/bulk")]
pub async fn bulk_import(
    state: web::Data<AppState>,
    user: AuthUser,
    body: BlockingJson<BulkImportRequest>,
) -> ApiResult<web::Json<BulkImportResponse>> {
    let input = body
        .into_inner()
        .articles
        .into_iter()
        .map(|a| NewArticle {
            title: a.title,
            r#abstract: a.r#abstract,
            authors: a.authors,
            journal: a.journal,
            pub_year: a.pub_year,
            doi: a.doi,
            pmid: a.pmid,
            url: a.url,
        })
        .collect();
    let done = state.services.articles.bulk_import(&user.0, input).await?;
    Ok(web::Json(BulkImportResponse {
        ids: done.ids,
        kept: done.kept,
    }))
}

/// Update many articles by id.
#[utoipa::path(operation_id = "updateArticles", tag = "articles", security(("bearer" = [])), request_body = BulkUpdateRequest,
    responses((status = 200, description = "Updated", body = BulkUpdateResponse)))]
#[patch("/bulk")]
pub async fn bulk_update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: BlockingJson<BulkUpdateRequest>,
) -> ApiResult<web::Json<BulkUpdateResponse>> {
    let updates = body
        .into_inner()
        .updates
        .into_iter()
        .map(|u| {
            (
                u.article_id,
                ArticleChanges {
                    title: u.title,
                    r#abstract: u.r#abstract,
                    authors: u.authors,
                    journal: u.journal,
                    pub_year: u.pub_year,
                    doi: u.doi,
                    pmid: u.pmid,
                    url: u.url,
                },
            )
        })
        .collect();
    let updated = state
        .services
        .articles
        .bulk_update(&user.0, updates)
        .await?;
    Ok(web::Json(BulkUpdateResponse { updated }))
}

/// Filters of the shared bibliography.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleSearchParams {
    /// Words the article holds in its title, abstract, journal or authors,
    /// all of them (words of 3 or more letters or digits; stop words such
    /// as `the` are ignored).
    #[param(min_length = 1, max_length = 500)]
    pub q: Option<String>,
    /// A DOI, in any letter case, with or without `https://doi.org/`.
    #[param(max_length = 255)]
    pub doi: Option<String>,
    #[param(max_length = 32)]
    pub pmid: Option<String>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
}

/// Search the shared bibliography, newest first (any signed-in user).
#[utoipa::path(operation_id = "searchArticles", tag = "articles", security(("bearer" = [])), params(ArticleSearchParams),
    responses((status = 200, description = "A page of articles", body = List<ArticleOut>)))]
#[get("")]
pub async fn search(
    state: web::Data<AppState>,
    _user: AuthUser,
    q: web::Query<ArticleSearchParams>,
) -> ApiResult<web::Json<List<ArticleOut>>> {
    let q = q.into_inner();
    let page = PageParams {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let query = service::articles::ArticleQuery {
        q: q.q
            .as_deref()
            .map(service::articles::search_terms)
            .transpose()?,
        doi: q.doi,
        pmid: q.pmid,
    };
    let page = state.services.articles.search(query, page).await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// One article (any signed-in user).
#[utoipa::path(operation_id = "getArticle", tag = "articles", security(("bearer" = [])), responses((status = 200, description = "The article", body = ArticleOut)))]
#[get("/{article_id}")]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<ArticleOut>> {
    Ok(web::Json(
        state.services.articles.get(path.into_inner()).await?.into(),
    ))
}

/// This module's routes, mounted under `/api/v1` in a scope of their own.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/articles")
            .service(search)
            .service(bulk_import)
            .service(bulk_update)
            .service(get),
    );
}
