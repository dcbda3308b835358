//! Report versions over HTTP: `ETag` on reads, `If-Match` on writes
//! (RFC 9110 §13.1.1), and `Prefer: respond-async` (RFC 7240).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use service::ServiceError;

use crate::error::ApiError;

/// The strong entity tag of a report version.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The version a write is based on: `If-Match: "<version>"`; absent or `*`
/// means any version.
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Ok(IfMatch(None)));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return ready(Ok(IfMatch(None)));
        }
        // A weak tag never matches under If-Match (strong comparison), and
        // a list of several cannot all be current: both fail the condition.
        let version = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse::<i32>().ok());
        ready(match version {
            Some(v) => Ok(IfMatch(Some(v))),
            None => Err(ApiError::Service(ServiceError::PreconditionFailed(
                format!(
                    "If-Match `{text}` is not a version of this report; send the ETag of GET /reports/{{id}}"
                ),
            ))),
        })
    }
}

/// Whether the request prefers an immediate `202 Accepted`.
pub fn prefers_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::HeaderName::from_static("prefer"))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|token| token.trim().eq_ignore_ascii_case("respond-async"))
        })
}
