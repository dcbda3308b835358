//! An organization's webhook endpoints (its admins).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{
    CreateWebhookRequest, CreatedWebhookOut, PatchWebhookRequest, WebhookOut, WebhooksOut,
};
use crate::error::ApiResult;
use crate::extractors::AuthUser;
use crate::json_body::Json;
use crate::state::AppState;

/// The organization's webhook endpoints (its admins).
#[utoipa::path(operation_id = "listWebhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "The endpoints, oldest first", body = WebhooksOut)))]
#[get("/organizations/{org_id}/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<WebhooksOut>> {
    let hooks = state
        .services
        .webhooks
        .list(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(WebhooksOut {
        data: hooks.into_iter().map(Into::into).collect(),
    }))
}

/// Register an endpoint: each event is POSTed to it as JSON, signed per
/// Standard Webhooks (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`) with the secret this answer shows once. At most 20
/// per organization; loopback, private and link-local addresses are
/// refused unless `delivery.webhooks_allow_private`.
#[utoipa::path(operation_id = "createWebhook", tag = "webhooks", security(("bearer" = [])), request_body = CreateWebhookRequest,
    responses((status = 201, description = "The endpoint and its secret", body = CreatedWebhookOut)))]
#[post("/organizations/{org_id}/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let events: Vec<String> = b.events.into_iter().map(|e| e.name()).collect();
    let created = state
        .services
        .webhooks
        .create(&user.0, path.into_inner(), &b.url, &events)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CreatedWebhookOut::from(created)))
}

/// Change an endpoint's URL or events, or disable it (its events are then
/// not sent, and not kept for later).
#[utoipa::path(operation_id = "updateWebhook", tag = "webhooks", security(("bearer" = [])), request_body = PatchWebhookRequest,
    responses((status = 200, description = "The endpoint", body = WebhookOut)))]
#[patch("/organizations/{org_id}/webhooks/{hook_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    body: Json<PatchWebhookRequest>,
) -> ApiResult<web::Json<WebhookOut>> {
    let (org_id, hook_id) = path.into_inner();
    let b = body.into_inner();
    let events: Option<Vec<String>> = b.events.map(|e| e.into_iter().map(|e| e.name()).collect());
    let hook = state
        .services
        .webhooks
        .update(
            &user.0,
            org_id,
            hook_id,
            b.url.as_deref(),
            events.as_deref(),
            b.enabled,
        )
        .await?;
    Ok(web::Json(hook.into()))
}

/// Delete an endpoint.
#[utoipa::path(operation_id = "deleteWebhook", tag = "webhooks", security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
#[delete("/organizations/{org_id}/webhooks/{hook_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (org_id, hook_id) = path.into_inner();
    state
        .services
        .webhooks
        .delete(&user.0, org_id, hook_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove);
}
