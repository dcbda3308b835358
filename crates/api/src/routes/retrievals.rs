//! Retrieval runs: started by a stream's curators, followed, listed and
//! cancelled by them.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{List, RetrievalRunOut, RunEvent, ScreeningEstimateOut};
use crate::error::ApiResult;
use crate::event_stream;
use crate::extractors::{AuthUser, PageParams};
use crate::state::AppState;

/// Read the stream's sources into its candidate pool: queues a retrieval
/// run (or answers the one queued or running) and answers at once.
#[utoipa::path(operation_id = "startRetrieval", tag = "candidates", security(("bearer" = [])),
    responses((status = 202, description = "Queued, or the stream's run in progress; follow `Location`", body = RetrievalRunOut,
        headers(("Location" = String, description = "`/api/v1/retrieval-runs/{id}`"))),
        (status = 409, description = "The stream has no sources (`retrieval_config.sources`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/streams/{stream_id}/retrievals")]
pub async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let (run, _) = state
        .services
        .retrievals
        .start(&user.0, path.into_inner())
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/retrieval-runs/{}", run.id)))
        .json(RetrievalRunOut::from(run)))
}

/// What LLM screening of the stream's pool would cost now: the candidates
/// still to screen, the calls, the answers the cache holds and the tokens
/// at most. Nothing is called or stored.
#[utoipa::path(operation_id = "estimateScreening", tag = "candidates", security(("bearer" = [])),
    responses((status = 200, description = "The estimate", body = ScreeningEstimateOut),
        (status = 409, description = "The stream does not screen (`retrieval_config.screening`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/streams/{stream_id}/screening-estimate")]
pub async fn screening_estimate(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<ScreeningEstimateOut>> {
    let stream_id = path.into_inner();
    let e = state
        .services
        .retrievals
        .estimate_screening(&user.0, stream_id)
        .await?;
    Ok(web::Json(ScreeningEstimateOut {
        stream_id,
        candidates: e.candidates,
        llm_calls: e.llm_calls,
        reused: e.reused,
        prompt_tokens: e.prompt_tokens,
        max_completion_tokens: e.max_completion_tokens,
    }))
}

/// A retrieval run: where it is and what it found so far.
#[utoipa::path(operation_id = "getRetrievalRun", tag = "candidates", security(("bearer" = [])),
    responses((status = 200, description = "The run", body = RetrievalRunOut)))]
#[get("/retrieval-runs/{run_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<RetrievalRunOut>> {
    let run = state
        .services
        .retrievals
        .run_of(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(run.into()))
}

/// The stream's retrieval runs, newest first.
#[utoipa::path(operation_id = "listRetrievalRuns", tag = "candidates", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of runs", body = List<RetrievalRunOut>)))]
#[get("/streams/{stream_id}/retrieval-runs")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<RetrievalRunOut>>> {
    let page = state
        .services
        .retrievals
        .runs_of_stream(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Cancel a queued or running run: its worker stops before the next page;
/// the candidates it stored stay in the pool.
#[utoipa::path(operation_id = "cancelRetrievalRun", tag = "candidates", security(("bearer" = [])),
    responses((status = 200, description = "Cancelled", body = RetrievalRunOut)))]
#[delete("/retrieval-runs/{run_id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<RetrievalRunOut>> {
    let run = state
        .services
        .retrievals
        .cancel(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(run.into()))
}

/// Live progress as Server-Sent Events, as for summary runs: the run now,
/// an event per page stored (`progress`), and a last one named after how
/// it ended (`succeeded`, `failed`, `cancelled`), after which the stream
/// closes. Keep-alive comments, token checks and the per-user bound on open
/// streams are those of `GET /summary-runs/{run_id}/events`.
#[utoipa::path(operation_id = "streamRetrievalRunEvents", tag = "candidates", security(("bearer" = [])),
    responses((status = 200, description = "`text/event-stream`: one `RunEvent` per change of the run, its `data` a `RetrievalRunOut`", content_type = "text/event-stream", body = RunEvent),
        (status = 429, description = "The caller holds `server.max_event_streams_per_user` streams open on this process; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/retrieval-runs/{run_id}/events")]
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let follow = state.services.retrievals.follow(&user.0, path.into_inner());
    event_stream::respond(&req, &state, user.0.id, follow).await
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(start)
        .service(get)
        .service(list)
        .service(cancel)
        .service(events)
        .service(screening_estimate);
}
