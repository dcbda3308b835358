//! JSON request bodies, parsed strictly: a body that is not JSON is 400, and
//! JSON of the wrong shape is 422 naming the offending field by its JSON
//! path (`stream_name`, `articles[3].doi`, `llm_config.article_summary`),
//! as the deserializer saw it.
//!
//! [`Json`] is for required bodies; [`OptionalJson`] for bodies whose every
//! field is optional: an absent or empty body means the defaults, and any
//! other body is parsed as strictly as a required one (a client that
//! misspells a field must hear about it, not get the defaults);
//! [`BlockingJson`] for the bulk bodies, parsed off the runtime.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A required JSON body.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A JSON body that may be left out: absent, empty or `null`, it is
/// `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read(req, payload, general_limit(req));
        Box::pin(async move {
            let body = read.await?;
            if body.is_empty() {
                return Err(ApiError::BadRequest("a JSON body is required".into()).into());
            }
            Ok(Json(parse(&body)?))
        })
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read(req, payload, general_limit(req));
        Box::pin(async move {
            let body = read.await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            // JSON `null` is no body too (the document allows it).
            Ok(OptionalJson(parse::<Option<T>>(&body)?.unwrap_or_default()))
        })
    }
}

/// A JSON body parsed on the blocking pool (through `service::cpu`): for
/// the bulk routes, whose bodies (up to `server.bulk_json_limit_bytes`)
/// take tens of milliseconds to parse, which would stall every other
/// request on a runtime worker. Its errors are those of [`Json`]; it wants
/// `Content-Type: application/json` itself.
pub struct BlockingJson<T>(pub T);

impl<T> BlockingJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Send + 'static> FromRequest for BlockingJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return Box::pin(async { Err(not_json().into()) });
        }
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(usize::MAX, |s| s.bulk_json_limit);
        let read = read(req, payload, limit);
        Box::pin(async move {
            let body = read.await?;
            let parsed = service::cpu::run(move || parse::<T>(&body))
                .await
                .map_err(ApiError::Service)?;
            Ok(BlockingJson(parsed?))
        })
    }
}

/// `server.json_limit_bytes`.
fn general_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map_or(1 << 20, |s| s.json_limit)
}

fn not_json() -> ApiError {
    ApiError::BadRequest("expected Content-Type: application/json".into())
}

/// Reads the body up to `limit` bytes (413 beyond). A body with content
/// must say it is JSON.
fn read(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<web::Bytes, ApiError>> + 'static {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .map(|v| v.starts_with("application/json") || is_json_suffix(&v));
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if announced.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("reading the body failed: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        if !body.is_empty() && is_json != Some(true) {
            return Err(not_json());
        }
        Ok(body.freeze())
    }
}

/// `application/problem+json` and the like.
fn is_json_suffix(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim_end().ends_with("+json"))
}

/// Parses `body` as `T`: malformed JSON is 400; JSON of the wrong shape is
/// 422 on the offending field's path.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return ApiError::BadRequest(format!("malformed JSON: {inner}"));
        }
        let message = inner.to_string();
        ApiError::Service(service::ServiceError::invalid(
            &field_path(&e.path().to_string(), &message),
            message,
        ))
    })?;
    // Content after the value (`{…} {…}`) is malformed, not ignored.
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// The JSON path of the field an error is about. For a missing field the
/// deserializer's path ends at the object, and only the message names the
/// field (serde writes it between backticks).
fn field_path(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        // An unknown field's path ends with the field already.
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        ("", Some(name)) => name.to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        ("", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        doi: Option<String>,
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        #[serde(default)]
        articles: Vec<Inner>,
    }

    fn field_of(body: &str) -> String {
        match parse::<Outer>(body.as_bytes()) {
            Err(ApiError::Service(service::ServiceError::Validation(errors))) => {
                errors[0].field.clone()
            }
            Err(other) => format!("not a field error: {other:?}"),
            Ok(v) => format!("parsed: {v:?}"),
        }
    }

    #[test]
    fn a_wrong_value_is_named_by_its_json_path() {
        assert_eq!(field_of(r#"{"name": 5}"#), "name");
        assert_eq!(
            field_of(r#"{"name": "a", "articles": [{}, {"doi": 7}]}"#),
            "articles[1].doi"
        );
        assert_eq!(
            field_of(r#"{"name": "a", "articles": [{"dio": "x"}]}"#),
            "articles[0].dio"
        );
        assert_eq!(field_of(r#"{"nmae": "a"}"#), "nmae");
        assert_eq!(field_of(r#"{}"#), "name");
        // Serde reads a struct from an array too: the first value is wrong.
        assert_eq!(field_of(r#"[1, 2]"#), "[0]");
        assert_eq!(field_of(r#""a string""#), "body");
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        for body in ["{", r#"{"name": "a"} trailing"#, "nope"] {
            assert!(
                matches!(
                    parse::<Outer>(body.as_bytes()),
                    Err(ApiError::BadRequest(_))
                ),
                "{body}"
            );
        }
    }
}
