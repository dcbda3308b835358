//! Summary runs: progress, history, cancel, and live progress as
//! Server-Sent Events.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, delete, get, web};
use futures::StreamExt;
use service::summaries::SummaryRun;

use crate::dto::{List, RunEvent, SummaryRunOut};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::state::AppState;

/// How often an idle event stream sends a comment, so that proxies keep
/// the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

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

/// Cancel a queued or running run: no new LLM calls; finished article
/// summaries are kept; the report's summaries stay as they were.
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
#[utoipa::path(operation_id = "streamSummaryRunEvents", tag = "summaries", security(("bearer" = [])),
    responses((status = 200, description = "`text/event-stream`: one `RunEvent` per change of the run", content_type = "text/event-stream", body = RunEvent)))]
#[get("/summary-runs/{run_id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let run = state
        .services
        .summaries
        .run_of(&user.0, path.into_inner())
        .await?;
    let summaries = state.services.summaries.clone();
    let first = event(&run);
    let rest = futures::stream::unfold(Some(run), move |seen| {
        let summaries = summaries.clone();
        async move {
            let seen = seen?;
            if seen.status.is_finished() {
                return None;
            }
            match summaries.next_state(&seen, KEEP_ALIVE).await {
                Ok(run) if run == seen => {
                    Some((Bytes::from_static(b": keep-alive\n\n"), Some(run)))
                }
                Ok(run) => Some((event(&run), Some(run))),
                Err(e) => {
                    tracing::warn!(error = %e, "summary run events stopped");
                    None
                }
            }
        }
    });
    let body = futures::stream::once(async move { first })
        .chain(rest)
        .map(Ok::<_, actix_web::Error>);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Proxies that buffer responses (nginx) would hold events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

fn event(run: &SummaryRun) -> Bytes {
    let name = if run.status.is_finished() {
        service::summaries::status_name(run.status)
    } else {
        "progress"
    };
    let data = serde_json::to_string(&SummaryRunOut::from(run.clone())).unwrap_or_default();
    Bytes::from(format!(
        "event: {name}\nid: {}\ndata: {data}\n\n",
        run.updated_at.timestamp_millis()
    ))
}
