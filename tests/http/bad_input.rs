//! Bad input gets a clear problem+json and leaves the database as it was;
//! odd but valid input is stored verbatim.

use integration_tests::{fingerprint, spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

backend_tests! {
    async fn rejected_requests_never_500_and_change_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let raw = |method: Method, path: &str, body: &'static str| {
            app.client
                .request(method, format!("{}{}", app.address, path))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
        };
        let huge = "x".repeat(10 * 1024 * 1024);
        let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
            ("malformed JSON", raw(Method::POST, "/api/v1/streams", "{\"stream_name\": "), 400),
            ("wrong type", raw(Method::POST, "/api/v1/streams", r#"{"stream_name": 5, "purpose": "p"}"#), 422),
            ("unknown field", raw(Method::POST, "/api/v1/streams", r#"{"stream_name": "s", "purpose": "p", "owner": 1}"#), 422),
            ("bad enum", raw(Method::POST, "/api/v1/streams", r#"{"stream_name": "s", "purpose": "p", "scope": "galactic"}"#), 422),
            ("negative id", raw(Method::GET, "/api/v1/reports/-5", ""), 404),
            ("huge id", raw(Method::GET, "/api/v1/reports/99999999999999999999", ""), 400),
            ("non-numeric id", raw(Method::GET, "/api/v1/streams/abc", ""), 400),
            ("limit 0", raw(Method::GET, "/api/v1/streams?limit=0", ""), 422),
            ("limit 10000", raw(Method::GET, "/api/v1/reports?limit=10000", ""), 422),
            ("negative offset", raw(Method::GET, "/api/v1/reports?offset=-1", ""), 400),
            ("oversize body", app.client.post(format!("{}/api/v1/streams", app.address)).bearer_auth(token).json(&json!({"stream_name": "s", "purpose": huge.clone()})), 413),
            ("10 MB string in bulk", app.client.post(format!("{}/api/v1/articles/bulk", app.address)).bearer_auth(&w.platform.1).json(&json!({"articles": [{"title": huge.clone()}]})), 422),
            ("not JSON content type", app.client.post(format!("{}/api/v1/streams", app.address)).bearer_auth(token).header("content-type", "text/plain").body("hello"), 400),
            ("empty ranking", raw(Method::PUT, &format!("/api/v1/reports/{}/ranking", w.report), r#"{"article_ids": []}"#), 409),
            ("bad date", raw(Method::POST, &format!("/api/v1/streams/{}/reports", w.org_stream), r#"{"report_name": "r", "report_date": "2026-02-30"}"#), 422),
            // PostgreSQL cannot store NUL in text or JSONB: refused alike everywhere.
            ("NUL in an article", app.client.post(format!("{}/api/v1/articles/bulk", app.address)).bearer_auth(&w.platform.1).header("content-type", "application/json").body(r#"{"articles": [{"title": "x", "doi": "10.1/a\u0000b"}]}"#), 422),
            ("NUL in a config key", raw(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), r#"{"enrichment_config": {"\u0000": 1}}"#), 422),
            // A float PostgreSQL's JSONB would give back as an unreadable decimal.
            ("huge float in a config", raw(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), r#"{"enrichment_config": {"x": -1.7976931348623157e308}}"#), 422),
            ("tiny float in a config", raw(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), r#"{"llm_config": {"temperature": 9.9e-253}}"#), 422),
            ("fractional id", raw(Method::PUT, &format!("/api/v1/reports/{}/ranking", w.report), r#"{"article_ids": [1.5]}"#), 422),
            ("missing organization", app.client.post(format!("{}/api/v1/streams", app.address)).bearer_auth(&w.platform.1).json(&json!({"stream_name": "s", "purpose": "p", "scope": "organization", "org_id": 2_000_000_000})), 404),
            ("user in a missing organization", app.client.post(format!("{}/api/v1/users", app.address)).bearer_auth(&w.platform.1).json(&json!({"email": "x@y.test", "password": "long enough", "org_id": 2_000_000_000})), 404),
        ];
        for (name, request, expected) in cases {
            let before = fingerprint(&app.db.conn).await;
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            assert_eq!(status, expected, "{name}");
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{name}");
            let body: Value = r.json().await.unwrap();
            assert!(body["detail"].is_string(), "{name}");
            let text = body.to_string().to_lowercase();
            for leak in ["select ", "insert ", "sqlx", "panicked", "argon2", "backtrace"] {
                assert!(!text.contains(leak), "{name} leaks {leak}: {text}");
            }
            assert_eq!(fingerprint(&app.db.conn).await, before, "{name} changed the database");
        }
        app.stop().await;
    }
}

backend_tests! {
    async fn sql_looking_strings_and_emoji_are_stored_verbatim(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let name = "Robert'); DROP TABLE users;-- 🧬 ゲノム \\ % _ \"quoted\"";
        let r = app.post("/api/v1/streams", &w.member_a.1, json!({"stream_name": name, "purpose": "1 OR 1=1; -- ☕"})).await;
        assert_eq!(r.status(), 201);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let back: Value = app.get(&format!("/api/v1/streams/{id}"), &w.member_a.1).await.json().await.unwrap();
        assert_eq!(back["stream_name"], name);
        assert_eq!(back["purpose"], "1 OR 1=1; -- ☕");
        let users: Value = app.get("/api/v1/users", &w.platform.1).await.json().await.unwrap();
        assert_eq!(users["meta"]["total"], 5, "the users table is still there");
        for body in [users.to_string(), back.to_string()] {
            assert!(!body.contains("password_hash") && !body.contains("$argon2"));
        }
        app.stop().await;
    }
}

/// Sends `body` verbatim as JSON (or nothing) and returns status and body.
async fn send_raw(
    app: &integration_tests::TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&str>,
    prefer_async: bool,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_owned());
    }
    if prefer_async {
        req = req.header("Prefer", "respond-async");
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

backend_tests! {
    async fn an_optional_body_means_defaults_only_when_absent_and_is_parsed_strictly_otherwise(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let summarize = format!("/api/v1/reports/{}/summarize", w.report);
        let exclude = format!("/api/v1/reports/{}/articles/{}/exclude", w.report, w.articles[0]);
        let before = fingerprint(&app.db.conn).await;
        for prefer_async in [false, true] {
            for (body, status, field) in [
                (r#"{"force":"yes"}"#, 422, Some("force")),
                (r#"{"force":1}"#, 422, Some("force")),
                (r#"{"froce":true}"#, 422, Some("froce")),
                ("[1,2]", 422, Some("[0]")),
                ("{", 400, None),
                (r#"{"force":true} {}"#, 400, None),
            ] {
                let (got, problem) = send_raw(&app, Method::POST, &summarize, token, Some(body), prefer_async).await;
                assert_eq!(got, status, "{body}: {problem}");
                if let Some(field) = field {
                    assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
                }
            }
        }
        let (got, problem) = send_raw(&app, Method::POST, &exclude, token, Some(r#"{"note":"typo"}"#), false).await;
        assert_eq!((got, problem["errors"][0]["field"].clone()), (422, json!("note")), "{problem}");
        assert_eq!(fingerprint(&app.db.conn).await, before, "no refused body changed anything");
        // Absent or empty: the defaults.
        assert_eq!(send_raw(&app, Method::POST, &summarize, token, None, false).await.0, 200);
        assert_eq!(send_raw(&app, Method::POST, &summarize, token, Some(""), false).await.0, 200);
        assert_eq!(send_raw(&app, Method::POST, &summarize, token, Some("null"), false).await.0, 200);
        assert_eq!(send_raw(&app, Method::POST, &summarize, token, Some(r#"{"force":true}"#), false).await.0, 200);
        assert_eq!(send_raw(&app, Method::POST, &exclude, token, None, false).await.0, 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_field_error_names_the_json_path_of_the_field_in_every_route_family(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let (admin, root) = (&w.admin_a.1, &w.platform.1);
        let stream = json!({"stream_name": "S", "purpose": "P", "scope": "organization"});
        let with = |mut base: Value, key: &str, value: Value| {
            base[key] = value;
            base.to_string()
        };
        let report = format!("/api/v1/reports/{}", w.report);
        let cases: Vec<(Method, String, &str, String, &str)> = vec![
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "stream_name", json!(5)), "stream_name"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "scope", json!("galaxy")), "scope"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "presentation_config", json!({"categories": [{"id": "a", "name": "A", "topics": [1]}]})), "presentation_config.categories[0].topics[0]"),
            // The typed configurations refuse what they do not know, at every level.
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "presentation_config", json!({"categorys": []})), "presentation_config.categorys"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "presentation_config", json!({"categories": [{"id": "a", "name": "A", "colour": "red"}]})), "presentation_config.categories[0].colour"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "enrichment_config", json!({"prompts": {"abstract_summary": {}}})), "enrichment_config.prompts.abstract_summary"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "enrichment_config", json!({"prompts": {"article_summary": "Be brief."}})), "enrichment_config.prompts.article_summary"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream.clone(), "llm_config", json!({"executive_summary": {"top_p": 1}})), "llm_config.executive_summary.top_p"),
            (Method::POST, "/api/v1/streams".into(), admin, with(stream, "llm_config", json!({"article_summary": {"max_tokens": -1}})), "llm_config.article_summary.max_tokens"),
            (Method::PATCH, format!("/api/v1/organizations/{}", w.org_a), root, r#"{"monthly_llm_calls":true}"#.into(), "monthly_llm_calls"),
            (Method::POST, "/api/v1/articles/bulk".into(), root, r#"{"articles":[{"title":"a"},{"title":"b","doi":5}]}"#.into(), "articles[1].doi"),
            (Method::PATCH, "/api/v1/articles/bulk".into(), root, r#"{"updates":[{"article_id":"one"}]}"#.into(), "updates[0].article_id"),
            (Method::POST, "/api/v1/users".into(), root, r#"{"email":"x@y.test","password":"long enough pass","full_name":"X","role":"emperor"}"#.into(), "role"),
            (Method::PATCH, report.clone(), admin, r#"{"report_date":5}"#.into(), "report_date"),
            (Method::PUT, format!("{report}/ranking"), admin, r#"{"article_ids":["x"]}"#.into(), "article_ids[0]"),
            (Method::POST, "/api/v1/auth/login".into(), "", r#"{"email":5,"password":"x"}"#.into(), "email"),
        ];
        let before = fingerprint(&app.db.conn).await;
        for (method, path, token, body, field) in cases {
            let (status, problem) = send_raw(&app, method.clone(), &path, token, Some(&body), false).await;
            assert_eq!(status, 422, "{method} {path} {body}: {problem}");
            assert_eq!(problem["errors"][0]["field"], field, "{method} {path} {body}: {problem}");
        }
        assert_eq!(fingerprint(&app.db.conn).await, before);
        app.stop().await;
    }
}
