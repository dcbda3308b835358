//! Reads JSON bodies before the JSON extractor, under rules that keep one
//! client from holding the server's memory:
//! - only a request with a signed token may send more than
//!   [`ANONYMOUS_BODY_LIMIT`] bytes (sign-in, the one route without a
//!   token, needs far less): an anonymous large body is refused before it
//!   is read;
//! - a body must arrive within `server.body_read_timeout_secs`;
//! - at most `server.max_concurrent_large_bodies` bodies above the general
//!   limit (bulk imports) are read at once;
//! - NUL characters (`\u0000`) are refused: PostgreSQL cannot store them in
//!   text or JSONB columns and no field has a use for them, so every backend
//!   answers the same 422;
//! - nesting deeper than [`MAX_DEPTH`] is refused (422): no field needs it,
//!   and MariaDB's JSON columns refuse documents nested deeper than 32.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::web;
use futures::StreamExt;

use crate::error::ApiError;
use crate::state::AppState;

/// Whether a JSON text holds a `\u0000` escape (raw NUL bytes are not
/// JSON, and the parser refuses them). Linear: every backslash starts an
/// escape, so the escaped character is skipped.
pub fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while let Some(offset) = json[i..].iter().position(|&b| b == b'\\') {
        let at = i + offset;
        if json[at + 1..].starts_with(b"u0000") {
            return true;
        }
        i = at + 2;
        if i >= json.len() {
            return false;
        }
    }
    false
}

/// Bytes of body a request without a signed token may send.
pub const ANONYMOUS_BODY_LIMIT: usize = 64 * 1024;

/// Levels of arrays and objects a JSON body may nest.
pub const MAX_DEPTH: usize = 16;

/// Whether a JSON text nests arrays and objects deeper than `max` (brackets
/// inside strings do not count). Linear, like [`has_nul_escape`].
pub fn nests_deeper_than(json: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The middleware: buffers a JSON body (bounded by the route's limit, and
/// by [`ANONYMOUS_BODY_LIMIT`] without a signed token), checks it, and
/// hands it on to the extractor.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if is_json && let Some(state) = req.app_data::<web::Data<AppState>>().cloned() {
        let route_limit = if req.path().starts_with("/api/v1/articles") {
            state.bulk_json_limit
        } else {
            state.json_limit
        };
        // The signature is checked only for a body past the anonymous limit
        // (most bodies are far smaller): the extractor checks it again, with
        // revocation, once the body is read.
        let signed = std::cell::OnceCell::new();
        let head = req.request().clone();
        let is_signed = || {
            *signed.get_or_init(|| {
                crate::extractors::bearer(&head)
                    .is_ok_and(|token| state.services.auth.is_signed(token))
            })
        };
        // Refused as soon as the body is known to be too large: the
        // declared length first, then what arrives.
        let too_large = |size: usize| -> Option<ApiError> {
            if size <= route_limit.min(ANONYMOUS_BODY_LIMIT) {
                return None;
            }
            let signed = is_signed();
            let limit = if signed {
                route_limit
            } else {
                route_limit.min(ANONYMOUS_BODY_LIMIT)
            };
            (size > limit).then(|| {
                if signed || size > route_limit {
                    ApiError::PayloadTooLarge(limit)
                } else {
                    ApiError::Unauthorized(format!(
                        "a request body of more than {ANONYMOUS_BODY_LIMIT} bytes needs a bearer token"
                    ))
                }
            })
        };
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if let Some(e) = declared.and_then(too_large) {
            return Err(e.into());
        }
        let mut payload = req.parts_mut().1.take();
        let read = async {
            let mut body = web::BytesMut::new();
            let mut permit = None;
            while let Some(chunk) = payload.next().await {
                let chunk = chunk?;
                let size = body.len() + chunk.len();
                if let Some(e) = too_large(size) {
                    return Err(e.into());
                }
                if permit.is_none() && size.max(declared.unwrap_or(0)) > state.json_limit {
                    permit = Some(state.large_bodies.clone().try_acquire_owned().map_err(
                        |_| {
                            ApiError::Busy(
                                "too many large request bodies are being read; retry shortly"
                                    .into(),
                                std::time::Duration::from_secs(1),
                            )
                        },
                    )?);
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, actix_web::Error>(body)
        };
        let body = tokio::time::timeout(state.body_read_timeout, read)
            .await
            .map_err(|_| ApiError::BodyTimeout)??;
        let invalid = |message: String| -> actix_web::Error {
            ApiError::Service(service::ServiceError::invalid("body", message)).into()
        };
        if has_nul_escape(&body) {
            return Err(invalid(
                "text must not contain NUL (\\u0000) characters".into(),
            ));
        }
        if nests_deeper_than(&body, MAX_DEPTH) {
            return Err(invalid(format!(
                "arrays and objects must not nest deeper than {MAX_DEPTH} levels"
            )));
        }
        req.set_payload(actix_web::dev::Payload::from(body.freeze()));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::{has_nul_escape, nests_deeper_than};

    #[test]
    fn nesting_counts_brackets_outside_strings_only() {
        assert!(!nests_deeper_than(br#"{"a": [{"b": [1]}]}"#, 4));
        assert!(nests_deeper_than(br#"{"a": [{"b": [1]}]}"#, 3));
        assert!(!nests_deeper_than(br#"{"a": "[[[[[{{{{\"[[["}"#, 1));
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(nests_deeper_than(deep.as_bytes(), 16));
        assert!(!nests_deeper_than(deep.as_bytes(), 40));
    }

    #[test]
    fn finds_nul_escapes_in_keys_and_values_but_not_escaped_backslashes() {
        assert!(has_nul_escape(br#"{"title": "a\u0000b"}"#));
        assert!(has_nul_escape(br#"{"\u0000": 1}"#));
        assert!(
            has_nul_escape(br#"{"t": "\\\u0000"}"#),
            "an escaped backslash, then NUL"
        );
        assert!(
            !has_nul_escape(br#"{"t": "\\u0000"}"#),
            "a backslash followed by the text u0000"
        );
        assert!(!has_nul_escape(br#"{"t": "\u0001 \n \\"}"#));
        assert!(!has_nul_escape(br#"{"t": "ends with a backslash\\"}"#));
        assert!(!has_nul_escape(b"\\"));
        assert!(!has_nul_escape(b""));
    }
}
