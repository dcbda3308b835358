use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{
    CreateOrganizationRequest, List, OrganizationOut, PatchOrganizationRequest, UsageOut,
};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::Json;
use crate::state::AppState;

/// Organizations: all for platform admins, one's own otherwise.
#[utoipa::path(operation_id = "listOrganizations", tag = "organizations", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of organizations", body = List<OrganizationOut>)))]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<OrganizationOut>>> {
    let page = state
        .services
        .organizations
        .list(&user.0, q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Create an organization (platform admins).
#[utoipa::path(operation_id = "createOrganization", tag = "organizations", security(("bearer" = [])), request_body = CreateOrganizationRequest,
    responses((status = 201, description = "Created", body = OrganizationOut)))]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let org = state
        .services
        .organizations
        .create(&user.0, &body.name)
        .await?;
    Ok(HttpResponse::Created().json(OrganizationOut::from(org)))
}

/// An organization with its member and stream counts.
#[utoipa::path(operation_id = "getOrganization", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, description = "The organization", body = OrganizationOut)))]
#[get("/organizations/{org_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<OrganizationOut>> {
    let detail = state
        .services
        .organizations
        .get(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(OrganizationOut {
        member_count: Some(detail.member_count),
        stream_count: Some(detail.stream_count),
        ..detail.organization.into()
    }))
}

/// Rename, (de)activate or set the monthly LLM limits of an organization
/// (platform admins).
#[utoipa::path(operation_id = "updateOrganization", tag = "organizations", security(("bearer" = [])), request_body = PatchOrganizationRequest,
    responses((status = 200, description = "Changed", body = OrganizationOut)))]
#[patch("/organizations/{org_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<PatchOrganizationRequest>,
) -> ApiResult<web::Json<OrganizationOut>> {
    let body = body.into_inner();
    let org = state
        .services
        .organizations
        .update(
            &user.0,
            path.into_inner(),
            service::organizations::OrganizationChanges {
                name: body.name,
                is_active: body.is_active,
                monthly_llm_calls: body.monthly_llm_calls,
                monthly_llm_tokens: body.monthly_llm_tokens,
            },
        )
        .await?;
    Ok(web::Json(org.into()))
}

/// Delete an organization (platform admins); 409 while it has users.
#[utoipa::path(operation_id = "deleteOrganization", tag = "organizations", security(("bearer" = [])), responses((status = 204, description = "Deleted")))]
#[delete("/organizations/{org_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .organizations
        .delete(&user.0, path.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// LLM calls and tokens per model, per UTC day.
#[utoipa::path(operation_id = "getOrganizationUsage", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, description = "Usage, newest day first", body = Vec<UsageOut>)))]
#[get("/organizations/{org_id}/usage")]
pub async fn usage(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<Vec<UsageOut>>> {
    let rows = state
        .services
        .organizations
        .usage(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| UsageOut {
                day: r.day,
                model: r.model,
                calls: r.calls,
                attempts: r.attempts,
                failed_calls: r.failed_calls,
                reused: r.reused,
                prompt_tokens: r.prompt_tokens,
                completion_tokens: r.completion_tokens,
            })
            .collect(),
    ))
}

/// Subscribe the organization to a global stream.
#[utoipa::path(operation_id = "subscribeOrganizationToStream", tag = "organizations", security(("bearer" = [])), responses((status = 204, description = "Subscribed")))]
#[put("/organizations/{org_id}/subscriptions/{stream_id}")]
pub async fn subscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (org_id, stream_id) = path.into_inner();
    state
        .services
        .organizations
        .set_subscription(&user.0, org_id, stream_id, true)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unsubscribe the organization from a global stream.
#[utoipa::path(operation_id = "unsubscribeOrganizationFromStream", tag = "organizations", security(("bearer" = [])), responses((status = 204, description = "Unsubscribed")))]
#[delete("/organizations/{org_id}/subscriptions/{stream_id}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (org_id, stream_id) = path.into_inner();
    state
        .services
        .organizations
        .set_subscription(&user.0, org_id, stream_id, false)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// This module's routes, mounted under `/api/v1`; the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(remove)
        .service(usage)
        .service(subscribe)
        .service(unsubscribe);
}
