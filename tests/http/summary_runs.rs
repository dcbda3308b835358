//! Summary runs over HTTP: `Prefer: respond-async`, progress, history,
//! cancel, live events; report versions with `ETag` and `If-Match`.

use std::time::{Duration, Instant};

use integration_tests::{TestApp, spawn_app_with, use_llm_at, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::mock_llm::{MockConfig, MockLlm};

/// The app pointed at a mock LLM answering after `latency`, one call per
/// stage at a time (so that runs take a predictable number of rounds), each
/// stored as it finishes (so that every step shows as progress).
async fn app_with_mock(backend: test_support::Backend, latency: Duration) -> (TestApp, MockLlm) {
    let llm = MockLlm::start(MockConfig {
        latency,
        workers: 2,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let base = llm.base_url();
    let app = spawn_app_with(backend, |s| {
        use_llm_at(s, base);
        s.llm.default_max_concurrent = 1;
        s.jobs.flush_ms = 0;
    })
    .await;
    (app, llm)
}

async fn start_async(app: &TestApp, token: &str, report: i32) -> reqwest::Response {
    app.summarize_async(report.into(), token, json!({"force": true}))
        .await
}

async fn wait_for(
    app: &TestApp,
    token: &str,
    location: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let run: Value = app.get(location, token).await.json().await.unwrap();
        if done(&run) {
            return run;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{run}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn respond_async_answers_202_with_the_run_and_its_location_shows_progress_to_the_end(backend: Backend) {
        let (app, _llm) = app_with_mock(backend, Duration::from_millis(100)).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let accepted = start_async(&app, token, w.report).await;
        assert_eq!(accepted.status(), 202);
        assert_eq!(accepted.headers()["preference-applied"], "respond-async");
        let location = accepted.headers()["location"].to_str().unwrap().to_owned();
        let run: Value = accepted.json().await.unwrap();
        assert_eq!(location, format!("/api/v1/summary-runs/{}", run["id"]));
        assert!(["queued", "running"].contains(&run["status"].as_str().unwrap()), "{run}");
        // A second request joins the run in progress.
        let joined: Value = start_async(&app, token, w.report).await.json().await.unwrap();
        assert_eq!(joined["id"], run["id"]);
        let done = wait_for(&app, token, &location, |r| r["status"] == "succeeded").await;
        assert_eq!(done["articles_done"], 3);
        assert_eq!(done["articles_total"], 3);
        assert_eq!(done["usage"]["llm_calls"], 5);
        assert_eq!(done["stage"], "executive_summary");
        assert!(done["finished_at"].is_string());
        let report: Value = app.get(&format!("/api/v1/reports/{}", w.report), token).await.json().await.unwrap();
        assert!(report["enrichments"]["executive_summary"].as_str().is_some_and(|s| !s.is_empty()));
        app.stop().await;
    }
}

backend_tests! {
    async fn cancel_stops_new_llm_calls_keeps_finished_article_summaries_and_leaves_the_report_unsummarized(backend: Backend) {
        let (app, llm) = app_with_mock(backend, Duration::from_millis(400)).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let accepted = start_async(&app, token, w.report).await;
        let location = accepted.headers()["location"].to_str().unwrap().to_owned();
        wait_for(&app, token, &location, |r| r["articles_done"].as_i64() >= Some(1)).await;
        // A member does not see a pending report, nor its runs.
        assert_eq!(app.request(Method::DELETE, &location, Some(&w.member_a.1), None).await.status(), 404);
        let cancelled = app.request(Method::DELETE, &location, Some(token), None).await;
        assert_eq!(cancelled.status(), 200);
        assert_eq!(cancelled.json::<Value>().await.unwrap()["status"], "cancelled");
        // The call in flight ends; nothing new starts.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let calls = llm.count();
        assert!(calls < 5, "{calls} calls: the run went on");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(llm.count(), calls, "no call after the cancel settled");
        let run: Value = app.get(&location, token).await.json().await.unwrap();
        assert_eq!(run["status"], "cancelled");
        assert!(run["articles_done"].as_i64().unwrap() >= 1);
        let report: Value = app.get(&format!("/api/v1/reports/{}", w.report), token).await.json().await.unwrap();
        let kept = report["articles"].as_array().unwrap().iter().filter(|a| a["ai_summary"].is_string()).count() as i64;
        assert_eq!(kept, run["articles_done"].as_i64().unwrap(), "finished article summaries are kept");
        assert_eq!(report["enrichments"]["executive_summary"], Value::Null);
        let again = app.request(Method::DELETE, &location, Some(token), None).await;
        assert_eq!(again.status(), 409);
        // The report is free for a new run.
        assert_eq!(start_async(&app, token, w.report).await.status(), 202);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_report_s_run_history_is_paginated_newest_first(backend: Backend) {
        let (app, _llm) = app_with_mock(backend, Duration::from_millis(1)).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let path = format!("/api/v1/reports/{}/summarize", w.report);
        for _ in 0..3 {
            assert_eq!(app.post(&path, token, json!({"force": true})).await.status(), 200);
        }
        let history = format!("/api/v1/reports/{}/summary-runs", w.report);
        let first: Value = app.get(&format!("{history}?limit=2"), token).await.json().await.unwrap();
        assert_eq!(first["meta"]["total"], 3);
        let ids: Vec<i64> = first["data"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 2);
        assert!(ids[0] > ids[1], "newest first: {ids:?}");
        let rest: Value = app.get(&format!("{history}?limit=2&offset=2"), token).await.json().await.unwrap();
        let last = rest["data"].as_array().unwrap();
        assert_eq!(last.len(), 1);
        assert!(last[0]["id"].as_i64().unwrap() < ids[1]);
        assert!(first["data"].as_array().unwrap().iter().all(|r| r["status"] == "succeeded"));
        assert_eq!(app.get(&format!("{history}?limit=0"), token).await.status(), 422);
        assert_eq!(app.get(&history, &w.admin_b.1).await.status(), 404);
        app.stop().await;
    }
}

backend_tests! {
    async fn the_event_stream_sends_progress_then_the_end_and_closes(backend: Backend) {
        let (app, _llm) = app_with_mock(backend, Duration::from_millis(150)).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let accepted = start_async(&app, token, w.report).await;
        let location = accepted.headers()["location"].to_str().unwrap().to_owned();
        let events = app.client.get(format!("{}{location}/events", app.address)).bearer_auth(token).send().await.unwrap();
        assert_eq!(events.status(), 200);
        assert_eq!(events.headers()["content-type"], "text/event-stream");
        // The stream ends by itself when the run does.
        let body = tokio::time::timeout(Duration::from_secs(60), events.text()).await.expect("the stream closed").unwrap();
        let parsed: Vec<(String, Value)> = body
            .split("\n\n")
            .filter(|e| e.starts_with("event:"))
            .map(|e| {
                let name = e.lines().next().unwrap().trim_start_matches("event: ").to_owned();
                let data = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
                (name, serde_json::from_str(data).unwrap())
            })
            .collect();
        let (last, final_run) = parsed.last().unwrap();
        assert_eq!(last, "succeeded");
        assert_eq!(final_run["articles_done"], 3);
        let progress: Vec<i64> = parsed.iter().filter(|(n, _)| n == "progress").map(|(_, r)| r["articles_done"].as_i64().unwrap()).collect();
        assert!(progress.len() >= 2, "{body}");
        assert!(progress.windows(2).all(|p| p[0] <= p[1]), "progress only grows: {progress:?}");
        assert!(progress.iter().any(|n| (1..3).contains(n)), "a step between start and end was sent: {progress:?}");
        // A finished run's stream is its last state, at once.
        let again = app.client.get(format!("{}{location}/events", app.address)).bearer_auth(token).send().await.unwrap().text().await.unwrap();
        assert!(again.starts_with("event: succeeded\n"), "{again}");
        app.stop().await;
    }
}

backend_tests! {
    async fn curation_writes_with_a_stale_if_match_get_412_and_change_nothing(backend: Backend) {
        let (app, _llm) = app_with_mock(backend, Duration::from_millis(1)).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let report_path = format!("/api/v1/reports/{}", w.report);
        let read = app.get(&report_path, token).await;
        let etag = read.headers()["etag"].to_str().unwrap().to_owned();
        let write = |method: Method, path: String, if_match: Option<String>, body: Option<Value>| {
            let app = &app;
            async move {
                let mut req = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(token);
                if let Some(tag) = if_match {
                    req = req.header("If-Match", tag);
                }
                if let Some(b) = body {
                    req = req.json(&b);
                }
                req.send().await.unwrap()
            }
        };
        let order: Vec<i32> = w.articles.iter().rev().copied().collect();
        let ranking = format!("{report_path}/ranking");
        let ok = write(Method::PUT, ranking.clone(), Some(etag.clone()), Some(json!({"article_ids": order}))).await;
        assert_eq!(ok.status(), 204);
        let newer = app.get(&report_path, token).await.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(newer, etag, "a write moves the version");
        let before = integration_tests::fingerprint(&app.db.conn).await;
        let a = w.articles[0];
        for (method, path, body) in [
            (Method::PUT, ranking.clone(), Some(json!({"article_ids": w.articles}))),
            (Method::PATCH, format!("{report_path}/articles/{a}"), Some(json!({"notes": "n"}))),
            (Method::POST, format!("{report_path}/articles/{a}/exclude"), None),
            (Method::POST, format!("{report_path}/approve"), None),
            (Method::POST, format!("{report_path}/reject"), Some(json!({"reason": "r"}))),
            (Method::PATCH, report_path.clone(), Some(json!({"report_name": "Renamed"}))),
        ] {
            let stale = write(method.clone(), path.clone(), Some(etag.clone()), body.clone()).await;
            assert_eq!(stale.status(), 412, "{method} {path}");
            assert_eq!(stale.headers()["content-type"], "application/problem+json");
            let weak = write(method.clone(), path.clone(), Some(format!("W/{newer}")), body).await;
            assert_eq!(weak.status(), 412, "a weak tag never matches: {method} {path}");
        }
        assert_eq!(integration_tests::fingerprint(&app.db.conn).await, before, "a refused write changes nothing");
        let submitted = write(Method::POST, format!("{report_path}/submit"), Some(newer.clone()), None).await;
        assert_eq!(submitted.status(), 200);
        let after_submission = submitted.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(after_submission, newer);
        // Without If-Match, writes work as they always did.
        assert_eq!(write(Method::PUT, ranking, None, Some(json!({"article_ids": w.articles}))).await.status(), 204);
        app.stop().await;
    }
}

backend_tests! {
    async fn if_match_holds_when_any_listed_strong_tag_is_current(backend: Backend) {
        let app = integration_tests::spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let path = format!("/api/v1/reports/{}", w.report);
        let rename = |if_match: String, name: &'static str| {
            let (app, path) = (&app, &path);
            async move {
                let r = app.client.patch(format!("{}{path}", app.address)).bearer_auth(token).header("If-Match", if_match).json(&json!({"report_name": name})).send().await.unwrap();
                (r.status().as_u16(), r.headers().get("etag").map(|e| e.to_str().unwrap().to_owned()))
            }
        };
        let mut current = app.get(&path, token).await.headers()["etag"].to_str().unwrap().to_owned();
        for (list, name) in [("\"424242\", {}", "First"), ("{}, \"424242\"", "Second"), ("\"1\",{} ,\"2\"", "Third")] {
            let (status, etag) = rename(list.replace("{}", &current), name).await;
            assert_eq!(status, 200, "{list}");
            current = etag.unwrap();
        }
        let weak = format!("W/{current}");
        for stale in ["\"424242\", \"424243\"".to_owned(), weak.clone(), format!("{weak}, \"424242\"")] {
            assert_eq!(rename(stale.clone(), "Never").await.0, 412, "{stale}");
        }
        assert_eq!(rename("\"424242\", *".to_owned(), "Any").await.0, 200);
        let report: Value = app.get(&path, token).await.json().await.unwrap();
        assert_eq!(report["report_name"], "Any");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_cancel_answers_the_run_with_its_calls_in_flight_stored(backend: Backend) {
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(400), workers: 8, ..MockConfig::default() }).await.unwrap();
        let base = llm.base_url();
        let app = spawn_app_with(backend, |s| {
            use_llm_at(s, base);
            // The three article calls at once.
            s.llm.default_max_concurrent = 3;
            s.jobs.flush_ms = 0;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let accepted = start_async(&app, token, w.report).await;
        let location = accepted.headers()["location"].to_str().unwrap().to_owned();
        let started = Instant::now();
        while llm.count() < 3 {
            assert!(started.elapsed() < Duration::from_secs(30), "the article calls never started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let r = app.request(Method::DELETE, &location, Some(token), None).await;
        assert_eq!(r.status(), 200);
        let answered: Value = r.json().await.unwrap();
        assert_eq!(answered["status"], "cancelled");
        assert_eq!(answered["articles_done"], 3, "the calls in flight were stored before the answer: {answered}");
        assert_eq!(answered["usage"]["llm_calls"], 3, "{answered}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let later: Value = app.get(&location, token).await.json().await.unwrap();
        assert_eq!((&later["articles_done"], &later["usage"]), (&answered["articles_done"], &answered["usage"]), "nothing changes after the answer");
        assert_eq!(llm.count(), 3, "no call after the cancel");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_queued_run_starts_when_a_worker_frees_not_at_the_next_poll(backend: Backend) {
        let llm = MockLlm::start(MockConfig { latency: Duration::from_millis(200), workers: 4, ..MockConfig::default() }).await.unwrap();
        let base = llm.base_url();
        // One worker, and a poll far longer than the test may take: only the
        // hand-off of the freed worker can start the second run in time.
        let app = spawn_app_with(backend, |s| {
            use_llm_at(s, base);
            s.jobs.workers = service::WorkerCount::Fixed(1);
            s.jobs.poll_ms = 60_000;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let second_report = app.report_of(w.org_stream, token, &w.articles).await;
        let mut runs = Vec::new();
        for report in [i64::from(w.report), second_report] {
            let r = app.summarize_async(report, token, json!({"force": true})).await;
            assert_eq!(r.status(), 202);
            runs.push(r.headers()["location"].to_str().unwrap().to_owned());
        }
        let started = Instant::now();
        let mut ended = Vec::new();
        for run in &runs {
            let done = loop {
                let body: Value = app.get(run, token).await.json().await.unwrap();
                if body["status"] == "succeeded" {
                    break body;
                }
                assert!(started.elapsed() < Duration::from_secs(45), "waited for a poll: {body}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            ended.push(done);
        }
        let at = |run: &Value, key: &str| chrono::DateTime::parse_from_rfc3339(run[key].as_str().unwrap()).unwrap();
        // The one worker ran them one after the other.
        assert!(at(&ended[1], "started_at") >= at(&ended[0], "finished_at"), "{ended:?}");
        app.stop().await;
        llm.stop().await;
    }
}
