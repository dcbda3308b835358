use actix_web::{HttpResponse, delete, get, patch, post, web};
use service::users::{CreateUser, PatchUser};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{CreateUserRequest, List, PatchUserRequest, UserOut, UserWithOrganizationOut};
use crate::error::ApiResult;
use crate::extractors::{AuthUser, PageParams};
use crate::json_body::Json;
use crate::state::AppState;

/// Users with their organizations: all for platform admins, the
/// organization's for org admins.
#[utoipa::path(operation_id = "listUsers", tag = "users", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of users", body = List<UserWithOrganizationOut>)))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<UserWithOrganizationOut>>> {
    let page = state.services.users.list(&user.0, q.page()?).await?;
    Ok(web::Json(List::from_page(page, Into::into)))
}

/// Create a user; 409 when the email is taken (in any letter case).
#[utoipa::path(operation_id = "createUser", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, description = "Created", body = UserOut)))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let created = state
        .services
        .users
        .create(
            &user.0,
            CreateUser {
                email: b.email,
                password: b.password,
                full_name: b.full_name,
                role: b.role,
                org_id: b.org_id,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(UserOut::from(created)))
}

/// A user the caller may see, with its organization.
#[utoipa::path(operation_id = "getUser", tag = "users", security(("bearer" = [])), responses((status = 200, description = "The user", body = UserWithOrganizationOut)))]
#[get("/users/{user_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<UserWithOrganizationOut>> {
    Ok(web::Json(
        state
            .services
            .users
            .get_with_organization(&user.0, path.into_inner())
            .await?
            .into(),
    ))
}

/// Change a user (oneself, or as an administrator).
#[utoipa::path(operation_id = "updateUser", tag = "users", security(("bearer" = [])), request_body = PatchUserRequest,
    responses((status = 200, description = "Changed", body = UserOut)))]
#[patch("/users/{user_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: Json<PatchUserRequest>,
) -> ApiResult<web::Json<UserOut>> {
    let b = body.into_inner();
    let patch = PatchUser {
        email: b.email,
        full_name: b.full_name,
        password: b.password,
        role: b.role,
        is_active: b.is_active,
    };
    Ok(web::Json(
        state
            .services
            .users
            .update(&user.0, path.into_inner(), patch)
            .await?
            .into(),
    ))
}

/// Delete a user (never oneself, never the last platform admin).
#[utoipa::path(operation_id = "deleteUser", tag = "users", security(("bearer" = [])), responses((status = 204, description = "Deleted")))]
#[delete("/users/{user_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .users
        .delete(&user.0, path.into_inner())
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
        .service(remove);
}
