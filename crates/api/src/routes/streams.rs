use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{CreateStreamRequest, List, PatchStreamRequest, ReportOut, StreamOut};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::Json;
use crate::state::AppState;

/// The streams the caller may see.
#[utoipa::path(operation_id = "listStreams", tag = "streams", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of streams", body = List<StreamOut>)))]
#[get("/streams")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<StreamOut>>> {
    let page = state.services.streams.list(&user.0, q.page()?).await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Create a stream (personal: anyone; organization: its org admins; global: platform admins).
#[utoipa::path(operation_id = "createStream", tag = "streams", security(("bearer" = [])), request_body = CreateStreamRequest,
    responses((status = 201, description = "Created", body = StreamOut)))]
#[post("/streams")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateStreamRequest>,
) -> ApiResult<HttpResponse> {
    let stream = state
        .services
        .streams
        .create(&user.0, body.into_inner().into())
        .await?;
    Ok(HttpResponse::Created().json(StreamOut::from(stream)))
}

/// A stream the caller may see.
#[utoipa::path(operation_id = "getStream", tag = "streams", security(("bearer" = [])), responses((status = 200, description = "The stream", body = StreamOut)))]
#[get("/streams/{stream_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<StreamOut>> {
    Ok(web::Json(
        state
            .services
            .streams
            .get(&user.0, path.into_inner())
            .await?
            .into(),
    ))
}

/// Change a stream; configuration is validated (categories, templates, LLM settings).
#[utoipa::path(operation_id = "updateStream", tag = "streams", security(("bearer" = [])), request_body = PatchStreamRequest,
    responses((status = 200, description = "Changed", body = StreamOut)))]
#[patch("/streams/{stream_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<PatchStreamRequest>,
) -> ApiResult<web::Json<StreamOut>> {
    Ok(web::Json(
        state
            .services
            .streams
            .update(&user.0, path.into_inner(), body.into_inner().into())
            .await?
            .into(),
    ))
}

/// Delete a stream with its reports.
#[utoipa::path(operation_id = "deleteStream", tag = "streams", security(("bearer" = [])), responses((status = 204, description = "Deleted")))]
#[delete("/streams/{stream_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .streams
        .delete(&user.0, path.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The stream's reports, newest first.
#[utoipa::path(operation_id = "listStreamReports", tag = "streams", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of reports", body = List<ReportOut>)))]
#[get("/streams/{stream_id}/reports")]
pub async fn reports(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<ReportOut>>> {
    let page = state
        .services
        .streams
        .reports(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// This module's routes, mounted under `/api/v1`; the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(remove)
        .service(reports);
}
