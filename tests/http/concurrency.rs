//! Summaries run concurrently, not serialized, and the runtime stays
//! responsive meanwhile. Overlap is proven by what the mock LLM saw at once,
//! not by how fast this machine is.

use std::time::{Duration, Instant};

use integration_tests::{spawn_app_with, use_llm_at, world};
use serde_json::json;
use test_support::backend_tests;
use test_support::mock_llm::{MockConfig, MockLlm};

backend_tests! {
    async fn a_hundred_concurrent_summaries_are_not_serialized_and_health_stays_fast(backend: Backend) {
        let latency = Duration::from_millis(1000);
        let llm = MockLlm::start(MockConfig { latency, workers: 2, ..MockConfig::default() }).await.unwrap();
        let base = llm.base_url();
        let app = spawn_app_with(backend, |s| {
            use_llm_at(s, base);
            s.llm.global_concurrency = 1024;
            s.llm.default_max_concurrent = 16;
            // One user asks for all hundred at once.
            s.jobs.max_active_runs_per_user = 100;
            s.database.max_connections = 15;
        })
        .await;
        let w = world(&app).await;
        let mut reports = vec![w.report];
        let body = json!({"report_name": "r", "report_date": "2026-01-12", "articles": w.articles.iter().map(|a| json!({"article_id": a, "presentation_categories": ["immuno"]})).collect::<Vec<_>>()});
        for _ in 0..99 {
            let r = app.post(&format!("/api/v1/streams/{}/reports", w.org_stream), &w.admin_a.1, body.clone()).await;
            reports.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap() as i32);
        }
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let probe = {
            let (client, url, done) = (app.client.clone(), format!("{}/health", app.address), done.clone());
            tokio::spawn(async move {
                let mut worst = Duration::ZERO;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let started = Instant::now();
                    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
                    worst = worst.max(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                worst
            })
        };
        let started = Instant::now();
        let paths: Vec<String> = reports.iter().map(|r| format!("/api/v1/reports/{r}/summarize")).collect();
        let runs = paths.iter().map(|p| app.post(p, &w.admin_a.1, json!({"force": true})));
        let statuses: Vec<u16> = futures::future::join_all(runs).await.iter().map(|r| r.status().as_u16()).collect();
        let elapsed = started.elapsed();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let worst_health = probe.await.unwrap();
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(llm.count(), 100 * (3 + 1 + 1));
        // One summary has at most 3 calls in flight (its 3 articles), so 45
        // is what 15 summaries holding the 15 pooled connections could reach:
        // more means summaries overlap and none holds a connection while it
        // waits for the LLM.
        let pool_bound = 3 * 15;
        assert!(llm.max_in_flight() > pool_bound, "at most {} LLM calls at once", llm.max_in_flight());
        // Three sequential LLM rounds per summary; serialized, 100 of them
        // take 100 × 3 latencies. A quarter of that holds on a machine many
        // times slower than this one, and still fails if runs queue up.
        let serialized = 100 * 3 * latency;
        assert!(elapsed < serialized / 4, "100 summaries took {elapsed:?}, serialized {serialized:?}");
        // A worker blocked for one LLM call would hold /health for a whole
        // latency; scheduling on a slow, busy machine stays far below half.
        assert!(worst_health < latency / 2, "/health took {worst_health:?}");
        app.stop().await;
    }
}

backend_tests! {
    async fn the_largest_requests_the_limits_allow_eight_at_a_time_keep_health_fast(backend: Backend) {
        use service::limits;
        // A bulk limit of 4 MiB keeps the test's data small; what matters is
        // that each request is as large as its limits allow.
        let bulk_limit = 4 * 1024 * 1024;
        // All eight are read at once (the default reads 4 large bodies at a
        // time and answers 503 to more).
        let app = integration_tests::spawn_app_with(backend, |s| {
            s.server.bulk_json_limit_bytes = bulk_limit;
            s.server.max_concurrent_large_bodies = 8;
        })
        .await;
        let w = world(&app).await;
        let import = |batch: usize| {
            let articles: Vec<_> = (0..limits::ARTICLES_PER_REQUEST)
                .map(|i| json!({"title": format!("{batch}-{i} {}", "t".repeat(300)), "doi": format!("10.9/{batch}.{i}")}))
                .collect();
            json!({"articles": articles})
        };
        // The articles the largest reports refer to.
        let first = app.post("/api/v1/articles/bulk", &w.platform.1, import(0)).await;
        assert_eq!(first.status(), 200);
        let ids = first.json::<serde_json::Value>().await.unwrap()["ids"].clone();
        let report = json!({"report_name": "largest", "report_date": "2026-01-12",
            "articles": ids.as_array().unwrap().iter().map(|id| json!({"article_id": id})).collect::<Vec<_>>()});
        let categories: Vec<_> = (0..limits::CATEGORIES_PER_STREAM)
            .map(|c| json!({"id": format!("c{c}"), "name": format!("Category {c}"), "topics": vec!["x".repeat(90); 3]}))
            .collect();
        let stream = json!({"stream_name": "largest", "purpose": "p", "scope": "personal", "presentation_config": {"categories": categories}});
        assert!(serde_json::to_vec(&import(1)).unwrap().len() <= bulk_limit);
        assert!(serde_json::to_vec(&stream["presentation_config"]).unwrap().len() <= limits::CONFIG_BYTES);

        // Bodies are serialized before the clock starts, and the probe runs on
        // a thread of its own: what it measures is the server, not this
        // test's runtime busy encoding megabytes of JSON.
        let reports_path = format!("/api/v1/streams/{}/reports", w.org_stream);
        let mut bodies = Vec::new();
        for batch in 1..=8 {
            bodies.push(("/api/v1/articles/bulk".to_owned(), w.platform.1.clone(), serde_json::to_vec(&import(batch)).unwrap()));
            bodies.push((reports_path.clone(), w.admin_a.1.clone(), serde_json::to_vec(&report).unwrap()));
            bodies.push(("/api/v1/streams".to_owned(), w.member_a.1.clone(), serde_json::to_vec(&stream).unwrap()));
        }
        let parse = (0..3)
            .map(|_| {
                let started = Instant::now();
                serde_json::from_slice::<serde_json::Value>(&bodies[0].2).unwrap();
                started.elapsed()
            })
            .min()
            .unwrap();
        let cpu_before = service::cpu::completed();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let probe = {
            let (url, done) = (format!("{}/health", app.address), done.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let client = test_support::http_client::client();
                    let mut worst = Duration::ZERO;
                    while !done.load(std::sync::atomic::Ordering::SeqCst) {
                        let started = Instant::now();
                        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
                        worst = worst.max(started.elapsed());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    worst
                })
            })
        };
        let requests = bodies.into_iter().map(|(path, token, body)| {
            app.client
                .post(format!("{}{path}", app.address))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
        });
        let statuses: Vec<u16> = futures::future::join_all(requests).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let worst_health = tokio::task::spawn_blocking(move || probe.join().unwrap()).await.unwrap();
        assert!(statuses.iter().all(|s| (200..300).contains(s)), "{statuses:?}");
        // The proof is a count, not a clock: each bulk import's parse and
        // its validation ran on the blocking pool (service::cpu), never on a
        // runtime worker.
        let off_workers = service::cpu::completed() - cpu_before;
        assert!(off_workers >= 16, "8 imports × (parse + validation) off the workers, saw {off_workers}");
        // A guard against gross blocking only. On the two runtime workers
        // the 24 requests would queue some 24 parses' worth (`parse` is
        // measured here) ahead of /health; off them, /health waits for the
        // OS scheduler, shared with the database server on this machine
        // (up to ~150 ms seen here). The bound is wide so that a machine
        // several times slower, or a busier one, passes on the count above.
        let bound = (parse * 24).max(Duration::from_secs(1));
        assert!(worst_health < bound, "/health took {worst_health:?}; one parse takes {parse:?}");
        app.stop().await;
    }
}
