//! The OpenAPI document covers every route and status; observability
//! endpoints expose what they promise.

use integration_tests::{spawn_app, world};
use serde_json::{Value, json};
use test_support::backend_tests;

/// Every route of the contract, as `METHOD /path`.
const CONTRACT: &[&str] = &[
    "post /api/v1/auth/login",
    "get /api/v1/auth/me",
    "put /api/v1/auth/password",
    "get /api/v1/organizations",
    "post /api/v1/organizations",
    "get /api/v1/organizations/{org_id}",
    "patch /api/v1/organizations/{org_id}",
    "delete /api/v1/organizations/{org_id}",
    "get /api/v1/organizations/{org_id}/usage",
    "put /api/v1/organizations/{org_id}/subscriptions/{stream_id}",
    "delete /api/v1/organizations/{org_id}/subscriptions/{stream_id}",
    "get /api/v1/users",
    "post /api/v1/users",
    "get /api/v1/users/{user_id}",
    "patch /api/v1/users/{user_id}",
    "delete /api/v1/users/{user_id}",
    "get /api/v1/streams",
    "post /api/v1/streams",
    "get /api/v1/streams/{stream_id}",
    "patch /api/v1/streams/{stream_id}",
    "delete /api/v1/streams/{stream_id}",
    "get /api/v1/streams/{stream_id}/reports",
    "post /api/v1/streams/{stream_id}/reports",
    "post /api/v1/streams/{stream_id}/imports",
    "get /api/v1/streams/{stream_id}/candidates",
    "post /api/v1/streams/{stream_id}/candidates/decisions",
    "get /api/v1/streams/{stream_id}/candidates/export",
    "get /api/v1/streams/{stream_id}/feed.atom",
    "get /api/v1/streams/{stream_id}/feed.json",
    "post /api/v1/streams/{stream_id}/feed-tokens",
    "get /api/v1/streams/{stream_id}/feed-tokens",
    "delete /api/v1/streams/{stream_id}/feed-tokens/{token_id}",
    "get /api/v1/streams/{stream_id}/subscription",
    "put /api/v1/streams/{stream_id}/subscription",
    "delete /api/v1/streams/{stream_id}/subscription",
    "post /api/v1/unsubscribe",
    "get /api/v1/unsubscribe",
    "get /api/v1/reports/{report_id}/deliveries",
    "post /api/v1/deliveries/{delivery_id}/retry",
    "get /api/v1/reports/{report_id}/email-preview",
    "get /api/v1/organizations/{org_id}/webhooks",
    "post /api/v1/organizations/{org_id}/webhooks",
    "patch /api/v1/organizations/{org_id}/webhooks/{hook_id}",
    "delete /api/v1/organizations/{org_id}/webhooks/{hook_id}",
    "post /api/v1/streams/{stream_id}/retrievals",
    "get /api/v1/streams/{stream_id}/retrieval-runs",
    "get /api/v1/streams/{stream_id}/screening-estimate",
    "get /api/v1/retrieval-runs/{run_id}",
    "delete /api/v1/retrieval-runs/{run_id}",
    "get /api/v1/retrieval-runs/{run_id}/events",
    "post /api/v1/articles/bulk",
    "patch /api/v1/articles/bulk",
    "get /api/v1/articles",
    "get /api/v1/articles/{article_id}",
    "get /api/v1/reports/{report_id}",
    "get /api/v1/reports",
    "patch /api/v1/reports/{report_id}",
    "delete /api/v1/reports/{report_id}",
    "post /api/v1/reports/{report_id}/articles",
    "get /api/v1/reports/{report_id}/funnel",
    "get /api/v1/reports/{report_id}/export",
    "post /api/v1/reports/{report_id}/articles/{article_id}/exclude",
    "post /api/v1/reports/{report_id}/articles/{article_id}/include",
    "patch /api/v1/reports/{report_id}/articles/{article_id}",
    "patch /api/v1/reports/{report_id}/summaries",
    "post /api/v1/reports/{report_id}/acknowledgements",
    "put /api/v1/reports/{report_id}/ranking",
    "post /api/v1/reports/{report_id}/submit",
    "post /api/v1/reports/{report_id}/approve",
    "post /api/v1/reports/{report_id}/reject",
    "post /api/v1/reports/{report_id}/reopen",
    "get /api/v1/reports/{report_id}/events",
    "post /api/v1/reports/{report_id}/summarize",
    "post /api/v1/reports/{report_id}/summaries/preview",
    "get /api/v1/reports/{report_id}/summary-runs",
    "get /api/v1/summary-runs/{run_id}",
    "delete /api/v1/summary-runs/{run_id}",
    "get /api/v1/summary-runs/{run_id}/calls",
    "get /api/v1/summary-runs/{run_id}/events",
    "get /health",
    "get /ready",
    "get /metrics",
];

backend_tests! {
    async fn the_openapi_document_covers_every_route_and_status(backend: Backend) {
        let app = spawn_app(backend).await;
        let doc: Value = app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                documented.push(format!("{method} {path}"));
                let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
                if path.starts_with("/api/") {
                    let mut needed = vec!["400", "422", "500", "503"];
                    needed.extend(if path.ends_with("/login") { vec!["401", "429"] } else { vec!["401", "403", "404"] });
                    if method != "get" { needed.extend(["409", "413"]); }
                    if path.ends_with("/summarize") || path.ends_with("/summaries/preview") { needed.extend(["502", "504"]); }
                    let conditional = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "If-Match"));
                    if conditional { needed.push("412"); }
                    for code in needed {
                        assert!(codes.iter().any(|c| *c == code), "{method} {path} documents {code}");
                    }
                }
            }
        }
        for route in CONTRACT {
            assert!(documented.iter().any(|d| d == route), "{route} is in /openapi.json");
        }
        // Every curation write states that it takes If-Match (and its 412).
        for (method, path) in [
            ("patch", "/api/v1/reports/{report_id}"),
            ("patch", "/api/v1/reports/{report_id}/articles/{article_id}"),
            ("patch", "/api/v1/reports/{report_id}/summaries"),
            ("post", "/api/v1/reports/{report_id}/acknowledgements"),
            ("post", "/api/v1/reports/{report_id}/articles/{article_id}/exclude"),
            ("post", "/api/v1/reports/{report_id}/articles/{article_id}/include"),
            ("put", "/api/v1/reports/{report_id}/ranking"),
            ("post", "/api/v1/reports/{report_id}/submit"),
            ("post", "/api/v1/reports/{report_id}/approve"),
            ("post", "/api/v1/reports/{report_id}/reject"),
            ("post", "/api/v1/reports/{report_id}/reopen"),
        ] {
            let op = &doc["paths"][path][method];
            assert!(op["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "If-Match" && p["in"] == "header"), "{method} {path} takes If-Match");
            assert!(op["responses"]["412"].is_object(), "{method} {path} documents 412");
        }
        // Every registered route is documented: an undocumented path is a 404.
        for route in &documented {
            let (method, path) = route.split_once(' ').unwrap();
            let concrete = path.replace("{org_id}", "1").replace("{stream_id}", "1").replace("{report_id}", "1").replace("{article_id}", "1").replace("{user_id}", "1").replace("{run_id}", "1").replace("{token_id}", "1").replace("{delivery_id}", "1").replace("{hook_id}", "1");
            let r = app.client.request(method.to_uppercase().parse().unwrap(), format!("{}{}", app.address, concrete)).send().await.unwrap();
            assert_ne!(r.status(), 404, "{route} is served") ;
        }
        app.stop().await;
    }
}

backend_tests! {
    async fn metrics_expose_the_named_series_and_every_response_has_a_request_id(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        app.post(&format!("/api/v1/reports/{}/summarize", w.report), &w.admin_a.1, serde_json::json!({})).await;
        let missing = app.get("/api/v1/reports/424242", &w.admin_a.1).await;
        assert!(missing.headers().contains_key("x-request-id"));
        let body: Value = missing.json().await.unwrap();
        assert!(body["request_id"].is_string());
        let echoed = app.client.get(format!("{}/health", app.address)).header("X-Request-Id", "trace-abc.123").send().await.unwrap();
        assert_eq!(echoed.headers()["x-request-id"], "trace-abc.123");
        let replaced = app.client.get(format!("{}/health", app.address)).header("X-Request-Id", "bad id with spaces").send().await.unwrap();
        assert_ne!(replaced.headers()["x-request-id"], "bad id with spaces");
        let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
        for series in [
            "curio_http_requests_total{", "curio_http_request_duration_seconds_bucket{", "curio_db_pool_connections",
            "curio_db_pool_idle", "curio_db_statement_seconds_bucket", "curio_llm_call_seconds_bucket{",
            "curio_llm_tokens_total{", "curio_runtime_lag_max_seconds",
        ] {
            assert!(text.contains(series), "/metrics has {series}");
        }
        assert!(text.contains(r#"route="/api/v1/reports/{report_id}",status="404""#));
        app.stop().await;
    }
}

/// The committed contract, `docs/openapi.json`: every change to what
/// clients see shows in review as a change to that file.
#[test]
#[expect(
    clippy::disallowed_methods,
    reason = "a plain test: there is no runtime for file I/O to block"
)]
fn the_document_is_the_committed_contract() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let built = serde_json::to_string_pretty(&api::startup::openapi_document()).unwrap() + "\n";
    if std::env::var_os("CURIO_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &built).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != built {
        let line = committed
            .lines()
            .zip(built.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(built.lines().count()));
        panic!(
            "the OpenAPI document differs from docs/openapi.json from line {}: \
             rerun this test with CURIO_UPDATE_OPENAPI=1 and commit the file \
             if the change is meant",
            line + 1
        );
    }
}

#[test]
fn every_operation_has_a_unique_descriptive_operation_id() {
    let doc = serde_json::to_value(api::startup::openapi_document()).unwrap();
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has an operationId"))
                .to_owned();
            assert!(
                id.len() >= 5
                    && id.chars().next().unwrap().is_ascii_lowercase()
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{id} is a camelCase name"
            );
            assert!(
                ids.insert(id.clone(), format!("{method} {path}")).is_none(),
                "{id} is used twice"
            );
        }
    }
    assert_eq!(ids.len(), CONTRACT.len());
    assert_eq!(ids["getReport"], "get /api/v1/reports/{report_id}");
    assert_eq!(
        ids["listStreamReports"],
        "get /api/v1/streams/{stream_id}/reports"
    );
}

#[test]
fn the_schema_states_the_limits_that_validation_enforces() {
    use repository::articles::limits as column;
    use service::limits;
    let doc = serde_json::to_value(api::startup::openapi_document()).unwrap();
    let prop = |schema: &str, field: &str| {
        let schema = &doc["components"]["schemas"][schema];
        // A schema with a cross-field rule is `allOf: [fields, rule]`.
        let fields = if schema["allOf"].is_array() {
            &schema["allOf"][0]
        } else {
            schema
        };
        fields["properties"][field].clone()
    };
    assert_eq!(
        prop("NewArticleIn", "journal")["maxLength"],
        column::JOURNAL
    );
    assert_eq!(prop("ArticleUpdateIn", "url")["maxLength"], column::URL);
    assert_eq!(prop("NewArticleIn", "title")["minLength"], 1);
    assert_eq!(
        prop("NewArticleIn", "authors")["items"]["maxLength"],
        column::AUTHOR
    );
    assert_eq!(prop("NewArticleIn", "pub_year")["maximum"], 2200);
    assert_eq!(
        prop("BulkImportRequest", "articles")["maxItems"],
        limits::ARTICLES_PER_REQUEST
    );
    assert_eq!(prop("BulkUpdateRequest", "updates")["minItems"], 1);
    assert_eq!(
        prop("CreateReportRequest", "articles")["maxItems"],
        limits::ARTICLES_PER_REPORT
    );
    assert_eq!(
        prop("ReportArticleIn", "presentation_categories")["maxItems"],
        limits::CATEGORIES_PER_ARTICLE
    );
    assert_eq!(prop("CreateUserRequest", "email")["format"], "email");
    assert_eq!(
        prop("CreateUserRequest", "password")["minLength"],
        limits::PASSWORD_MIN_CHARS
    );
    assert_eq!(
        prop("ChangePasswordRequest", "new_password")["maxLength"],
        limits::PASSWORD_MAX_CHARS
    );
    assert_eq!(
        prop("CreateOrganizationRequest", "name")["maxLength"],
        limits::NAME_CHARS
    );
    assert_eq!(
        prop("CreateStreamRequest", "purpose")["maxLength"],
        limits::PURPOSE_CHARS
    );
    assert_eq!(
        prop("PreviewRequest", "user_prompt_template")["maxLength"],
        limits::PROMPT_CHARS
    );
    assert_eq!(
        prop("LoginRequest", "email")["maxLength"],
        limits::EMAIL_CHARS
    );
    // NUL is refused in every request's text, and the schema says so.
    for (schema, field) in [
        ("CreateUserRequest", "password"),
        ("NewArticleIn", "journal"),
        ("CreateOrganizationRequest", "name"),
    ] {
        let pattern = prop(schema, field)["pattern"].as_str().unwrap().to_owned();
        assert!(
            pattern.contains(r"[^\u0000]"),
            "{schema}.{field}: {pattern}"
        );
    }
    let rule = doc["components"]["schemas"]["CreateUserRequest"]["allOf"][1]["anyOf"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        rule[0]["properties"]["role"]["enum"],
        json!(["platform_admin"]),
        "a platform admin has no organization"
    );
    assert_eq!(
        rule[1]["required"],
        json!(["org_id"]),
        "every other role needs one"
    );
    let params = doc["paths"]["/api/v1/streams/{stream_id}/reports"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(
        (
            limit["schema"]["minimum"].clone(),
            limit["schema"]["maximum"].clone()
        ),
        (1.into(), repository::pagination::MAX_LIMIT.into())
    );
}
