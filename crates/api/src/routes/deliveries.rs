//! Mail of approved reports: the caller's subscriptions, one-click
//! unsubscribing (RFC 8058, no sign-in), and what curators see of the
//! outbox.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::{DeliveryOut, List, SubscriptionOut, UnsubscribedOut};
use crate::error::ApiResult;
use crate::extractors::AuthUser;
use crate::extractors::PageParams;
use crate::state::AppState;

/// Whether approved reports of the stream are mailed to the caller.
#[utoipa::path(operation_id = "getSubscription", tag = "deliveries", security(("bearer" = [])),
    responses((status = 200, description = "The caller's subscription", body = SubscriptionOut)))]
#[get("/streams/{stream_id}/subscription")]
pub async fn get_subscription(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<SubscriptionOut>> {
    let stream_id = path.into_inner();
    let s = state
        .services
        .deliveries
        .subscription(&user.0, stream_id)
        .await?;
    Ok(web::Json(SubscriptionOut::new(stream_id, s)))
}

/// Receive the stream's approved reports by mail (a stream the caller may
/// see).
#[utoipa::path(operation_id = "subscribe", tag = "deliveries", security(("bearer" = [])),
    responses((status = 200, description = "Subscribed", body = SubscriptionOut)))]
#[put("/streams/{stream_id}/subscription")]
pub async fn subscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<SubscriptionOut>> {
    choose(state, user, path.into_inner(), true).await
}

/// Records the caller's choice for a stream.
async fn choose(
    state: web::Data<AppState>,
    user: AuthUser,
    stream_id: i32,
    subscribed: bool,
) -> ApiResult<web::Json<SubscriptionOut>> {
    let s = state
        .services
        .deliveries
        .subscribe(&user.0, stream_id, subscribed)
        .await?;
    Ok(web::Json(SubscriptionOut::new(stream_id, s)))
}

/// Stop receiving the stream's reports by mail (kept until subscribed again).
#[utoipa::path(operation_id = "unsubscribeStream", tag = "deliveries", security(("bearer" = [])),
    responses((status = 200, description = "Unsubscribed", body = SubscriptionOut)))]
#[delete("/streams/{stream_id}/subscription")]
pub async fn unsubscribe_stream(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<SubscriptionOut>> {
    choose(state, user, path.into_inner(), false).await
}

/// The link of a message's `List-Unsubscribe`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeParams {
    /// The signed token of the message's unsubscribe link.
    #[param(min_length = 1, max_length = 100)]
    pub token: String,
}

/// One-click unsubscribe (RFC 8058): what a mail client posts
/// (`List-Unsubscribe=One-Click`) to a message's `List-Unsubscribe` link.
/// Needs no sign-in; the token opens this one opt-out and nothing else.
#[utoipa::path(operation_id = "unsubscribeByLink", tag = "deliveries", security(()), params(UnsubscribeParams),
    responses((status = 200, description = "The token's user no longer receives the stream's reports", body = UnsubscribedOut)))]
#[post("/unsubscribe")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    q: web::Query<UnsubscribeParams>,
) -> ApiResult<web::Json<UnsubscribedOut>> {
    let stream_id = state.services.deliveries.unsubscribe(&q.token).await?;
    Ok(web::Json(UnsubscribedOut {
        stream_id,
        subscribed: false,
    }))
}

/// The page a person reaches by following an unsubscribe link: a button
/// that posts it. Following a link changes nothing, so that mail scanners
/// that open links unsubscribe nobody.
#[utoipa::path(operation_id = "unsubscribePage", tag = "deliveries", security(()), params(UnsubscribeParams),
    responses((status = 200, description = "A page with the unsubscribe button", content_type = "text/html", body = String)))]
#[get("/unsubscribe")]
pub async fn unsubscribe_page(q: web::Query<UnsubscribeParams>) -> HttpResponse {
    let token: String = q
        .token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head>\
         <body style=\"font-family:Helvetica,Arial,sans-serif;max-width:480px;margin:40px auto\">\
         <p>Stop receiving this stream's reports by mail?</p>\
         <form method=\"post\" action=\"unsubscribe?token={token}\"><button type=\"submit\">Unsubscribe</button></form>\
         </body></html>\n"
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; form-action 'self'",
        ))
        .body(page)
}

/// The report's deliveries, each with its status, attempts and last error
/// (the stream's curators).
#[utoipa::path(operation_id = "listDeliveries", tag = "deliveries", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "A page of the report's deliveries, oldest first", body = List<DeliveryOut>)))]
#[get("/reports/{report_id}/deliveries")]
pub async fn of_report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    q: web::Query<PageParams>,
) -> ApiResult<web::Json<List<DeliveryOut>>> {
    let page = state
        .services
        .deliveries
        .of_report(&user.0, path.into_inner(), q.page()?)
        .await?;
    Ok(web::Json(List::from_page(page, DeliveryOut::from)))
}

/// Send a failed delivery again (the report's curators; 409 unless it failed).
#[utoipa::path(operation_id = "retryDelivery", tag = "deliveries", security(("bearer" = [])),
    responses((status = 200, description = "Queued again", body = DeliveryOut)))]
#[post("/deliveries/{delivery_id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<web::Json<DeliveryOut>> {
    let d = state
        .services
        .deliveries
        .retry(&user.0, path.into_inner())
        .await?;
    Ok(web::Json(d.into()))
}

/// The report's mail as its subscribers get it, as HTML (the stream's
/// curators; any state of the report).
#[utoipa::path(operation_id = "emailPreview", tag = "deliveries", security(("bearer" = [])),
    responses((status = 200, description = "The message's HTML part", content_type = "text/html", body = String)))]
#[get("/reports/{report_id}/email-preview")]
pub async fn email_preview(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let html = state
        .services
        .deliveries
        .email_preview(&user.0, path.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        // It loads nothing: a preview shows what a mail client would.
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html))
}

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(get_subscription)
        .service(subscribe)
        .service(unsubscribe_stream)
        .service(unsubscribe)
        .service(unsubscribe_page)
        .service(of_report)
        .service(retry)
        .service(email_preview);
}
