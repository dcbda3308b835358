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

backend_tests! {
    async fn article_links_are_http_or_https_only(backend: Backend) {
        let app = integration_tests::spawn_app(backend).await;
        let w = world(&app).await;
        let before = fingerprint(&app.db.conn).await;
        for url in ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "https://", "doi.org/10.1/x"] {
            let r = app.post("/api/v1/articles/bulk", &w.platform.1, json!({"articles": [{"title": "Fine", "doi": "10.9/fine"}, {"title": "Link", "url": url}]})).await;
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 422, "{url}: {body}");
            assert_eq!(body["errors"][0]["field"], "articles[1].url", "{body}");
            let r = app.request(Method::PATCH, "/api/v1/articles/bulk", Some(&w.platform.1), Some(json!({"updates": [{"article_id": w.articles[0], "url": url}]}))).await;
            assert_eq!(r.status(), 422, "PATCH {url}");
        }
        assert_eq!(fingerprint(&app.db.conn).await, before, "nothing was written");
        let r = app.post("/api/v1/articles/bulk", &w.platform.1, json!({"articles": [{"title": "Link", "url": "HTTPS://doi.org/10.1/x?a=1#b"}]})).await;
        assert_eq!(r.status(), 200);
        app.stop().await;
    }
}

backend_tests! {
    async fn deeply_nested_configuration_is_422_on_every_backend(backend: Backend) {
        let app = integration_tests::spawn_app(backend).await;
        let w = world(&app).await;
        let before = fingerprint(&app.db.conn).await;
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!({"x": deep});
        }
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), Some(&w.admin_a.1), Some(json!({"presentation_config": {"categories": [], "extra": deep}}))).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("nest"), "{body}");
        assert_eq!(fingerprint(&app.db.conn).await, before);
        app.stop().await;
    }
}

backend_tests! {
    async fn deactivating_an_organization_revokes_its_tokens_for_good(backend: Backend) {
        let app = integration_tests::spawn_app(backend).await;
        let w = world(&app).await;
        let org = format!("/api/v1/organizations/{}", w.org_a);
        let old = w.member_a.1.clone();
        assert_eq!(app.get("/api/v1/auth/me", &old).await.status(), 200);
        let off = app.request(Method::PATCH, &org, Some(&w.platform.1), Some(json!({"is_active": false}))).await;
        assert_eq!(off.status(), 200);
        assert_eq!(app.get("/api/v1/auth/me", &old).await.status(), 401);
        let on = app.request(Method::PATCH, &org, Some(&w.platform.1), Some(json!({"is_active": true}))).await;
        assert_eq!(on.status(), 200);
        assert_eq!(app.get("/api/v1/auth/me", &old).await.status(), 401, "reactivation brings no old token back");
        assert_eq!(app.get("/api/v1/auth/me", &w.admin_b.1).await.status(), 200, "other organizations keep theirs");
        let fresh = app.login("member@a.test").await;
        assert_eq!(app.get("/api/v1/auth/me", &fresh).await.status(), 200);
        app.stop().await;
    }
}

/// Opens a raw connection and sends `head` (the request line and headers)
/// and then `body`; returns the first line of what the server answers
/// within `wait`, or `None`.
async fn raw_exchange(port: u16, head: &str, body: &[u8], wait: std::time::Duration) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(body).await.ok()?;
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(wait, stream.read(&mut answer)).await.ok()?.ok()?;
    String::from_utf8_lossy(&answer[..n]).lines().next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_slow_bodies_are_cut_off_without_being_buffered() {
    let app = spawn_app_with(test_support::Backend::Sqlite, |s| {
        s.server.body_read_timeout_secs = 1.0;
        s.server.max_concurrent_large_bodies = 1;
    })
    .await;
    let w = world(&app).await;
    let wait = std::time::Duration::from_secs(10);
    let rss = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
    };
    let idle = rss();
    // 32 anonymous clients announce 16 MiB each and send a little: each
    // is refused before its body is read.
    let head = |auth: &str, length: usize| format!(
        "POST /api/v1/articles/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {length}\r\n\r\n"
    );
    let anonymous_head = head("", 16 << 20);
    let anonymous = futures::future::join_all((0..32).map(|_| raw_exchange(app.port, &anonymous_head, b"{\"articles\": [", wait))).await;
    for answer in &anonymous {
        assert_eq!(answer.as_deref(), Some("HTTP/1.1 401 Unauthorized"), "{anonymous:?}");
    }
    // A forged token is anonymous too.
    let forged = raw_exchange(app.port, &head("Authorization: Bearer a.b.c\r\n", 16 << 20), b"{", wait).await;
    assert_eq!(forged.as_deref(), Some("HTTP/1.1 401 Unauthorized"));
    // 32 signed-in clients that stop sending are cut off by the read timeout.
    let bearer = format!("Authorization: Bearer {}\r\n", w.platform.1);
    let slow_head = head(&bearer, 1000);
    let slow = futures::future::join_all((0..32).map(|_| raw_exchange(app.port, &slow_head, b"{\"articles\": [", wait))).await;
    for answer in &slow {
        assert_eq!(answer.as_deref(), Some("HTTP/1.1 408 Request Timeout"), "{slow:?}");
    }
    assert!(rss() < idle + 50 * 1024, "RSS grew from {idle} kB to {} kB", rss());
    // One large body at a time: a second one while the first is read is 503.
    let large = 2 << 20;
    let (port, first_head) = (app.port, head(&bearer, large));
    let first = tokio::spawn(async move { raw_exchange(port, &first_head, b"{\"articles\": [", wait).await });
    // The first has its permit long before the second asks (it is cut
    // off only after a second).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = raw_exchange(app.port, &head(&bearer, large), b"{", wait).await;
    assert_eq!(second.as_deref(), Some("HTTP/1.1 503 Service Unavailable"));
    assert_eq!(first.await.unwrap().as_deref(), Some("HTTP/1.1 408 Request Timeout"));
    // Sign-in still works, and small anonymous bodies reach their route.
    assert!(app.login("member@a.test").await.len() > 20);
    app.stop().await;
}
