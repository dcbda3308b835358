//! Organizations' webhooks against a receiver that verifies every request
//! with the `standardwebhooks` package (PyPI): events of the streams the
//! organization reads and no other, retries with the same id and body,
//! refusals of private targets.

use std::time::Duration;

use integration_tests::{TestApp, World, spawn_app, spawn_app_with, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::eutils::{EUtils, sample_records};
use test_support::webhooks::WebhookReceiver;

async fn hook(app: &TestApp, token: &str, org: i32, url: &str, events: &[&str]) -> Value {
    let r = app
        .post(
            &format!("/api/v1/organizations/{org}/webhooks"),
            token,
            json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn approve(app: &TestApp, w: &World) {
    for step in ["submit", "approve"] {
        let r = app
            .request(
                Method::POST,
                &format!("/api/v1/reports/{}/{step}", w.report),
                Some(&w.admin_a.1),
                None,
            )
            .await;
        assert_eq!(r.status(), 200, "{step}");
    }
}

/// The requests received once there are `n` (or `within` passed).
async fn wait_for(receiver: &WebhookReceiver, n: usize, within: Duration) -> Vec<Value> {
    let start = std::time::Instant::now();
    loop {
        let got = receiver.received().await;
        if got.len() >= n || start.elapsed() > within {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The report's webhook deliveries once none is pending.
async fn webhook_deliveries(app: &TestApp, w: &World) -> Vec<Value> {
    let start = std::time::Instant::now();
    loop {
        let r: Value = app
            .get(
                &format!("/api/v1/reports/{}/deliveries", w.report),
                &w.admin_a.1,
            )
            .await
            .json()
            .await
            .unwrap();
        let hooks: Vec<Value> = r["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["channel"] == "webhook")
            .cloned()
            .collect();
        if hooks.iter().all(|d| d["status"] != "pending")
            || start.elapsed() > Duration::from_secs(60)
        {
            return hooks;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn body(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

backend_tests! {
    async fn an_organizations_endpoint_hears_of_its_streams_signed_and_of_nothing_else(backend: Backend) {
        let receiver = WebhookReceiver::start().await;
        let eutils = EUtils::start(sample_records(3)).await.unwrap();
        let base = eutils.base_url();
        let app = spawn_app_with(backend, move |s| {
            s.delivery.webhooks_allow_private = true;
            s.sources.allow_private = true;
            s.sources.pubmed.base_url = base;
            s.jobs.poll_ms = 50;
        })
        .await;
        let w = world(&app).await;
        let events = ["report.approved", "report.reopened", "retrieval.completed"];
        let created = hook(&app, &w.admin_a.1, w.org_a, &receiver.url("/a"), &events).await;
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{created}");
        receiver.set_secret(secret).await;
        // Org B reads nothing of org A: its endpoint hears nothing.
        hook(&app, &w.admin_b.1, w.org_b, &receiver.url("/b"), &events).await;
        // Only the organization's admins manage its endpoints.
        let path = format!("/api/v1/organizations/{}/webhooks", w.org_a);
        assert_eq!(app.post(&path, &w.member_a.1, json!({"url": receiver.url("/m"), "events": events})).await.status(), 403);
        assert_eq!(app.post(&path, &w.admin_b.1, json!({"url": receiver.url("/m"), "events": events})).await.status(), 404);
        let listed: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        assert!(!listed.to_string().contains(secret), "the secret is shown once");

        approve(&app, &w).await;
        let r = app.request(Method::POST, &format!("/api/v1/reports/{}/reopen", w.report), Some(&w.admin_a.1), Some(json!({"reason": "A correction"}))).await;
        assert_eq!(r.status(), 200);
        let got = wait_for(&receiver, 2, Duration::from_secs(30)).await;
        assert_eq!(got.len(), 2, "{got:?}");
        for request in &got {
            assert_eq!(request["verified"], true, "{request}");
            assert_eq!(request["path"], "/a", "{request}");
            assert!(request["headers"]["webhook-id"].as_str().unwrap().starts_with("msg_"));
        }
        // Deliveries go out concurrently, so in no set order (as Standard
        // Webhooks allows): each event is found by its type.
        let of_type = |t: &str| got.iter().map(body).find(|b| b["type"] == t).unwrap_or_else(|| panic!("no {t}: {got:?}"));
        let approved = of_type("report.approved");
        assert_eq!(approved["data"]["report_id"], w.report);
        assert_eq!(approved["data"]["stream_id"], w.org_stream);
        assert!(approved["data"].get("articles").is_none(), "events carry no report content");
        let reopened = of_type("report.reopened");
        assert_eq!(reopened["data"]["reason"], "A correction");
        let hooks = webhook_deliveries(&app, &w).await;
        assert_eq!(hooks.len(), 2);
        assert!(hooks.iter().all(|d| d["status"] == "sent"), "{hooks:?}");

        // A retrieval run of the organization's stream.
        let r = app
            .request(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), Some(&w.admin_a.1),
                Some(json!({"retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}], "lookback_days": 30}})))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let r = app.post(&format!("/api/v1/streams/{}/retrievals", w.org_stream), &w.admin_a.1, json!({})).await;
        assert_eq!(r.status(), 202);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let got = wait_for(&receiver, 3, Duration::from_secs(60)).await;
        assert_eq!(got.len(), 3, "{got:?}");
        let completed = body(&got[2]);
        assert_eq!(completed["type"], "retrieval.completed");
        assert_eq!(completed["data"]["stream_id"], w.org_stream);
        let run: Value = app.get(&location, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(run["status"], "succeeded");
        assert_eq!(completed["data"]["run_id"], run["id"]);
        for count in ["retrieved", "duplicates", "new_candidates", "rejected"] {
            assert_eq!(completed["data"][count], run[count], "{count}: {completed} {run}");
        }
        assert!(run["retrieved"].as_i64().unwrap() > 0, "{run}");
        assert_eq!(got[2]["verified"], true);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_failing_endpoint_gets_the_same_message_again_and_gone_fails_it(backend: Backend) {
        let receiver = WebhookReceiver::start().await;
        let app = spawn_app_with(backend, |s| {
            s.delivery.webhooks_allow_private = true;
            s.delivery.retry_base_secs = 0.05;
            s.delivery.webhook_timeout_secs = 1.0;
        })
        .await;
        let w = world(&app).await;
        let created = hook(&app, &w.admin_a.1, w.org_a, &receiver.url("/fail-twice"), &["report.approved"]).await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        let slow = hook(&app, &w.admin_a.1, w.org_a, &receiver.url("/slow"), &["report.approved"]).await;
        let gone = hook(&app, &w.admin_a.1, w.org_a, &receiver.url("/gone"), &["report.approved"]).await;
        // Each endpoint has its own secret; the receiver checks the first's.
        assert_ne!(slow["secret"], created["secret"]);
        receiver.set_secret(&secret).await;
        approve(&app, &w).await;
        let hooks = webhook_deliveries(&app, &w).await;
        let of = |h: &Value| hooks.iter().find(|d| d["recipient"] == format!("webhook:{}", h["id"])).unwrap().clone();
        let failing = of(&created);
        assert_eq!(failing["status"], "sent", "{failing}");
        assert_eq!(failing["attempts"], 3, "two 500s, then 204: {failing}");
        let slowly = of(&slow);
        assert_eq!(slowly["status"], "sent", "{slowly}");
        assert_eq!(slowly["attempts"], 2, "a timeout, then an answer: {slowly}");
        let refused = of(&gone);
        assert_eq!(refused["status"], "failed", "{refused}");
        assert_eq!(refused["attempts"], 1, "410 is not retried: {refused}");
        assert!(refused["last_error"].as_str().unwrap().contains("410"), "{refused}");

        let got = receiver.received().await;
        let to_failing: Vec<&Value> = got.iter().filter(|r| r["path"] == "/fail-twice").collect();
        assert_eq!(to_failing.len(), 3);
        let ids: Vec<&Value> = to_failing.iter().map(|r| &r["headers"]["webhook-id"]).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "one webhook-id for every attempt: {ids:?}");
        assert!(to_failing.iter().all(|r| r["body"] == to_failing[0]["body"]), "the same body");
        assert!(to_failing.iter().all(|r| r["verified"] == true), "{to_failing:?}");
        // Signed with another endpoint's secret, the receiver refuses it.
        let to_slow = got.iter().find(|r| r["path"] == "/slow").unwrap();
        assert_eq!(to_slow["verified"], false, "{to_slow}");
        app.stop().await;
    }
}

backend_tests! {
    async fn private_and_link_local_targets_are_refused_unless_allowed(backend: Backend) {
        let receiver = WebhookReceiver::start().await;
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let path = format!("/api/v1/organizations/{}/webhooks", w.org_a);
        for url in ["http://127.0.0.1:9/x", "http://10.0.0.8/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x"] {
            let r = app.post(&path, &w.admin_a.1, json!({"url": url, "events": ["report.approved"]})).await;
            assert_eq!(r.status(), 422, "{url}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
        }
        // A name is checked where it resolves: `localhost` is this machine.
        let target = receiver.url("/a").replace("127.0.0.1", "localhost");
        hook(&app, &w.admin_a.1, w.org_a, &target, &["report.approved"]).await;
        approve(&app, &w).await;
        let hooks = webhook_deliveries(&app, &w).await;
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0]["status"], "failed", "{hooks:?}");
        assert!(hooks[0]["last_error"].as_str().unwrap().contains("not a public address"), "{hooks:?}");
        assert!(receiver.received().await.is_empty(), "nothing reached the receiver");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_url_no_resolver_could_look_up_is_refused_with_its_field(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let path = format!("/api/v1/organizations/{}/webhooks", w.org_a);
        // A DNS name is at most 253 characters and its labels 63 each
        // (RFC 1035): these fit in the column but name no host.
        let long_name = format!("https://{}.example.org/x", vec!["a".repeat(63); 5].join("."));
        let long_label = format!("https://{}.example.org/x", "b".repeat(64));
        for url in [long_name, long_label] {
            let r = app.post(&path, &w.admin_a.1, json!({"url": url, "events": ["report.approved"]})).await;
            assert_eq!(r.status(), 422, "{url}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
        }
        let listed: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(listed["data"].as_array().map(Vec::len), Some(0), "{listed}");
        app.stop().await;
    }
}
