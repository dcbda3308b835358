//! Summary runs: progress, history, cancel, and live progress as
//! Server-Sent Events.

use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpRequest, HttpResponse, delete, get, web};

use crate::dto::{List, RunCallOut, RunEvent, SummaryRunOut};
use crate::error::ApiResult;
use crate::event_stream;
use crate::extractors::{AuthUser, PageParams};
use crate::state::AppState;

/// A summary run: status, stage, progress and cost so far.
#[utoipa::path(operation_id = "getSummaryRun", tag = "summaries", security(("bearer" = [])),
    responses((status = 200, description = "The run", body = SummaryRunOut)))]
#[get("/summary-runs/{run_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<SummaryRunOut>> {
    let run = state
        .services
        .summaries
        .run_of(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(run.into()))
}

/// The summary runs of a report, newest first.
#[utoipa::path(operation_id = "listReportSummaryRuns", tag = "summaries", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of runs", body = List<SummaryRunOut>)))]
#[get("/reports/{report_id}/summary-runs")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<SummaryRunOut>>> {
    let page = state
        .services
        .summaries
        .runs_of_report(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// The run's LLM ledger, oldest first: a row per request sent to the
/// provider, retries included, with the model it served and its id for the
/// request, and a row per summary reused; what reconciles call for call
/// with a gateway's or provider's log.
#[utoipa::path(operation_id = "listSummaryRunCalls", tag = "summaries", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of ledger rows", body = List<RunCallOut>)))]
#[get("/summary-runs/{run_id}/calls")]
pub async fn calls(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<RunCallOut>>> {
    let page = state
        .services
        .summaries
        .calls_of_run(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Cancel a queued or running run: no new LLM calls; finished article
/// summaries are kept; the report's summaries stay as they were. The answer
/// is the run once the calls it had in flight on this process are stored.
#[utoipa::path(operation_id = "cancelSummaryRun", tag = "summaries", security(("bearer" = [])),
    responses((status = 200, description = "Cancelled", body = SummaryRunOut)))]
#[delete("/summary-runs/{run_id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<SummaryRunOut>> {
    let run = state
        .services
        .summaries
        .cancel(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(run.into()))
}

/// Live progress as Server-Sent Events: the run now, then an event per
/// change (`progress`), and a last one named after how it ended
/// (`succeeded`, `failed`, `cancelled`), after which the stream closes.
/// An idle stream sends a comment every `server.event_keep_alive_secs`; the
/// token is checked again at least that often, and the stream closes once
/// it no longer holds. One user holds at most
/// `server.max_event_streams_per_user` streams open on a process (of
/// summary and retrieval runs together).
#[utoipa::path(operation_id = "streamSummaryRunEvents", tag = "summaries", security(("bearer" = [])),
    responses((status = 200, description = "`text/event-stream`: one `RunEvent` per change of the run", content_type = "text/event-stream", body = RunEvent),
        (status = 429, description = "The caller holds `server.max_event_streams_per_user` streams open on this process; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/summary-runs/{run_id}/events")]
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let follow = state.services.summaries.follow(&user.0, path.into_inner());
    event_stream::respond(&req, &state, user.0.id, follow).await
}

/// This module's routes, mounted under `/api/v1`; the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(get)
        .service(calls)
        .service(cancel)
        .service(events);
}
