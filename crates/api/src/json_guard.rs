//! Refuses JSON bodies whose text holds NUL characters (`\u0000`):
//! PostgreSQL cannot store them in text or JSONB columns, and no field of
//! the API has a use for them, so every backend answers the same 422. Runs
//! before the JSON extractor, reading at most the route's size limit.

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

/// The middleware: buffers a JSON body (bounded by the route's limit),
/// checks it, and hands it on to the extractor.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if is_json && let Some(state) = req.app_data::<web::Data<AppState>>() {
        let limit = if req.path().starts_with("/api/v1/articles") {
            state.bulk_json_limit
        } else {
            state.json_limit
        };
        let mut payload = req.parts_mut().1.take();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit).into());
            }
            body.extend_from_slice(&chunk);
        }
        if has_nul_escape(&body) {
            return Err(ApiError::Service(service::ServiceError::invalid(
                "body",
                "text must not contain NUL (\\u0000) characters",
            ))
            .into());
        }
        req.set_payload(actix_web::dev::Payload::from(body.freeze()));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

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
