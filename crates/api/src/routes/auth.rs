use actix_web::{HttpRequest, get, post, put, web};
use service::auth::LoginError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{ChangePasswordRequest, LoginRequest, LoginResponse, TokenResponse, UserOut};
use crate::error::{ApiError, ApiResult};
use crate::extractors::{AuthUser, client_address};
use crate::json_body::Json;
use crate::state::AppState;

/// Sign in with email and password.
#[utoipa::path(operation_id = "login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Unknown email or wrong password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; retry after `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<LoginResponse>> {
    let login = state
        .services
        .auth
        .login(
            &body.email,
            &body.password,
            client_address(&req, &state.trusted_proxies),
        )
        .await
        .map_err(login_error)?;
    Ok(web::Json(LoginResponse {
        access_token: login.token.access_token,
        token_type: "bearer".into(),
        expires_in: login.token.expires_in,
        user: login.user.into(),
    }))
}

/// The caller.
#[utoipa::path(operation_id = "getCurrentUser", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = UserOut)))]
#[get("/auth/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<UserOut>> {
    Ok(web::Json(
        state.services.users.get(&user.0, user.0.id).await?.into(),
    ))
}

/// Change the caller's password (the current one is required, 403 when it is wrong; throttled like
/// sign-in). Every earlier token of the caller is revoked; the response
/// carries a token for a new session.
#[utoipa::path(operation_id = "changePassword", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 200, description = "Changed; earlier tokens are revoked", body = TokenResponse)))]
#[put("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: Json<ChangePasswordRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let token = state
        .services
        .auth
        .change_password(
            &user.0,
            &body.current_password,
            &body.new_password,
            client_address(&req, &state.trusted_proxies),
        )
        .await
        .map_err(login_error)?;
    Ok(web::Json(TokenResponse {
        access_token: token.access_token,
        token_type: "bearer".into(),
        expires_in: token.expires_in,
    }))
}

fn login_error(e: LoginError) -> ApiError {
    match e {
        LoginError::Throttled(wait) => ApiError::TooManyRequests(wait),
        LoginError::Service(e) => ApiError::Service(e),
    }
}

/// This module's routes, mounted under `/api/v1`; the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(login).service(me).service(change_password);
}
