//! Feeds of a stream's approved reports (Atom, JSON Feed), read with a
//! bearer token or a feed token, and the caller's feed tokens.

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use service::feeds::{FeedFormat, FeedReader, FeedUrls};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{CreatedFeedTokenOut, FeedTokenOut, FeedTokensOut};
use crate::error::ApiResult;
use crate::extractors::AuthUser;
use crate::state::AppState;

/// A feed reader's credential.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// A feed token of this stream (`POST /streams/{id}/feed-tokens`), for
    /// readers that send no `Authorization` header.
    #[param(min_length = 1, max_length = 128)]
    pub token: Option<String>,
}

/// `server.public_url`, else the scheme and host this request named.
pub(crate) fn base_url(state: &AppState, req: &HttpRequest) -> String {
    if let Some(base) = &state.public_base {
        return base.clone();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak comparison, as
/// RFC 9110 §13.1.2 has it for GET.
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

async fn feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    stream_id: i32,
    params: FeedParams,
    format: FeedFormat,
) -> ApiResult<HttpResponse> {
    let (reader, query) = match params.token {
        Some(token) => {
            let query = format!("token={token}");
            (FeedReader::Token(token), Some(query))
        }
        None => {
            let user = AuthUser::extract(&req).await?;
            (FeedReader::Actor(user.0), None)
        }
    };
    let urls = FeedUrls {
        base: base_url(&state, &req),
        query,
    };
    let rendered = state
        .services
        .feeds
        .feed(reader, stream_id, format, &urls)
        .await?;
    // Readers revalidate each time: a report approved, reopened or edited
    // changes the document, and with it the tag.
    let cache = (header::CACHE_CONTROL, "private, no-cache");
    if not_modified(&req, &rendered.etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, rendered.etag))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(format.media_type())
        .insert_header((header::ETAG, rendered.etag))
        .insert_header(cache)
        .body(rendered.body))
}

/// The stream's latest approved reports (20) as an Atom 1.0 feed, each
/// entry the whole report. `ETag` and `If-None-Match` (304) for readers
/// that poll.
#[utoipa::path(operation_id = "streamFeedAtom", tag = "feeds", security(("bearer" = []), ()), params(FeedParams),
    responses((status = 200, description = "The feed", content_type = "application/atom+xml", body = String,
        headers(("ETag" = String, description = "Changes when the document does"))),
        (status = 304, description = "Not modified since the `If-None-Match` tag")))]
#[get("/streams/{stream_id}/feed.atom")]
pub async fn atom(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    q: web::Query<FeedParams>,
) -> ApiResult<HttpResponse> {
    feed(
        req,
        state,
        path.into_inner(),
        q.into_inner(),
        FeedFormat::Atom,
    )
    .await
}

/// The same feed as JSON Feed 1.1.
#[utoipa::path(operation_id = "streamFeedJson", tag = "feeds", security(("bearer" = []), ()), params(FeedParams),
    responses((status = 200, description = "The feed (JSON Feed 1.1: version, title, feed_url, items)", content_type = "application/feed+json", body = serde_json::Value,
        headers(("ETag" = String, description = "Changes when the document does"))),
        (status = 304, description = "Not modified since the `If-None-Match` tag")))]
#[get("/streams/{stream_id}/feed.json")]
pub async fn json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i32>,
    q: web::Query<FeedParams>,
) -> ApiResult<HttpResponse> {
    feed(
        req,
        state,
        path.into_inner(),
        q.into_inner(),
        FeedFormat::Json,
    )
    .await
}

/// A feed token for a stream the caller may see: a secret URL that opens
/// this stream's feed as the caller, and nothing else. Shown once; at most
/// 10 per stream; dies with the caller's sign-ins or with `DELETE`.
#[utoipa::path(operation_id = "createFeedToken", tag = "feeds", security(("bearer" = [])),
    responses((status = 201, description = "The token and the feed URLs that carry it", body = CreatedFeedTokenOut)))]
#[post("/streams/{stream_id}/feed-tokens")]
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let issued = state
        .services
        .feeds
        .create_token(&user.0, path.into_inner())
        .await?;
    let base = base_url(&state, &req);
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedFeedTokenOut::new(issued, &base)))
}

/// The caller's feed tokens of a stream (without their secrets).
#[utoipa::path(operation_id = "listFeedTokens", tag = "feeds", security(("bearer" = [])),
    responses((status = 200, description = "The caller's tokens, oldest first", body = FeedTokensOut)))]
#[get("/streams/{stream_id}/feed-tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<FeedTokensOut>> {
    let tokens = state
        .services
        .feeds
        .tokens(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(FeedTokensOut {
        data: tokens.into_iter().map(FeedTokenOut::from).collect(),
    }))
}

/// Revoke one of the caller's feed tokens: its URLs stop working at once.
#[utoipa::path(operation_id = "revokeFeedToken", tag = "feeds", security(("bearer" = [])),
    responses((status = 204, description = "Revoked")))]
#[delete("/streams/{stream_id}/feed-tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (stream_id, token_id) = path.into_inner();
    state
        .services
        .feeds
        .revoke(&user.0, stream_id, token_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(atom)
        .service(json)
        .service(create_token)
        .service(list_tokens)
        .service(revoke_token);
}
