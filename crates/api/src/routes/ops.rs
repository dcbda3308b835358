use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::HealthOut;
use crate::state::AppState;

/// 200 while the process serves.
#[utoipa::path(operation_id = "getHealth", tag = "operations", responses((status = 200, description = "Serving", body = HealthOut)))]
#[get("/health")]
pub async fn health() -> web::Json<HealthOut> {
    web::Json(HealthOut {
        status: "ok".into(),
    })
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(operation_id = "getReadiness", tag = "operations", responses(
    (status = 200, description = "The database answers", body = HealthOut),
    (status = 503, description = "The database does not answer", body = HealthOut)))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    // Bounded: a dead database must not make the probe hang.
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.services.ping()).await;
    match ping {
        Ok(Ok(())) => HttpResponse::Ok().json(HealthOut {
            status: "ready".into(),
        }),
        _ => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(HealthOut {
                status: "database unavailable".into(),
            }),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(operation_id = "getMetrics", tag = "operations", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: actix_web::HttpRequest) -> HttpResponse {
    if let Some(expected) = &state.metrics_token {
        use secrecy::ExposeSecret;
        if crate::extractors::bearer(&req).ok() != Some(expected.expose_secret()) {
            return actix_web::ResponseError::error_response(
                &crate::error::ApiError::Unauthorized("/metrics needs the metrics token".into()),
            );
        }
    }
    crate::observability::record_pool_gauges(state.services.pool_status());
    // Reads /proc: on the blocking pool.
    let _ = tokio::task::spawn_blocking(crate::observability::record_process).await;
    let body = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// This module's routes, mounted at the root (outside `/api/v1`); the OpenAPI operations come
/// from the same registration.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(health).service(ready).service(metrics);
}
