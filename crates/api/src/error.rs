//! The API's one error type, rendered as RFC 7807 `application/problem+json`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use service::{FieldError, ServiceError, error::FailedItem};

use crate::request_id;

/// Everything a handler or extractor can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("too many failed attempts")]
    TooManyRequests(Duration),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// The server declines the request for now (says what, and after how
    /// long to retry).
    #[error("{0}")]
    Busy(String, Duration),
    #[error("no such resource")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
}

/// The problem document (RFC 7807), plus `errors` for validation and
/// `failed` for LLM failures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Always a human-readable string (FastAPI clients read `detail`).
    pub detail: String,
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ProblemField>>)]
    pub errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ProblemFailedItem>>)]
    pub failed: Option<Vec<FailedItem>>,
    /// Which rule a 409 met, for clients to branch on (`detail` says it in
    /// words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<service::ConflictKind>,
    /// The summary run the problem is of (`GET /summary-runs/{run_id}`);
    /// the provider's own error is logged under this id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i32>,
}

/// A field's validation message.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

/// An LLM item that failed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemFailedItem {
    pub stage: String,
    pub item: Option<String>,
    pub error: String,
}

impl ApiError {
    fn slug_and_detail(&self) -> (&'static str, String) {
        match self {
            ApiError::Service(e) => match e {
                ServiceError::NotFound(what) => ("not-found", format!("{what} not found")),
                ServiceError::Forbidden(why) => ("forbidden", why.clone()),
                ServiceError::Conflict { detail, .. } => ("conflict", detail.clone()),
                ServiceError::PreconditionFailed(why) => ("precondition-failed", why.clone()),
                ServiceError::BudgetExceeded { detail, .. } => ("budget-exceeded", detail.clone()),
                ServiceError::RateLimited { detail, .. } => ("rate-limited", detail.clone()),
                ServiceError::Validation(_) => {
                    ("validation", "the request has invalid fields".into())
                }
                ServiceError::Unauthorized(why) => ("unauthorized", why.clone()),
                ServiceError::LlmFailed {
                    timeout: true,
                    failed,
                    ..
                } => (
                    "llm-timeout",
                    format!("the LLM provider timed out for {} item(s)", failed.len()),
                ),
                ServiceError::LlmFailed { failed, .. } => (
                    "llm-failed",
                    format!("the LLM provider failed for {} item(s)", failed.len()),
                ),
                ServiceError::Unavailable(_) => (
                    "unavailable",
                    "the database is unavailable; retry shortly".into(),
                ),
                ServiceError::Internal(_) => (
                    "internal",
                    "an internal error occurred; quote the request id when reporting it".into(),
                ),
            },
            ApiError::BadRequest(why) => ("bad-request", why.clone()),
            ApiError::Unauthorized(why) => ("unauthorized", why.clone()),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", self.to_string()),
            ApiError::TooManyRequests(_) => (
                "too-many-requests",
                "too many failed login attempts; retry later".into(),
            ),
            ApiError::BodyTimeout => ("request-timeout", self.to_string()),
            ApiError::Busy(why, _) => ("busy", why.clone()),
            ApiError::RouteNotFound => ("not-found", "no such resource".into()),
            ApiError::MethodNotAllowed => (
                "method-not-allowed",
                "this method is not allowed on this resource".into(),
            ),
        }
    }
}

/// Logs an error with its whole cause chain.
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Service(e) => match e {
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                ServiceError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
                ServiceError::BudgetExceeded { .. } | ServiceError::RateLimited { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                ServiceError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                ServiceError::LlmFailed { timeout: true, .. } => StatusCode::GATEWAY_TIMEOUT,
                ServiceError::LlmFailed { .. } => StatusCode::BAD_GATEWAY,
                ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Busy(..) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (slug, detail) = self.slug_and_detail();
        match self {
            ApiError::Service(e @ (ServiceError::Internal(_) | ServiceError::Unavailable(_))) => {
                tracing::error!(error = %cause_chain(e), "request failed");
            }
            ApiError::Service(ServiceError::LlmFailed { failed, run_id, .. }) => {
                tracing::warn!(failed = failed.len(), run_id, "LLM provider failed");
            }
            _ => {}
        }
        let problem = Problem {
            kind: format!("/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            request_id: request_id::current(),
            errors: match self {
                ApiError::Service(ServiceError::Validation(errors)) => Some(errors.clone()),
                _ => None,
            },
            failed: match self {
                ApiError::Service(ServiceError::LlmFailed { failed, .. }) => Some(failed.clone()),
                _ => None,
            },
            conflict: match self {
                ApiError::Service(ServiceError::Conflict { kind, .. }) => Some(*kind),
                _ => None,
            },
            run_id: match self {
                ApiError::Service(ServiceError::LlmFailed { run_id, .. }) => *run_id,
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            ApiError::Unauthorized(_) | ApiError::Service(ServiceError::Unauthorized(_)) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests(wait)
            | ApiError::Busy(_, wait)
            | ApiError::Service(
                ServiceError::RateLimited {
                    retry_after: wait, ..
                }
                | ServiceError::BudgetExceeded {
                    retry_after: wait, ..
                },
            ) => {
                response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
            }
            ApiError::BodyTimeout => {
                // The rest of the body may still be on its way.
                response.insert_header((header::CONNECTION, "close"));
            }
            ApiError::Service(ServiceError::Unavailable(_)) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
