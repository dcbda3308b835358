//! Faults survived: database outages, pool exhaustion, LLM failures.

use std::time::{Duration, Instant};

use integration_tests::{TestApp, spawn_app_on, spawn_app_with, use_llm_at, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::mock_llm::{Action, MockConfig, MockLlm, Rule};
use test_support::proxy::Proxy;
use test_support::{Backend, backend_tests};

/// An app whose database traffic goes through a proxy the test controls.
async fn app_behind_proxy(
    backend: Backend,
    adjust: impl FnOnce(&mut api::config::Settings),
) -> Option<(TestApp, Proxy)> {
    // SQLite is a file: there is no connection to cut.
    if backend == Backend::Sqlite {
        eprintln!("skipped: SQLite has no network connection to cut");
        return None;
    }
    let db = test_support::TestDb::new(backend).await;
    let proxy = Proxy::start(db.server_address().unwrap()).await.unwrap();
    let url = db.url_via_port(proxy.port());
    let app = spawn_app_on(db, |s| {
        s.database.url = url.clone().into();
        s.database.acquire_timeout_secs = 2.0;
        s.database.connect_timeout_secs = 1.0;
        s.database.min_connections = 1;
        adjust(s);
    })
    .await;
    Some((app, proxy))
}

backend_tests! {
    async fn a_database_outage_gives_fast_503s_and_the_service_recovers(backend: Backend) {
        let Some((app, proxy)) = app_behind_proxy(backend, |_| {}).await else { return };
        let w = world(&app).await;
        let token = &w.admin_a.1;
        assert_eq!(app.client.get(format!("{}/ready", app.address)).send().await.unwrap().status(), 200);

        // Bounds below are the configured timeouts (the /ready probe's 2 s, the
        // pool's 2 s acquire timeout) plus 3 s of slack: the work itself is a
        // few milliseconds, so a machine ten times slower still fits, while a
        // request that waits on a dead connection does not.
        let slack = Duration::from_secs(3);
        proxy.cut();
        let cut_at = Instant::now();
        loop {
            let r = app.client.get(format!("{}/ready", app.address)).send().await.unwrap();
            if r.status() == 503 {
                break;
            }
            assert!(cut_at.elapsed() < Duration::from_secs(2) + slack, "/ready still {} after {:?}", r.status(), cut_at.elapsed());
        }
        for path in ["/api/v1/streams", &format!("/api/v1/reports/{}", w.report), "/api/v1/auth/me"] {
            let started = Instant::now();
            let r = app.request(Method::GET, path, Some(token), None).await;
            assert_eq!(r.status(), 503, "{path}");
            assert!(r.headers().contains_key("retry-after"));
            assert!(started.elapsed() < Duration::from_secs(2) + slack, "{path} hung for {:?}", started.elapsed());
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["status"], 503);
        }

        proxy.restore();
        let restored = Instant::now();
        loop {
            let r = app.request(Method::GET, "/api/v1/streams", Some(token), None).await;
            if r.status() == 200 {
                break;
            }
            assert_ne!(r.status(), 500);
            assert!(restored.elapsed() < Duration::from_secs(10), "no recovery: {}", r.status());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.client.get(format!("{}/ready", app.address)).send().await.unwrap().status(), 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_connection_killed_mid_import_leaves_no_partial_batch(backend: Backend) {
        let Some((app, proxy)) = app_behind_proxy(backend, |_| {}).await else { return };
        let w = world(&app).await;
        let articles: Vec<Value> = (0..3000).map(|i| json!({"title": format!("Cut {i}"), "doi": format!("10.4242/cut.{i}")})).collect();
        proxy.set_delay(Duration::from_millis(20));
        let import = app.post("/api/v1/articles/bulk", &w.platform.1, json!({"articles": articles}));
        let cutter = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            proxy.cut();
        };
        let (response, ()) = tokio::join!(import, cutter);
        assert_ne!(response.status(), 200, "the import was cut");
        assert_ne!(response.status(), 500);
        proxy.set_delay(Duration::ZERO);
        proxy.restore();
        let db = test_support::TestDb::settings_for(&app.db.url);
        let conn = repository::database::connect(&db).await.unwrap();
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let rows = entity::article::Entity::find().filter(entity::article::Column::Doi.starts_with("10.4242/cut.")).count(&conn).await.unwrap();
        assert_eq!(rows, 0, "the batch's transaction rolled back whole");
        app.stop().await;
    }
}

backend_tests! {
    async fn an_exhausted_pool_answers_503_quickly_never_a_hang(backend: Backend) {
        let Some((app, proxy)) = app_behind_proxy(backend, |s| {
            s.database.max_connections = 2;
            s.database.acquire_timeout_secs = 1.0;
        }).await else { return };
        let w = world(&app).await;
        proxy.set_delay(Duration::from_millis(100));
        let started = Instant::now();
        let requests = (0..12).map(|_| app.request(Method::GET, "/api/v1/streams", Some(&w.admin_a.1), None));
        let statuses: Vec<u16> = futures::future::join_all(requests).await.iter().map(|r| r.status().as_u16()).collect();
        let elapsed = started.elapsed();
        assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
        assert!(statuses.contains(&503), "the excess is refused: {statuses:?}");
        assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
        proxy.set_delay(Duration::ZERO);
        let after = app.request(Method::GET, "/api/v1/streams", Some(&w.admin_a.1), None).await;
        assert_eq!(after.status(), 200, "the pool serves again once the burst is over");
        app.stop().await;
    }
}

async fn llm_app(backend: Backend, llm: &MockLlm) -> TestApp {
    let base = llm.base_url();
    spawn_app_with(backend, |s| {
        use_llm_at(s, base);
        s.llm.max_attempts = 2;
        s.llm.retry_base_ms = 10;
        s.llm.retry_max_ms = 20;
        // Normal calls take milliseconds; 1 s leaves room for a loaded
        // machine and still times out on the 4 s delay below.
        s.llm.request_timeout_secs = 1.0;
    })
    .await
}

backend_tests! {
    async fn llm_faults_give_502_or_504_with_the_failed_items_and_no_partial_enrichments(backend: Backend) {
        let llm = MockLlm::start(MockConfig::default()).await.unwrap();
        let app = llm_app(backend, &llm).await;
        let w = world(&app).await;
        let path = format!("/api/v1/reports/{}/summarize", w.report);
        let cases = [
            ("HTTP 500", Action::Status { status: 500, retry_after: None }, 502),
            ("malformed JSON", Action::Malformed, 502),
            ("empty content", Action::Empty, 502),
            ("dropped connection", Action::Drop, 502),
            ("timeout", Action::Delay(Duration::from_secs(4)), 504),
            ("HTTP 400", Action::Status { status: 400, retry_after: None }, 502),
        ];
        for (name, action, expected) in cases {
            llm.clear_rules();
            llm.reset();
            llm.add_rule(Rule { matches: "CAR T persistence".into(), action: action.clone(), times: None });
            let r = app.post(&path, &w.admin_a.1, json!({"force": true})).await;
            assert_eq!(r.status(), expected, "{name}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["failed"][0]["item"], w.articles[1].to_string(), "{name}");
            // The problem names the run whose log lines hold the provider's error.
            let runs: Value = app.get(&format!("/api/v1/reports/{}/summary-runs", w.report), &w.admin_a.1).await.json().await.unwrap();
            assert_eq!(body["run_id"], runs["data"][0]["id"], "{name}: {body}");
            let run: Value = app.get(&format!("/api/v1/summary-runs/{}", body["run_id"]), &w.admin_a.1).await.json().await.unwrap();
            assert_eq!(run["status"], "failed", "{name}");
            let report: Value = app.get(&format!("/api/v1/reports/{}", w.report), &w.admin_a.1).await.json().await.unwrap();
            assert_eq!(report["enrichments"]["executive_summary"], Value::Null, "{name}: no partial enrichments");
            let attempts = llm.received().iter().filter(|r| r.user.contains("Authors:") && r.user.contains("CAR T persistence")).count();
            let retried = !matches!(action, Action::Status { status: 400, .. });
            assert_eq!(attempts, if retried { 2 } else { 1 }, "{name}: attempts");
        }
        let usage: Value = app.get(&format!("/api/v1/organizations/{}/usage", w.org_a), &w.admin_a.1).await.json().await.unwrap();
        assert!(usage[0]["failed_calls"].as_i64().unwrap() >= 5, "the ledger records failed calls: {usage}");

        // 429 with Retry-After, then success.
        llm.clear_rules();
        llm.add_rule(Rule { matches: "CAR T persistence".into(), action: Action::Status { status: 429, retry_after: Some(1) }, times: Some(1) });
        let r = app.post(&path, &w.admin_a.1, json!({"force": true})).await;
        assert_eq!(r.status(), 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn the_ledger_has_a_row_per_request_the_provider_saw_with_the_model_it_served_and_its_id(backend: Backend) {
        let served = "mock-model-2026-01-01";
        let llm = MockLlm::start(MockConfig { served_model: Some(served.into()), ..MockConfig::default() }).await.unwrap();
        let app = llm_app(backend, &llm).await;
        let w = world(&app).await;
        // The article call of "CAR T persistence" is refused once, then answered.
        llm.add_rule(Rule { matches: "CAR T persistence".into(), action: Action::Status { status: 429, retry_after: None }, times: Some(1) });
        let r = app.post(&format!("/api/v1/reports/{}/summarize", w.report), &w.admin_a.1, json!({"force": true})).await;
        assert_eq!(r.status(), 200);
        let runs: Value = app.get(&format!("/api/v1/reports/{}/summary-runs", w.report), &w.admin_a.1).await.json().await.unwrap();
        let run = &runs["data"][0];
        let calls: Value = app.get(&format!("/api/v1/summary-runs/{}/calls?limit=100", run["id"]), &w.admin_a.1).await.json().await.unwrap();
        let rows = calls["data"].as_array().unwrap();

        // Call for call: every request the provider saw is one row, under the id it gave.
        let mut ledger_ids: Vec<&str> = rows.iter().map(|r| r["response_id"].as_str().expect("every answer named its request")).collect();
        let received = llm.received();
        let mut provider_ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
        ledger_ids.sort_unstable();
        provider_ids.sort_unstable();
        assert_eq!(ledger_ids, provider_ids, "{calls}");
        assert_eq!(calls["meta"]["total"], received.len());

        let item = w.articles[1].to_string();
        let retried: Vec<(i64, &str, i64)> = rows
            .iter()
            .filter(|r| r["stage"] == "article_summary" && r["item"] == item)
            .map(|r| (r["attempt"].as_i64().unwrap(), r["outcome"].as_str().unwrap(), r["http_status"].as_i64().unwrap()))
            .collect();
        assert_eq!(retried, [(1, "retried", 429), (2, "ok", 200)]);
        for row in rows.iter().filter(|r| r["outcome"] == "ok") {
            assert_eq!(row["served_model"], served, "the model the provider served: {row}");
            assert_ne!(row["model"], served, "beside the model asked for: {row}");
        }
        for row in rows.iter().filter(|r| r["outcome"] == "retried") {
            assert_eq!((row["prompt_tokens"].as_i64(), row["served_model"].as_str()), (Some(0), None), "a refusal costs no tokens: {row}");
        }

        // A retried call is one call to budgets and to the run, and every request to the usage summary.
        let calls_made = received.len() as i64 - 1;
        assert_eq!(run["usage"]["llm_calls"], calls_made);
        let usage: Value = app.get(&format!("/api/v1/organizations/{}/usage", w.org_a), &w.admin_a.1).await.json().await.unwrap();
        assert_eq!((usage[0]["calls"].as_i64(), usage[0]["attempts"].as_i64()), (Some(calls_made), Some(received.len() as i64)), "{usage}");

        // Someone who may not read the report sees no ledger of its runs.
        let other = app.get(&format!("/api/v1/summary-runs/{}/calls", run["id"]), &w.admin_b.1).await;
        assert_eq!(other.status(), 404);
        app.stop().await;
    }
}
