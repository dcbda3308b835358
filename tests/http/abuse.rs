//! Held under abuse: what one signed-in member may send without taking the
//! service down, spending past a budget, or reaching past its rights.

use integration_tests::{fingerprint, spawn_app_with, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

backend_tests! {
    async fn dates_no_backend_stores_are_422_and_never_cost_a_pooled_connection(backend: Backend) {
        // A small pool and a short wait make a lost connection visible: one
        // leaked per bad request would leave none for the requests after.
        let app = spawn_app_with(backend, |s| {
            s.database.max_connections = 3;
            s.database.min_connections = 1;
            s.database.acquire_timeout_secs = 3.0;
        })
        .await;
        let w = world(&app).await;
        let before = fingerprint(&app.db.conn).await;
        let create = format!("/api/v1/streams/{}/reports", w.org_stream);
        let patch = format!("/api/v1/reports/{}", w.report);
        for (i, date) in ["-0001-01-01", "0999-12-31", "+10000-01-01", "0000-01-01"].iter().cycle().take(4).enumerate() {
            let r = app.post(&create, &w.admin_a.1, json!({"report_name": format!("Bad {i}"), "report_date": date, "articles": []})).await;
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 422, "{date}: {body}");
            assert_eq!(body["errors"][0]["field"], "report_date", "{body}");
            let r = app.request(Method::PATCH, &patch, Some(&w.admin_a.1), Some(json!({"report_date": date}))).await;
            assert_eq!(r.status(), 422, "PATCH {date}");
        }
        assert_eq!(fingerprint(&app.db.conn).await, before, "nothing was written");
        assert_eq!(app.request(Method::GET, "/ready", None, None).await.status(), 200);
        let edges = app.post(&create, &w.admin_a.1, json!({"report_name": "Edges", "report_date": "1000-01-01", "articles": []})).await;
        assert_eq!(edges.status(), 201);
        let r = app.request(Method::PATCH, &patch, Some(&w.admin_a.1), Some(json!({"report_date": "9999-12-31"}))).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["report_date"], "9999-12-31");
        app.stop().await;
    }
}
