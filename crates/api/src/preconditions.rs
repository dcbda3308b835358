//! Report versions over HTTP: `ETag` on reads, `If-Match` on writes
//! (RFC 9110 §13.1.1), and `Prefer: respond-async` (RFC 7240).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use service::ServiceError;
use service::curation::Versions;

use crate::error::ApiError;

/// The strong entity tag of a report version.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The versions a write may be based on: `If-Match: "<version>"`, or a
/// list of tags (`"3", "4"`), any of which may be current (RFC 9110
/// §13.1.1); absent or `*` means any version. Weak tags (`W/"3"`) never
/// match under the strong comparison `If-Match` uses.
pub struct IfMatch(pub Option<Versions>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or_default())
            .collect();
        if values.is_empty() {
            return ready(Ok(IfMatch(None)));
        }
        let tags: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if tags.contains(&"*") {
            return ready(Ok(IfMatch(None)));
        }
        let versions: Vec<i32> = tags
            .iter()
            .filter_map(|t| t.strip_prefix('"')?.strip_suffix('"')?.parse::<i32>().ok())
            .collect();
        ready(if versions.is_empty() {
            Err(ApiError::Service(ServiceError::PreconditionFailed(
                format!(
                    "If-Match `{}` names no version of this report; send the ETag of GET /reports/{{id}}",
                    values.join(", ")
                ),
            )))
        } else {
            Ok(IfMatch(Some(Versions(versions))))
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
