//! A stream's candidate pool: file imports, the listing, decisions.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, get, post, web};
use futures::StreamExt;
use serde::Deserialize;
use service::articles::search_terms;
use service::candidates::{CandidateFilter, Format};
use service::chrono::{DateTime, Utc};
use service::enums::{CandidateSource, CandidateStatus};
use service::{ServiceError, limits};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{CandidateOut, DecisionsOut, DecisionsRequest, ImportOut, List};
use crate::error::{ApiError, ApiResult};
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::Json;
use crate::state::AppState;

/// The format of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `ris`, `bibtex`, `csljson`, `pubmed-xml` or `nbib`; without it, the
    /// `Content-Type` decides (`application/x-research-info-systems`,
    /// `application/x-bibtex`, `application/vnd.citationstyles.csl+json`,
    /// `application/x-pubmed+xml`, `application/nbib`).
    #[param(pattern = "^(ris|bibtex|csljson|pubmed-xml|nbib)$")]
    pub format: Option<String>,
}

impl ImportParams {
    /// The format named by the parameter, else by the content type.
    fn format(&self, req: &HttpRequest) -> Result<Format, ApiError> {
        let names = Format::ALL.map(Format::name).join(", ");
        if let Some(name) = &self.format {
            return name.parse().map_err(|()| {
                ServiceError::invalid("format", format!("must be one of {names}")).into()
            });
        }
        req.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(Format::from_media_type)
            .ok_or_else(|| {
                ServiceError::invalid(
                    "format",
                    format!(
                        "is required (one of {names}) unless the Content-Type names the format"
                    ),
                )
                .into()
            })
    }
}

/// A file's bytes, up to [`limits::IMPORT_BYTES`] (413 beyond).
pub struct ImportBody(Vec<u8>);

impl FromRequest for ImportBody {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = limits::IMPORT_BYTES;
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if announced.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("reading the body failed: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(ImportBody(body))
        })
    }
}

/// Import a file of records into the stream's candidate pool (the stream's curators).
///
/// Each record becomes a candidate, is counted as a duplicate of a work the
/// stream knows, or is listed in `rejected` with its line and reason;
/// nothing is stored from a rejected record, and the others are stored in
/// one transaction. Articles already in the shared bibliography are kept as
/// they are. The body is the file (at most 16 MiB, 10,000 records, UTF-8).
#[utoipa::path(operation_id = "importCandidates", tag = "candidates", security(("bearer" = [])), params(ImportParams),
    request_body(description = "The file, in the format named by `format` or by the `Content-Type`", content(
        (String = "application/x-research-info-systems"), (String = "application/x-bibtex"),
        (String = "application/vnd.citationstyles.csl+json"), (String = "application/x-pubmed+xml"),
        (String = "application/nbib"), (String = "text/plain"))),
    responses((status = 200, description = "What the import did", body = ImportOut),
        (status = 413, description = "The file is larger than 16 MiB", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/streams/{stream_id}/imports")]
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<ImportParams>,
    body: ImportBody,
) -> ApiResult<web::Json<ImportOut>> {
    let format = q.format(&req)?;
    let stream_id = path.into_inner();
    let outcome = state
        .services
        .candidates
        .import(&user.0, stream_id, format, body.0)
        .await?;
    let added = outcome.imported > 0;
    let mut out = ImportOut::from(outcome);
    if added {
        // The import is stored: a failure to queue its screening is no
        // failed import. Its candidates stay unscreened, and the stream's
        // next run screens them.
        match state.services.retrievals.screen_imported(stream_id).await {
            Ok(run) => out.screening_run_id = run,
            Err(e) => {
                tracing::warn!(stream_id, error = %e, "queueing the screening of an import failed")
            }
        }
    }
    Ok(web::Json(out))
}

/// Filters of the candidate pool.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    pub status: Option<CandidateStatus>,
    pub source: Option<CandidateSource>,
    /// An exclusion reason's code.
    pub reason: Option<String>,
    /// Found by this retrieval run.
    #[param(minimum = 1, maximum = 2147483647)]
    pub run_id: Option<i32>,
    /// Retrieved at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Retrieved before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Words the article holds in its title, abstract, journal or authors,
    /// all of them (words of 3 or more letters or digits; stop words such
    /// as `the` are ignored).
    #[param(min_length = 1, max_length = 500)]
    pub q: Option<String>,
}

impl CandidateParams {
    /// The filter, or a 422 naming `q` when it holds no searchable word.
    pub fn filter(self) -> Result<CandidateFilter, ApiError> {
        Ok(CandidateFilter {
            status: self.status,
            source: self.source,
            reason: self.reason,
            run_id: self.run_id,
            from: self.from,
            to: self.to,
            q: self.q.as_deref().map(search_terms).transpose()?,
        })
    }
}

/// The stream's candidates, newest first (the stream's curators).
#[utoipa::path(operation_id = "listCandidates", tag = "candidates", security(("bearer" = [])), params(CandidateParams, PageParams),
    responses((status = 200, description = "A page of candidates", body = List<CandidateOut>)))]
#[get("/streams/{stream_id}/candidates")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<CandidateParams>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<List<CandidateOut>>> {
    let page = page.page()?;
    let filter = q.into_inner().filter()?;
    let page = state
        .services
        .candidates
        .list(&user.0, path.into_inner(), filter, page)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Include or exclude candidates, all or none (the stream's curators).
#[utoipa::path(operation_id = "decideCandidates", tag = "candidates", security(("bearer" = [])), request_body = DecisionsRequest,
    responses((status = 200, description = "The candidates as decided", body = DecisionsOut),
        (status = 412, description = "A decision's `version` is not the candidate's: another curator decided it since", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/streams/{stream_id}/candidates/decisions")]
pub async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<DecisionsRequest>,
) -> ApiResult<web::Json<DecisionsOut>> {
    let decisions = body
        .into_inner()
        .decisions
        .into_iter()
        .map(Into::into)
        .collect();
    let decided = state
        .services
        .candidates
        .decide(&user.0, path.into_inner(), decisions)
        .await?;
    Ok(web::Json(DecisionsOut {
        data: decided.into_iter().map(Into::into).collect(),
    }))
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(import).service(list).service(decide);
}
