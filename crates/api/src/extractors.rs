//! Extractors: the authenticated caller, pagination, client address.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::Deserialize;
use service::Actor;
use service::Page;
use service::login_throttle::ClientAddress;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::state::AppState;

/// A fresh token for the response's `X-New-Token` header.
#[derive(Clone)]
pub struct NewToken(pub String);

/// The caller, authenticated by `Authorization: Bearer <JWT>`; role and
/// organization as stored in the database.
pub struct AuthUser(pub Actor);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Unauthorized("authentication is not configured".into()))?;
            let token = bearer(&req)?;
            let authenticated = state.services.auth.validate_token(token).await?;
            if let Some(fresh) = authenticated.refreshed {
                req.extensions_mut().insert(NewToken(fresh.access_token));
            }
            Ok(AuthUser(authenticated.actor))
        })
    }
}

/// The token of `Authorization: Bearer <token>`, or a 401 saying what is wrong.
pub(crate) fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization header".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("expected `Authorization: Bearer <token>`".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "expected `Authorization: Bearer <token>`".into(),
        ));
    }
    Ok(token.trim())
}

/// `?offset=0&limit=50` (limit 1..=200).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

impl PageParams {
    /// The validated page, or a 422 naming `limit`.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(service::pagination::DEFAULT_LIMIT);
        Page::new(self.offset.unwrap_or(0), limit).ok_or_else(|| {
            ApiError::Service(service::ServiceError::invalid(
                "limit",
                format!("must be between 1 and {}", service::pagination::MAX_LIMIT),
            ))
        })
    }
}

/// The client's address, for sign-in throttling: the peer, unless the peer
/// is a trusted proxy; then the nearest `X-Forwarded-For` hop that is not
/// one (hops are read right to left, as each proxy appends its peer).
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> ClientAddress {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    let Some(mut client) = req.peer_addr().map(|a| a.ip()) else {
        return ClientAddress(None);
    };
    if !is_trusted(&client) {
        if trusted.is_empty() && req.headers().contains_key("x-forwarded-for") {
            warn_untrusted_forwarding_once();
        }
        return ClientAddress(Some(client));
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A hop that is not an address: trust nothing to its left.
            Err(_) => break,
        }
    }
    ClientAddress(Some(client))
}

/// Says once per process that clients seem to arrive through a proxy that
/// is not trusted: then every client has the proxy's address, and 100
/// failed sign-ins from anyone make everyone behind it wait.
fn warn_untrusted_forwarding_once() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "requests carry X-Forwarded-For but server.trusted_proxies is empty: sign-in throttling counts the proxy's address for every client behind it; set CURIO__SERVER__TRUSTED_PROXIES to the proxy's address"
        );
    }
}
