//! The access matrix end to end: role × own/other organization × resource
//! and action → the exact status (404 not visible, 403 visible but not allowed).

use integration_tests::{spawn_app, world};
use reqwest::Method;
use serde_json::json;
use test_support::backend_tests;

backend_tests! {
    async fn the_access_matrix_holds_over_http(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let roles = [("platform", &w.platform.1), ("admin_a", &w.admin_a.1), ("member_a", &w.member_a.1), ("admin_b", &w.admin_b.1), ("member_b", &w.member_b.1)];
        let (r, a) = (w.report, w.articles[0]);
        // (method, path, body, expected statuses in the order of `roles`)
        let cases: Vec<(Method, String, Option<serde_json::Value>, [u16; 5])> = vec![
            (Method::GET, format!("/api/v1/streams/{}", w.personal), None, [200, 404, 200, 404, 404]),
            (Method::GET, format!("/api/v1/streams/{}", w.org_stream), None, [200, 200, 200, 404, 404]),
            (Method::GET, format!("/api/v1/streams/{}", w.global), None, [200, 404, 404, 200, 200]),
            (Method::PATCH, format!("/api/v1/streams/{}", w.personal), Some(json!({"purpose": "p"})), [200, 404, 200, 404, 404]),
            (Method::PATCH, format!("/api/v1/streams/{}", w.org_stream), Some(json!({"purpose": "p"})), [200, 200, 403, 404, 404]),
            (Method::PATCH, format!("/api/v1/streams/{}", w.global), Some(json!({"purpose": "p"})), [200, 404, 404, 403, 403]),
            (Method::GET, format!("/api/v1/streams/{}/reports", w.org_stream), None, [200, 200, 200, 404, 404]),
            (Method::GET, format!("/api/v1/reports/{r}"), None, [200, 200, 404, 404, 404]),
            (Method::GET, format!("/api/v1/reports/{r}/events"), None, [200, 200, 404, 404, 404]),
            (Method::PATCH, format!("/api/v1/reports/{r}/articles/{a}"), Some(json!({"notes": "n"})), [200, 200, 404, 404, 404]),
            (Method::POST, format!("/api/v1/reports/{r}/summaries/preview"), Some(json!({"prompt_type": "article_summary"})), [200, 200, 404, 404, 404]),
            (Method::POST, format!("/api/v1/reports/{r}/summarize"), Some(json!({})), [200, 200, 404, 404, 404]),
            (Method::GET, format!("/api/v1/organizations/{}", w.org_a), None, [200, 200, 200, 404, 404]),
            (Method::GET, format!("/api/v1/organizations/{}/usage", w.org_a), None, [200, 200, 403, 404, 404]),
            (Method::GET, format!("/api/v1/users/{}", w.member_a.0), None, [200, 200, 200, 404, 404]),
            (Method::PATCH, format!("/api/v1/users/{}", w.member_a.0), Some(json!({"is_active": true})), [200, 200, 403, 404, 404]),
            (Method::GET, format!("/api/v1/articles/{a}"), None, [200, 200, 200, 200, 200]),
        ];
        for (method, path, body, expected) in &cases {
            for (i, (name, token)) in roles.iter().enumerate() {
                let got = app.request(method.clone(), path, Some(token), body.clone()).await.status().as_u16();
                assert_eq!(got, expected[i], "{name} {method} {path}");
            }
        }
        // Once submitted and approved, members of A see the report but still
        // may not change it, and its curators may only reopen it.
        assert_eq!(app.request(Method::POST, &format!("/api/v1/reports/{r}/submit"), Some(&w.admin_a.1), None).await.status(), 200);
        assert_eq!(app.request(Method::POST, &format!("/api/v1/reports/{r}/approve"), Some(&w.admin_a.1), None).await.status(), 200);
        for (method, path, body, expected) in [
            (Method::GET, format!("/api/v1/reports/{r}"), None, [200, 200, 200, 404, 404]),
            (Method::POST, format!("/api/v1/reports/{r}/reject"), Some(json!({"reason": "r"})), [409, 409, 403, 404, 404]),
            (Method::POST, format!("/api/v1/reports/{r}/summarize"), Some(json!({})), [409, 409, 403, 404, 404]),
            (Method::POST, format!("/api/v1/reports/{r}/reopen"), Some(json!({"reason": "r"})), [200, 200, 403, 404, 404]),
        ] {
            for (i, (name, token)) in roles.iter().enumerate() {
                let got = app.request(method.clone(), &path, Some(token), body.clone()).await.status().as_u16();
                assert_eq!(got, expected[i], "{name} {method} {path}");
                if got == 200 && path.ends_with("/reopen") {
                    // Approve it again for the next role.
                    for step in ["submit", "approve"] {
                        let again = app.request(Method::POST, &format!("/api/v1/reports/{r}/{step}"), Some(&w.admin_a.1), None).await;
                        assert_eq!(again.status(), 200);
                    }
                }
            }
        }
        // Its summary runs follow the report: seen by whoever sees it, and
        // cancelled only by whoever may change it (409: the run has ended).
        let history = format!("/api/v1/reports/{r}/summary-runs");
        let latest: serde_json::Value = app.get(&history, &w.admin_a.1).await.json().await.unwrap();
        let run = latest["data"][0]["id"].as_i64().expect("a run of the report");
        for (method, path, expected) in [
            (Method::GET, history.clone(), [200, 200, 200, 404, 404]),
            (Method::GET, format!("/api/v1/summary-runs/{run}"), [200, 200, 200, 404, 404]),
            (Method::GET, format!("/api/v1/summary-runs/{run}/events"), [200, 200, 200, 404, 404]),
            (Method::DELETE, format!("/api/v1/summary-runs/{run}"), [409, 409, 403, 404, 404]),
        ] {
            for (i, (name, token)) in roles.iter().enumerate() {
                let got = app.request(method.clone(), &path, Some(token), None).await.status().as_u16();
                assert_eq!(got, expected[i], "{name} {method} {path}");
            }
        }
        // A report id of another organization looks exactly like a missing one.
        let other = app.get(&format!("/api/v1/reports/{r}"), &w.member_b.1).await;
        let missing = app.get("/api/v1/reports/987654", &w.member_b.1).await;
        assert_eq!(other.status(), missing.status());
        let (mut o, mut m): (serde_json::Value, serde_json::Value) = (other.json().await.unwrap(), missing.json().await.unwrap());
        o.as_object_mut().unwrap().remove("request_id");
        m.as_object_mut().unwrap().remove("request_id");
        assert_eq!(o, m);
        app.stop().await;
    }
}
