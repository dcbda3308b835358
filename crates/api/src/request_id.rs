//! Request ids: taken from a sane incoming `X-Request-Id` or generated, put
//! on the request's tracing span (so on every log line), in a task-local for
//! error bodies, and in the `X-Request-Id` response header.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The middleware: request id, span, access log line and HTTP metrics.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = method_label(req.method());
    let path = req.path().to_owned();
    let span = tracing::info_span!("http", request_id = %id, method = %req.method(), %path);
    let started = Instant::now();
    let result = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let (mut response, status) = match result {
        Ok(r) => {
            let s = r.status();
            (r, s)
        }
        Err(e) => return Err(e),
    };
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    metrics::counter!("curio_http_requests_total", "method" => method, "route" => route.clone(), "status" => status.as_u16().to_string()).increment(1);
    metrics::histogram!("curio_http_request_duration_seconds", "method" => method, "route" => route, "status" => status.as_u16().to_string())
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}

/// The method as a metrics label, from a fixed set: an invented method must
/// not add a series to `/metrics`.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}
