//! One start-up path for `main` and the tests: build the application from
//! settings, bind (port 0 picks a free one), then run until stopped.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use service::Services;
use service::summaries::Workers;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::ApiError;
use crate::extractors::NewToken;
use crate::openapi::{ApiDoc, document_errors, document_limits};
use crate::routes::{
    articles, auth, candidates, deliveries, exports, feeds, ops, organizations, reports,
    retrievals, streams, summary_runs, users, webhooks,
};
use crate::state::AppState;
use crate::{observability, request_id};

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: Server,
    services: Services,
    workers: Workers,
    retrievals: service::retrievals::RetrievalWorkers,
    deliveries: service::deliveries::DeliveryWorkers,
    grace: Duration,
}

impl Application {
    /// Connects, migrates and seeds as configured, and binds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`], on an already bound listener.
    pub async fn build_with_listener(
        mut settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        settings.check_serving().map_err(anyhow::Error::msg)?;
        // The port this process serves on, for links to itself (port 0
        // asks the system for one).
        settings.server.port = listener.local_addr()?.port();
        if settings.app.demo && settings.sources.feed_files().is_none() {
            // The demo stream reads a bundled feed from there, offline.
            settings.sources.feed_files_dir = "data/feeds".into();
        }
        if settings.auth.jwt_secret.is_none()
            && let Some(file) = settings.database.sqlite_path()
        {
            settings.auth.jwt_secret = Some(crate::secrets::load_or_create(&file).await?);
        }
        let services = connect(&settings).await?;
        if settings.app.demo {
            services
                .seed_demo_data()
                .await
                .context("creating demo data failed")?;
        }
        let port = listener.local_addr()?.port();
        let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
        let server = build_server(settings, services.clone(), listener)?;
        // On this runtime, which outlives the HTTP workers' runtimes.
        let workers = services.summaries.start_workers();
        let retrievals = services.retrievals.start_workers();
        let deliveries = services.deliveries.start_workers();
        Ok(Application {
            port,
            server,
            services,
            workers,
            retrievals,
            deliveries,
            grace,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or the handle) stops the server, lets
    /// in-flight requests finish within the grace period, lets the summary
    /// runs of this process end (or hands them back to the others), then
    /// closes the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let pruner = tokio::spawn(prune_login_failures(self.services.auth.clone()));
        let result = self.server.await;
        pruner.abort();
        // Both kinds of work end (or go back to the queue) together.
        tokio::join!(
            self.workers.shutdown(self.grace),
            self.retrievals.shutdown(self.grace),
            self.deliveries.shutdown(self.grace)
        );
        self.services.close().await;
        result
    }
}

/// The services over the configured database, migrated as configured.
async fn connect(settings: &Settings) -> anyhow::Result<Services> {
    // The recorder first: series the services register at zero are kept.
    observability::prometheus();
    let services = Services::connect(
        &settings.database,
        settings.app.migrate_on_start,
        settings.auth.clone(),
        settings.llm.clone(),
    )
    .await?;
    let services = services
        .with_jobs(settings.jobs.clone())
        .with_quotas(settings.quotas.clone())
        .with_sources(settings.sources.clone())?
        .with_delivery(
            settings.delivery.clone(),
            mail_base_url(settings)?,
            settings.auth.jwt_secret.as_ref(),
        )?;
    // A database server's connections belong to the runtime that opens
    // them; the summary runs get a pool opened here, on the runtime that
    // outlives the HTTP workers' (SQLite's connections are threads of their
    // own, and an in-memory database exists on one connection only).
    if settings.database.sqlite_path().is_none() && !settings.database.is_in_memory() {
        let runs = service::database::open(&settings.database, false).await?;
        return Ok(services.with_run_pool(runs));
    }
    Ok(services)
}

/// What links in mail point to: `server.public_url`, else this process's
/// own address.
fn mail_base_url(settings: &Settings) -> anyhow::Result<String> {
    let configured = settings
        .server
        .public_base()
        .map_err(|e| anyhow::anyhow!("server.public_url: {e}"))?;
    Ok(configured
        .unwrap_or_else(|| format!("http://{}:{}", settings.server.host, settings.server.port)))
}

/// `curio worker`: summary-run workers without the HTTP listener, until
/// SIGTERM/SIGINT; then runs in progress get the grace period to end, and
/// the rest go back to the queue.
pub async fn run_workers(settings: Settings) -> anyhow::Result<()> {
    // The recorder first: series the service registers at zero are kept.
    observability::prometheus();
    // The database and the summaries alone: a worker signs and checks no
    // token, so it needs no signing secret.
    let db = service::database::open(&settings.database, settings.app.migrate_on_start).await?;
    let summaries =
        service::summaries::SummaryService::from_settings(db.clone(), settings.llm.clone())?
            .with_jobs(settings.jobs.clone());
    let workers = summaries.start_workers();
    let retrievals = service::retrievals::RetrievalService::new(
        db.clone(),
        &settings.sources,
        settings.jobs.clone(),
        summaries.clone(),
    )?;
    let retrieval_workers = retrievals.start_workers();
    // Mail carries unsubscribe links signed with a key derived from the
    // token secret: a worker without it sends none (the API processes do).
    let mut jwt_secret = settings.auth.jwt_secret.clone();
    if jwt_secret.is_none()
        && let Some(file) = settings.database.sqlite_path()
    {
        jwt_secret = Some(crate::secrets::load_or_create(&file).await?);
    }
    if jwt_secret.is_none() {
        tracing::warn!("auth.jwt_secret is not set: this worker sends no mail");
    }
    let deliveries = service::deliveries::DeliveryService::new(
        db.clone(),
        settings.delivery.clone(),
        mail_base_url(&settings)?,
        jwt_secret
            .as_ref()
            .map(service::deliveries::unsubscribe_key),
    )?;
    let delivery_workers = deliveries.start_workers();
    let count = settings
        .jobs
        .workers
        .resolve(settings.llm.global_concurrency);
    tracing::info!(workers = count, "summary workers started");
    stop_signal().await?;
    tracing::info!("stopping summary workers");
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
    tokio::join!(
        workers.shutdown(grace),
        retrieval_workers.shutdown(grace),
        delivery_workers.shutdown(grace)
    );
    summaries.close().await;
    Ok(())
}

/// Resolves at the first SIGTERM or SIGINT.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            r = tokio::signal::ctrl_c() => r?,
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// Keeps the sign-in throttle table as small as one window's failures.
async fn prune_login_failures(auth: service::auth::AuthService) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = auth.prune_login_failures().await {
            tracing::warn!(error = %e, "pruning sign-in failures failed");
        }
    }
}

/// Connects (and migrates, as configured) and creates a platform admin: the
/// operator's way to make the first one. A taken email is an error that
/// says so.
pub async fn create_admin(
    settings: &Settings,
    email: &str,
    password: String,
) -> anyhow::Result<service::users::User> {
    // The database alone: creating an admin needs no signing secret.
    let db = service::database::open(&settings.database, settings.app.migrate_on_start).await?;
    let created = service::users::UserService::new(db.clone())
        .create_platform_admin(email, password)
        .await;
    db.close().await.ok();
    created.map_err(|e| match e {
        service::ServiceError::Conflict { .. } => {
            anyhow::anyhow!("a user with email {} already exists", email.trim())
        }
        service::ServiceError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::Error::new(other).context("creating the admin failed"),
    })
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("malformed query: {err}")).into()
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("malformed path parameter: {err}")).into()
}

/// Adds `X-New-Token` when the extractor issued a fresh token.
async fn new_token_header(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let token = response.request().extensions().get::<NewToken>().cloned();
    if let Some(NewToken(token)) = token
        && let Ok(value) = HeaderValue::from_str(&token)
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-new-token"), value);
    }
    Ok(response)
}

/// Path templates of the API, to tell 405 (known path, other method) from 404.
fn known_path(templates: &[Vec<String>], path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    templates.iter().any(|t| {
        t.len() == segments.len()
            && t.iter()
                .zip(&segments)
                .all(|(a, b)| a.starts_with('{') || a == b)
    })
}

// Long on purpose: the whole HTTP surface (state, middleware order, error
// handlers, routes, docs) in one place, as actix-web's App builder reads.
fn build_server(
    settings: Settings,
    services: Services,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let state = web::Data::new(AppState {
        services,
        metrics: observability::prometheus(),
        metrics_token: settings.server.metrics_token.clone(),
        trusted_proxies: settings
            .server
            .trusted_proxy_nets()
            .map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?,
        public_base: settings
            .server
            .public_base()
            .map_err(|e| anyhow::anyhow!("server.public_url: {e}"))?,
        json_limit: settings.server.json_limit_bytes,
        bulk_json_limit: settings.server.bulk_json_limit_bytes,
        body_read_timeout: std::time::Duration::from_secs_f64(
            settings.server.body_read_timeout_secs.max(0.1),
        ),
        large_bodies: std::sync::Arc::new(tokio::sync::Semaphore::new(
            settings.server.max_concurrent_large_bodies.max(1),
        )),
        event_streams: crate::state::OpenStreams::new(settings.server.max_event_streams_per_user),
        event_keep_alive: std::time::Duration::from_secs_f64(
            settings.server.event_keep_alive_secs.clamp(0.1, 300.0),
        ),
    });
    let origins = settings.server.cors_origins.clone();
    let openapi = openapi_document();
    let templates: Vec<Vec<String>> = openapi
        .paths
        .paths
        .keys()
        .map(|p| p.split('/').map(str::to_owned).collect())
        .collect();
    let server = HttpServer::new(move || {
        // One probe per worker runtime: a blocked worker shows up as lag.
        actix_web::rt::spawn(observability::lag_probe("http-worker"));
        let cors = origins.iter().fold(
            Cors::default()
                .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
                .allowed_headers([
                    actix_web::http::header::AUTHORIZATION,
                    actix_web::http::header::CONTENT_TYPE,
                    actix_web::http::header::IF_MATCH,
                    HeaderName::from_static("prefer"),
                ])
                .expose_headers([
                    "X-New-Token",
                    "X-Request-Id",
                    "ETag",
                    "Location",
                    "Preference-Applied",
                ])
                .max_age(3600),
            |cors, origin| cors.allowed_origin(origin),
        );
        let templates = templates.clone();
        let (app, _) = App::new()
            .into_utoipa_app()
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .configure(routes())
            .split_for_parts();
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .default_service(web::to(move |req: HttpRequest| {
                let known = known_path(&templates, req.path());
                async move {
                    if known {
                        Err::<HttpResponse, _>(ApiError::MethodNotAllowed)
                    } else {
                        Err(ApiError::RouteNotFound)
                    }
                }
            }))
            .wrap(from_fn(crate::json_guard::middleware))
            .wrap(from_fn(new_token_header))
            .wrap(cors)
            .wrap(from_fn(request_id::middleware))
    })
    .shutdown_timeout(settings.server.shutdown_grace_secs)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Every route of the application, registered once for the server and the
/// OpenAPI document alike: each resource module registers its own.
fn routes() -> impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig) {
    move |cfg| {
        cfg.configure(ops::register).service(
            scope::scope("/api/v1")
                .configure(auth::register)
                .configure(organizations::register)
                .configure(users::register)
                .configure(streams::register)
                .configure(candidates::register)
                .configure(exports::register)
                .configure(feeds::register)
                .configure(deliveries::register)
                .configure(webhooks::register)
                .configure(retrievals::register)
                .configure(reports::register)
                .configure(summary_runs::register)
                .configure(articles::register),
        );
    }
}

/// The OpenAPI document of the whole application, with error responses.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    // Built from the same registrations as the server, on a throwaway app.
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes())
        .split_for_parts();
    document_errors(&mut doc);
    document_limits(&mut doc);
    doc
}
