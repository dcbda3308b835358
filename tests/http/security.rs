//! Secure by default: revocable tokens, curator-only data, deactivation
//! that takes effect, LLM spending on the right ledger.

use integration_tests::{PASSWORD, spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

backend_tests! {
    async fn curation_history_and_curator_fields_go_only_to_curators(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let article = w.articles[0];
        let edit = app.request(Method::PATCH, &format!("/api/v1/reports/{}/articles/{article}", w.report), Some(&w.admin_a.1),
            Some(json!({"ai_summary": "Edited by the curator.", "notes": "internal: source looks weak"}))).await;
        assert_eq!(edit.status(), 200);
        let hidden = w.articles[1];
        let exclude = app.post(&format!("/api/v1/reports/{}/articles/{hidden}/exclude", w.report), &w.admin_a.1, json!({"notes": "off topic"})).await;
        assert_eq!(exclude.status(), 200);
        for step in ["submit", "approve"] {
            assert_eq!(app.post(&format!("/api/v1/reports/{}/{step}", w.report), &w.admin_a.1, json!({})).await.status(), 200);
        }

        // The curator's view lists the excluded article; nobody else gets it.
        let ids = |report: &Value| -> Vec<(i64, bool)> {
            report["articles"].as_array().unwrap().iter().map(|a| (a["id"].as_i64().unwrap(), a["is_hidden"].as_bool().unwrap())).collect()
        };
        let view = format!("/api/v1/reports/{}?include_hidden=true", w.report);
        let curator_view: Value = app.get(&view, &w.admin_a.1).await.json().await.unwrap();
        assert!(ids(&curator_view).contains(&(i64::from(hidden), true)), "{curator_view}");
        assert_eq!(curator_view["article_count"], ids(&curator_view).len() as i64 - 1, "the count is of what members see");
        let plain: Value = app.get(&format!("/api/v1/reports/{}", w.report), &w.admin_a.1).await.json().await.unwrap();
        assert!(ids(&plain).iter().all(|(id, is_hidden)| *id != i64::from(hidden) && !is_hidden));
        let refused = app.get(&view, &w.member_a.1).await;
        assert_eq!(refused.status(), 403, "members see the report, not what was excluded");
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        assert_eq!(app.get(&view, &w.admin_b.1).await.status(), 404, "another organization does not see the report at all");
        assert_eq!(app.get(&format!("/api/v1/reports/{}?include_hidden=maybe", w.report), &w.admin_a.1).await.status(), 400);

        let as_member: Value = app.get(&format!("/api/v1/reports/{}", w.report), &w.member_a.1).await.json().await.unwrap();
        let mine = as_member["articles"].as_array().unwrap().iter().find(|a| a["id"] == article).unwrap();
        assert_eq!(mine["ai_summary"], "Edited by the curator.");
        assert_eq!(mine["curator_notes"], Value::Null, "notes are for curators");
        assert_eq!(mine["original_ai_summary"], Value::Null);
        assert_eq!(app.get(&format!("/api/v1/reports/{}/events", w.report), &w.member_a.1).await.status(), 403);

        let as_curator: Value = app.get(&format!("/api/v1/reports/{}", w.report), &w.admin_a.1).await.json().await.unwrap();
        let theirs = as_curator["articles"].as_array().unwrap().iter().find(|a| a["id"] == article).unwrap();
        assert_eq!(theirs["curator_notes"], "internal: source looks weak");
        let events = app.get(&format!("/api/v1/reports/{}/events", w.report), &w.admin_a.1).await;
        assert_eq!(events.status(), 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_stolen_token_cannot_take_the_account_and_a_password_change_revokes_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let (id, stolen) = (w.member_a.0, w.member_a.1.clone());
        let takeover = app.request(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&stolen), Some(json!({"password": "attacker password"}))).await;
        assert_eq!(takeover.status(), 403);
        let wrong = app.request(Method::PUT, "/api/v1/auth/password", Some(&stolen), Some(json!({"current_password": "guess guess", "new_password": "attacker password"}))).await;
        assert_eq!(wrong.status(), 403, "a wrong current password is a refusal, not a malformed field");

        let changed = app.request(Method::PUT, "/api/v1/auth/password", Some(&stolen), Some(json!({"current_password": PASSWORD, "new_password": "my new password"}))).await;
        assert_eq!(changed.status(), 200);
        let fresh = changed.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/v1/auth/me", &stolen).await.status(), 401, "the old token is revoked");
        assert_eq!(app.get("/api/v1/auth/me", &fresh).await.status(), 200);

        // An admin's reset revokes the user's tokens too.
        let reset = app.request(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&w.admin_a.1), Some(json!({"password": "reset by admin"}))).await;
        assert_eq!(reset.status(), 200);
        assert_eq!(app.get("/api/v1/auth/me", &fresh).await.status(), 401);
        app.stop().await;
    }
}

backend_tests! {
    async fn deactivated_organizations_and_streams_stop_working(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        // An inactive stream takes no new reports and no summaries.
        let off = app.request(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), Some(&w.admin_a.1), Some(json!({"is_active": false}))).await;
        assert_eq!(off.status(), 200, "{:?}", off.text().await);
        let body = json!({"report_name": "r", "report_date": "2026-01-12", "articles": []});
        assert_eq!(app.post(&format!("/api/v1/streams/{}/reports", w.org_stream), &w.admin_a.1, body).await.status(), 409);
        assert_eq!(app.post(&format!("/api/v1/reports/{}/summarize", w.report), &w.admin_a.1, json!({})).await.status(), 409);

        // An inactive organization: its users' tokens die and they cannot sign in.
        let r = app.request(Method::PATCH, &format!("/api/v1/organizations/{}", w.org_a), Some(&w.platform.1), Some(json!({"is_active": false}))).await;
        assert_eq!(r.status(), 200);
        assert_eq!(app.get("/api/v1/auth/me", &w.member_a.1).await.status(), 401);
        let login = app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "member@a.test", "password": PASSWORD}))).await;
        assert_eq!(login.status(), 401);
        assert_eq!(app.get("/api/v1/auth/me", &w.member_b.1).await.status(), 200, "other organizations unaffected");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_preview_is_charged_to_the_organization_that_owns_the_stream(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let calls = |usage: Value| usage.as_array().unwrap().iter().map(|row| row["calls"].as_i64().unwrap_or(0)).sum::<i64>();
        let usage_path = format!("/api/v1/organizations/{}/usage", w.org_a);
        let before = calls(app.get(&usage_path, &w.admin_a.1).await.json().await.unwrap());
        // A platform admin previews a prompt on org A's stream.
        let r = app.post(&format!("/api/v1/reports/{}/summaries/preview", w.report), &w.platform.1, json!({"prompt_type": "executive_summary"})).await;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        let after = calls(app.get(&usage_path, &w.admin_a.1).await.json().await.unwrap());
        assert_eq!(after, before + 1, "the preview is on org A's ledger");
        app.stop().await;
    }
}

#[tokio::test]
async fn metrics_labels_come_from_fixed_sets_and_metrics_can_be_protected() {
    let app = integration_tests::spawn_app_with(test_support::Backend::Sqlite, |s| {
        s.server.metrics_token = Some("scrape-token-for-tests".to_owned().into());
    })
    .await;
    let invented = Method::from_bytes(b"BREWCOFFEE").unwrap();
    app.request(invented, "/health", None, None).await;
    let metrics = |token: Option<&'static str>| {
        let mut req = app.client.get(format!("{}/metrics", app.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let refused = metrics(None).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(metrics(Some("wrong")).await.unwrap().status(), 401);
    let text = metrics(Some("scrape-token-for-tests"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("curio_http_requests_total"), "{text}");
    assert!(
        !text.contains("BREWCOFFEE"),
        "an invented method made a series"
    );
    assert!(text.contains("method=\"other\""), "{text}");
    app.stop().await;
}

backend_tests! {
    async fn over_long_article_fields_are_422_on_import_and_update_never_500(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let long = |n: usize| "x".repeat(n);
        let link = |n: usize| format!("https://e.org/{}", "x".repeat(n - "https://e.org/".len()));
        for (field, value) in [("journal", long(600)), ("url", link(3_000)), ("doi", long(300)), ("pmid", long(40)), ("title", long(2_001))] {
            let update = app.request(Method::PATCH, "/api/v1/articles/bulk", Some(&w.platform.1),
                Some(json!({"updates": [{"article_id": w.articles[0], field: value}]}))).await;
            assert_eq!(update.status(), 422, "update {field}");
            let body: Value = update.json().await.unwrap();
            assert_eq!(body["errors"][0]["field"], format!("updates[0].{field}"));
            let mut article = json!({"title": "T", "doi": "10.9/long"});
            article[field] = json!(value);
            let import = app.post("/api/v1/articles/bulk", &w.platform.1, json!({"articles": [article]})).await;
            assert_eq!(import.status(), 422, "import {field}");
        }
        // The largest values the columns hold are stored.
        let fits = app.request(Method::PATCH, "/api/v1/articles/bulk", Some(&w.platform.1),
            Some(json!({"updates": [{"article_id": w.articles[0], "journal": long(500), "url": link(2_048)}]}))).await;
        assert_eq!(fits.status(), 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn requests_beyond_the_limits_get_422_before_any_work(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let categories = |n: usize| json!({"categories": (0..n).map(|i| json!({"id": format!("c{i}"), "name": format!("C {i}"), "topics": []})).collect::<Vec<_>>()});
        let stream = |n: usize| json!({"stream_name": format!("S{n}"), "purpose": "P", "scope": "personal", "presentation_config": categories(n)});
        assert_eq!(app.post("/api/v1/streams", &w.member_a.1, stream(service::limits::CATEGORIES_PER_STREAM + 1)).await.status(), 422);
        let ok = app.post("/api/v1/streams", &w.member_a.1, stream(service::limits::CATEGORIES_PER_STREAM)).await;
        assert_eq!(ok.status(), 201);
        let big = ok.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let too_many_topics = json!({"stream_name": "T", "purpose": "P", "scope": "personal", "presentation_config": {"categories": [{"id": "a", "name": "A", "topics": vec!["t"; 51]}]}});
        assert_eq!(app.post("/api/v1/streams", &w.member_a.1, too_many_topics).await.status(), 422);
        let long_prompt = json!({"stream_name": "L", "purpose": "P", "scope": "personal", "enrichment_config": {"prompts": {"article_summary": {"system_prompt": "x".repeat(service::limits::PROMPT_CHARS + 1)}}}});
        assert_eq!(app.post("/api/v1/streams", &w.member_a.1, long_prompt).await.status(), 422);
        // An article filed under more categories than allowed.
        let cats: Vec<String> = (0..=service::limits::CATEGORIES_PER_ARTICLE).map(|i| format!("c{i}")).collect();
        let report = json!({"report_name": "r", "report_date": "2026-01-12", "articles": [{"article_id": w.articles[0], "presentation_categories": cats}]});
        let r = app.post(&format!("/api/v1/streams/{big}/reports"), &w.member_a.1, report).await;
        assert_eq!(r.status(), 422);
        let too_many = json!({"report_name": "r", "report_date": "2026-01-12", "articles": (1..=service::limits::ARTICLES_PER_REPORT as i32 + 1).map(|i| json!({"article_id": i})).collect::<Vec<_>>()});
        assert_eq!(app.post(&format!("/api/v1/streams/{big}/reports"), &w.member_a.1, too_many).await.status(), 422);
        app.stop().await;
    }
}

/// Signs in as `email` through a client claiming `forwarded_for`.
async fn login_via(
    app: &integration_tests::TestApp,
    email: &str,
    password: &str,
    forwarded_for: &str,
) -> u16 {
    app.client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

backend_tests! {
    async fn x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(backend: Backend) {
        // Untrusted peer: the header is ignored, every attempt is 127.0.0.1's.
        let app = integration_tests::spawn_app_with(backend, |s| s.auth.max_failed_logins_per_address = 3).await;
        let org = app.org("Org").await;
        app.user("m@x.test", entity::enums::UserRole::Member, Some(org)).await;
        for i in 0..3 {
            assert_eq!(login_via(&app, &format!("nobody{i}@x.test"), "wrong password", &format!("198.51.100.{i}")).await, 401);
        }
        assert_eq!(login_via(&app, "nobody0@x.test", "wrong password", "198.51.100.77").await, 429, "a forged header does not escape the limit");
        assert_eq!(login_via(&app, "m@x.test", PASSWORD, "198.51.100.77").await, 200, "an account without failures of its own is not locked out by others'");
        app.stop().await;

        // Behind a trusted proxy: each forwarded client has its own counter.
        let app = integration_tests::spawn_app_with(backend, |s| {
            s.auth.max_failed_logins_per_address = 3;
            s.server.trusted_proxies = vec!["127.0.0.0/8".into()];
        }).await;
        let org = app.org("Org").await;
        app.user("m@x.test", entity::enums::UserRole::Member, Some(org)).await;
        for i in 0..3 {
            // A client-supplied leftmost hop is not believed: the proxy appended the real one.
            assert_eq!(login_via(&app, &format!("nobody{i}@x.test"), "wrong password", &format!("10.9.9.{i}, 203.0.113.7")).await, 401);
        }
        assert_eq!(login_via(&app, "nobody0@x.test", "wrong password", "203.0.113.7").await, 429, "the forwarded client is blocked");
        assert_eq!(login_via(&app, "nobody0@x.test", "wrong password", "198.51.100.2").await, 401, "another client behind the same proxy is not");
        app.stop().await;
    }
}

#[test]
fn trusted_proxies_that_are_not_addresses_are_refused_at_start() {
    let vars = vec![(
        "CURIO__SERVER__TRUSTED_PROXIES".to_owned(),
        "10.0.0.0/8,not-an-address".to_owned(),
    )];
    let err = api::config::Settings::load_from(&vars)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server.trusted_proxies") && err.contains("not-an-address"),
        "{err}"
    );
    let vars = vec![(
        "CURIO__SERVER__TRUSTED_PROXIES".to_owned(),
        "10.0.0.0/8,192.0.2.1".to_owned(),
    )];
    assert_eq!(
        api::config::Settings::load_from(&vars)
            .unwrap()
            .server
            .trusted_proxies
            .len(),
        2
    );
}
