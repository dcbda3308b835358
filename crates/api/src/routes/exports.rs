//! Exports of a report and of a stream's candidate pool (RIS, BibTeX,
//! CSL-JSON, CSV) as files for reference managers and spreadsheets.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use service::ServiceError;
use service::exports::{Export, ExportFormat};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiResult;
use crate::extractors::AuthUser;
use crate::routes::candidates::CandidateParams;
use crate::state::AppState;

/// The format of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `ris`, `bibtex`, `csljson` or `csv`.
    #[param(required = true, pattern = "^(ris|bibtex|csljson|csv)$")]
    pub format: Option<String>,
}

impl ExportParams {
    fn format(&self) -> Result<ExportFormat, ServiceError> {
        let names = ExportFormat::ALL.map(ExportFormat::name).join(", ");
        let Some(name) = &self.format else {
            return Err(ServiceError::invalid(
                "format",
                format!("is required: one of {names}"),
            ));
        };
        name.parse()
            .map_err(|()| ServiceError::invalid("format", format!("must be one of {names}")))
    }
}

/// Where a pool export starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportOffset {
    /// Candidates to skip (default 0); an export holds at most 10,000.
    #[param(minimum = 0, maximum = 9223372036854775807i64)]
    pub offset: Option<u64>,
}

/// The file, to be saved under its name; `X-Total-Count` says how many
/// articles matched (more than the file holds when a pool is larger than
/// one export).
fn file(export: Export) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(export.format.media_type())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(export.file_name)],
        })
        .insert_header(("X-Total-Count", export.total.to_string()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(export.body)
}

/// A report's visible articles as a file, by ranking, with categories and AI
/// summaries; the stream's curators also get each article's decision,
/// reason, notes and original AI summary.
#[utoipa::path(operation_id = "exportReport", tag = "reports", security(("bearer" = [])), params(ExportParams),
    responses((status = 200, description = "The export, as an attachment", content(
        (String = "application/x-research-info-systems"), (String = "application/x-bibtex"),
        (Vec<serde_json::Value> = "application/vnd.citationstyles.csl+json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"report-{id}.{ext}\"`"),
            ("X-Total-Count" = u64, description = "Articles in the export")))))]
#[get("/reports/{report_id}/export")]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    let format = q.format()?;
    let export = state
        .services
        .exports
        .report(&user.0, path.into_inner(), format)
        .await?;
    Ok(file(export))
}

/// The stream's candidates that pass the filters, newest first, each with
/// its decision, reason and notes: at most 10,000 from `offset` (the
/// stream's curators).
#[utoipa::path(operation_id = "exportCandidates", tag = "candidates", security(("bearer" = [])), params(ExportParams, CandidateParams, ExportOffset),
    responses((status = 200, description = "The export, as an attachment", content(
        (String = "application/x-research-info-systems"), (String = "application/x-bibtex"),
        (Vec<serde_json::Value> = "application/vnd.citationstyles.csl+json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"stream-{id}-candidates.{ext}\"`"),
            ("X-Total-Count" = u64, description = "Candidates that pass the filters, in this file or not")))))]
#[get("/streams/{stream_id}/candidates/export")]
pub async fn candidates(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<ExportParams>,
    filter: web::Query<CandidateParams>,
    offset: web::Query<ExportOffset>,
) -> ApiResult<HttpResponse> {
    let format = q.format()?;
    let filter = filter.into_inner().filter()?;
    let export = state
        .services
        .exports
        .candidates(
            &user.0,
            path.into_inner(),
            filter,
            offset.offset.unwrap_or(0),
            format,
        )
        .await?;
    Ok(file(export))
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(report).service(candidates);
}
