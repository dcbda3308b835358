//! Retrieval runs against the E-utilities fixture: a stream's PubMed
//! search read page by page into its pool, each work stored once however
//! it arrives (another run, a file), NCBI's rate kept, failures named.

use std::time::Duration;

use integration_tests::{TestApp, spawn_app_with, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::eutils::{EUtils, Fault, sample_records};

const RIS: &str = include_str!("../fixtures/imports/records.ris");

async fn app_reading(backend: test_support::Backend, eutils: &EUtils) -> TestApp {
    let base = eutils.base_url();
    spawn_app_with(backend, move |s| {
        s.sources.allow_private = true;
        s.sources.pubmed.base_url = base;
        s.sources.pubmed.page_size = 10;
        s.sources.pubmed.backoff_ms = 50;
        s.sources.pubmed.max_attempts = 3;
        s.jobs.poll_ms = 50;
    })
    .await
}

async fn stream_searching(app: &TestApp, token: &str, query: &str) -> i32 {
    let r = app
        .post(
            "/api/v1/streams",
            token,
            json!({"stream_name": format!("PubMed {query}"), "purpose": "Screen what PubMed has.", "scope": "organization",
                   "retrieval_config": {"sources": [{"kind": "pubmed", "query": query}], "lookback_days": 30}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32
}

/// Starts a retrieval and waits for it to end: the run as it ended.
async fn retrieve(app: &TestApp, token: &str, stream: i32) -> Value {
    let r = app
        .post(
            &format!("/api/v1/streams/{stream}/retrievals"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    loop {
        let run: Value = app.get(&location, token).await.json().await.unwrap();
        if ["succeeded", "failed", "cancelled"].contains(&run["status"].as_str().unwrap()) {
            return run;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{run}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn counts(run: &Value) -> [i64; 4] {
    ["retrieved", "duplicates", "new_candidates", "rejected"].map(|k| run[k].as_i64().unwrap())
}

backend_tests! {
    async fn a_pubmed_search_fills_the_pool_once_however_often_it_is_read(backend: Backend) {
        let eutils = EUtils::start(sample_records(25)).await.unwrap();
        let app = app_reading(backend, &eutils).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = stream_searching(&app, token, "fixture").await;
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(counts(&run), [23, 0, 23, 0], "{run}");
        assert_eq!(run["trigger"], "manual");
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates?run_id={}&limit=200", run["id"]), token).await.json().await.unwrap();
        assert_eq!(pool["meta"]["total"], 23, "{pool}");
        let mut pmids: Vec<String> = pool["data"].as_array().unwrap().iter().map(|c| {
            assert_eq!(c["source"], "pubmed");
            assert_eq!(c["status"], "new");
            c["article"]["pmid"].as_str().unwrap().to_owned()
        }).collect();
        pmids.sort();
        assert_eq!(pmids, (1..=23).map(|i| (90_000_000 + i).to_string()).collect::<Vec<_>>());
        // What the client asked: the window, the history, pages of ten.
        let requests = eutils.requests();
        let search = &requests[0].params;
        assert_eq!((search["usehistory"].as_str(), search["datetype"].as_str()), ("y", "edat"));
        let pages: Vec<&str> = requests[1..].iter().map(|r| r.params["retstart"].as_str()).collect();
        assert_eq!(pages, ["0", "10", "20"]);

        // The same search again: every record is a duplicate now.
        let again = retrieve(&app, token, stream).await;
        assert_eq!(counts(&again), [23, 23, 0, 0], "{again}");
        let history: Value = app.get(&format!("/api/v1/streams/{stream}/retrieval-runs"), token).await.json().await.unwrap();
        assert_eq!(history["meta"]["total"], 2);
        assert_eq!(history["data"][0]["id"], again["id"], "newest first");

        // A work imported from a file first is a duplicate for PubMed.
        let other = stream_searching(&app, token, "pneumonia").await;
        let r = app.import(token, other, "ris", RIS).await;
        assert_eq!(r.status(), 200);
        let run = retrieve(&app, token, other).await;
        assert_eq!(counts(&run), [1, 1, 0, 0], "the NEJM record arrived by file: {run}");
        assert_eq!(eutils.rate_violations(), 0, "the client kept to NCBI's rate");
        app.stop().await;
        eutils.stop().await;
    }
}

backend_tests! {
    async fn a_runs_event_stream_sends_each_page_then_the_end_and_closes(backend: Backend) {
        use futures::StreamExt;
        use eventsource_stream::Eventsource;
        let eutils = EUtils::start(sample_records(25)).await.unwrap();
        let base = eutils.base_url();
        // Pages of five at NCBI's pace: the run outlasts the stream's opening.
        let app = spawn_app_with(backend, move |s| {
            s.sources.allow_private = true;
            s.sources.pubmed.base_url = base;
            s.sources.pubmed.page_size = 5;
            s.jobs.poll_ms = 50;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = stream_searching(&app, token, "fixture").await;
        let r = app.post(&format!("/api/v1/streams/{stream}/retrievals"), token, json!({})).await;
        assert_eq!(r.status(), 202);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let events = app.client.get(format!("{}{location}/events", app.address)).bearer_auth(token).send().await.unwrap();
        assert_eq!(events.status(), 200);
        assert_eq!(events.headers()["content-type"], "text/event-stream");
        // Read by an SSE parser; the stream ends by itself when the run does.
        let parsed: Vec<(String, Value)> = tokio::time::timeout(
            Duration::from_secs(90),
            events.bytes_stream().eventsource().map(|e| {
                let e = e.expect("a well-formed event");
                (e.event, serde_json::from_str(&e.data).expect("the run as JSON"))
            }).collect::<Vec<_>>(),
        )
        .await
        .expect("the stream closed");
        let (last, ended) = parsed.last().unwrap();
        assert_eq!(last, "succeeded", "{parsed:?}");
        assert_eq!(counts(ended), [23, 0, 23, 0], "{ended}");
        assert!(parsed[..parsed.len() - 1].iter().all(|(name, _)| name == "progress"), "{parsed:?}");
        let found: Vec<i64> = parsed.iter().map(|(_, run)| run["new_candidates"].as_i64().unwrap()).collect();
        assert!(found.windows(2).all(|f| f[0] <= f[1]), "the count only grows: {found:?}");
        assert!(found.iter().any(|n| (1..23).contains(n)), "a page between start and end was sent: {found:?}");
        // An ended run's stream is its last state, at once.
        let again = app.client.get(format!("{}{location}/events", app.address)).bearer_auth(token).send().await.unwrap().text().await.unwrap();
        assert!(again.starts_with("event: succeeded\n"), "{again}");
        app.stop().await;
        eutils.stop().await;
    }
}

backend_tests! {
    async fn a_source_that_fails_is_retried_and_then_named_in_the_failed_run(backend: Backend) {
        let eutils = EUtils::start(sample_records(12)).await.unwrap();
        let app = app_reading(backend, &eutils).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = stream_searching(&app, token, "fixture").await;
        // A 503 and a 429 on the way: retried, nothing lost or doubled.
        eutils.fail_next([Fault::Status(503), Fault::TooManyRequests { retry_after: Some(1) }]);
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(counts(&run), [10, 0, 10, 0], "{run}");
        // Three failures in a row: the run fails and says why.
        eutils.fail_next([Fault::Status(500), Fault::Status(502), Fault::Status(503)]);
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "failed", "{run}");
        let error = run["error"].as_str().unwrap();
        assert!(error.contains("PubMed") && error.contains("503"), "{error}");
        // A page that is not XML fails the run too; the pool keeps what it had.
        eutils.fail_next([Fault::Truncated]);
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "failed", "{run}");
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates"), token).await.json().await.unwrap();
        assert_eq!(pool["meta"]["total"], 10);
        app.stop().await;
        eutils.stop().await;
    }
}

backend_tests! {
    async fn only_a_streams_curators_retrieve_and_only_from_its_sources(backend: Backend) {
        let eutils = EUtils::start(sample_records(3)).await.unwrap();
        let app = app_reading(backend, &eutils).await;
        let w = world(&app).await;
        let stream = stream_searching(&app, &w.admin_a.1, "fixture").await;
        let r = app.post(&format!("/api/v1/streams/{stream}/retrievals"), &w.admin_b.1, json!({})).await;
        assert_eq!(r.status(), 404, "another organization's stream");
        let run = retrieve(&app, &w.admin_a.1, stream).await;
        let path = format!("/api/v1/retrieval-runs/{}", run["id"]);
        assert_eq!(app.get(&path, &w.admin_b.1).await.status(), 404);
        assert_eq!(app.get(&format!("{path}/events"), &w.admin_b.1).await.status(), 404);
        let r = app.request(Method::DELETE, &path, Some(&w.admin_a.1), None).await;
        assert_eq!(r.status(), 409, "it has ended");
        // A stream without sources has nothing to retrieve.
        let r = app.post(&format!("/api/v1/streams/{}/retrievals", w.org_stream), &w.admin_a.1, json!({})).await;
        assert_eq!(r.status(), 409);
        let problem: Value = r.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("retrieval_config.sources"), "{problem}");
        // Sources are bounded like every configuration.
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(&w.admin_a.1),
            Some(json!({"retrieval_config": {"sources": [{"kind": "pubmed", "query": " "}], "lookback_days": 0}}))).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["retrieval_config.lookback_days", "retrieval_config.sources[0].query"], "{problem}");
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(&w.admin_a.1),
            Some(json!({"retrieval_config": {"sources": [{"kind": "gopher", "url": "gopher://x"}]}}))).await;
        assert_eq!(r.status(), 422);
        app.stop().await;
        eutils.stop().await;
    }
}

/// The runs of a stream as stored, oldest first.
async fn stored_runs(app: &TestApp, stream: i32) -> Vec<entity::retrieval_run::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entity::retrieval_run::Entity::find()
        .filter(entity::retrieval_run::Column::StreamId.eq(stream))
        .order_by_asc(entity::retrieval_run::Column::Id)
        .all(&app.db.conn)
        .await
        .unwrap()
}

backend_tests! {
    async fn three_processes_queue_one_run_per_due_time_of_a_schedule(backend: Backend) {
        use std::net::TcpListener;
        let eutils = EUtils::start(sample_records(5)).await.unwrap();
        let base = eutils.base_url();
        let adjust = move |s: &mut api::config::Settings| {
            s.sources.allow_private = true;
            s.sources.pubmed.base_url = base.clone();
            s.sources.pubmed.backoff_ms = 50;
            s.sources.min_schedule_interval_secs = 1;
            s.jobs.poll_ms = 50;
        };
        let app = spawn_app_with(backend, adjust.clone()).await;
        // Two more processes over the same database, each with its pools,
        // workers, scheduler and lease name.
        let mut others = Vec::new();
        for _ in 0..2 {
            let mut settings = integration_tests::settings_for(&app.db);
            adjust(&mut settings);
            let built = api::startup::Application::build_with_listener(settings, TcpListener::bind("127.0.0.1:0").unwrap()).await.unwrap();
            others.push(built.handle());
            tokio::spawn(built.run_until_stopped());
        }
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Every two seconds", "purpose": "Scheduled.", "scope": "organization",
            "retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}], "schedule": {"cron": "*/2 * * * * *", "time_zone": "Europe/Berlin"}}})).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let started = std::time::Instant::now();
        let ended = loop {
            let runs = stored_runs(&app, stream).await;
            let ended: Vec<_> = runs.iter().filter(|r| r.status.is_finished()).cloned().collect();
            if ended.len() >= 4 {
                break runs;
            }
            assert!(started.elapsed() < Duration::from_secs(90), "{runs:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for handle in others {
            handle.stop(false).await;
        }
        let mut due: Vec<i64> = ended.iter().map(|r| {
            assert_eq!(r.trigger, entity::enums::RunTrigger::Schedule);
            let due = r.due_at.expect("a scheduled run has its due time");
            assert_eq!(due.timestamp() % 2, 0, "on the schedule: {due}");
            assert_eq!(r.window_to, due);
            due.timestamp()
        }).collect();
        let count = due.len();
        due.dedup();
        assert_eq!(due.len(), count, "one run per due time: {ended:?}");
        assert!(ended.iter().filter(|r| r.status.is_finished()).all(|r| r.status == entity::enums::RunStatus::Succeeded), "{ended:?}");
        // Each work once in the pool, whichever process read it.
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates"), token).await.json().await.unwrap();
        assert_eq!(pool["meta"]["total"], 3);
        app.stop().await;
        eutils.stop().await;
    }
}

backend_tests! {
    async fn a_due_time_missed_while_no_process_ran_queues_one_run(backend: Backend) {
        use sea_orm::{ConnectionTrait, EntityTrait};
        let eutils = EUtils::start(sample_records(3)).await.unwrap();
        let app = app_reading(backend, &eutils).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Hourly", "purpose": "Scheduled.", "scope": "organization",
            "retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}], "schedule": {"cron": "0 * * * *"}}})).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let schedule = entity::retrieval_schedule::Entity::find_by_id(stream).one(&app.db.conn).await.unwrap().unwrap();
        assert!(schedule.next_at > chrono::Utc::now(), "first due at the next full hour");
        // As if every process had been down for three hours of due times.
        let missed = chrono::Utc::now() - chrono::Duration::hours(3);
        let missed = chrono::DateTime::from_timestamp(missed.timestamp() - missed.timestamp() % 3600, 0).unwrap();
        let update = sea_orm::sea_query::Query::update()
            .table(entity::retrieval_schedule::Entity)
            .value(entity::retrieval_schedule::Column::NextAt, missed)
            .to_owned();
        app.db.conn.execute(&update).await.unwrap();
        let started = std::time::Instant::now();
        let runs = loop {
            let runs = stored_runs(&app, stream).await;
            if runs.iter().any(|r| r.status.is_finished()) {
                break runs;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{runs:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // A few more polls: still the one run.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let runs_after = stored_runs(&app, stream).await;
        assert_eq!(runs_after.len(), 1, "{runs:?}");
        assert_eq!(runs_after[0].due_at, Some(missed));
        assert_eq!(runs_after[0].status, entity::enums::RunStatus::Succeeded);
        let schedule = entity::retrieval_schedule::Entity::find_by_id(stream).one(&app.db.conn).await.unwrap().unwrap();
        assert!(schedule.next_at > chrono::Utc::now(), "moved on past now: {schedule:?}");
        // A bad schedule is refused by field; removing the schedule removes its row.
        let path = format!("/api/v1/streams/{stream}");
        for (schedule, field) in [
            (json!({"cron": "61 * * * *"}), "retrieval_config.schedule.cron"),
            (json!({"cron": "0 * * * *", "time_zone": "Mars/Olympus"}), "retrieval_config.schedule.time_zone"),
            (json!({"cron": "*/5 * * * * *"}), "retrieval_config.schedule.cron"),
        ] {
            let r = app.request(Method::PATCH, &path, Some(token), Some(json!({"retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}], "schedule": schedule}}))).await;
            assert_eq!(r.status(), 422, "{schedule}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let r = app.request(Method::PATCH, &path, Some(token), Some(json!({"retrieval_config": {"sources": [{"kind": "pubmed", "query": "fixture"}]}}))).await;
        assert_eq!(r.status(), 200);
        assert!(entity::retrieval_schedule::Entity::find_by_id(stream).one(&app.db.conn).await.unwrap().is_none());
        app.stop().await;
        eutils.stop().await;
    }
}

const ATOM: &str = include_str!("../fixtures/feeds/preprints.atom");
const JSON_FEED: &str = include_str!("../fixtures/feeds/toc.json");

backend_tests! {
    async fn pubmed_and_two_feeds_give_one_candidate_per_work_and_counts_that_add_up(backend: Backend) {
        use test_support::static_http::StaticHttp;
        let eutils = EUtils::start(sample_records(5)).await.unwrap();
        let site = StaticHttp::start(vec![
            ("/immunology.atom", "application/atom+xml", ATOM.to_owned()),
            ("/toc.json", "application/feed+json", JSON_FEED.to_owned()),
        ]).await.unwrap();
        let app = app_reading(backend, &eutils).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Three sources", "purpose": "P.", "scope": "organization",
            "retrieval_config": {"sources": [
                {"kind": "pubmed", "query": "fixture"},
                {"kind": "feed", "url": site.url("/immunology.atom")},
                {"kind": "feed", "url": site.url("/toc.json")}]}})).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        // PubMed: 3 new. Atom: record 1 is PubMed's 90000001 by DOI, one
        // new, one without a title. JSON Feed: one new, one the Atom's
        // preprint by title and year.
        assert_eq!(counts(&run), [3 + 3 + 2, 1 + 1, 3 + 1 + 1, 1], "{run}");
        let feed: Value = app.get(&format!("/api/v1/streams/{stream}/candidates?source=feed"), token).await.json().await.unwrap();
        let mut titles: Vec<&str> = feed["data"].as_array().unwrap().iter().map(|c| c["article"]["title"].as_str().unwrap()).collect();
        titles.sort();
        assert_eq!(titles, ["Checkpoint blockade in older adults", "Regulatory T cells and tumour infiltration"]);
        let preprint = feed["data"].as_array().unwrap().iter().find(|c| c["article"]["title"] == "Regulatory T cells and tumour infiltration").unwrap();
        assert_eq!(preprint["article"]["doi"], "10.1101/2026.11.20.600123");
        assert_eq!(preprint["article"]["authors"], json!(["Amara Nwosu", "Jürgen Müller"]));
        assert_eq!(preprint["article"]["journal"], "Fixture Preprints: immunology");
        // Again: everything is known.
        let again = retrieve(&app, token, stream).await;
        assert_eq!(counts(&again), [8, 7, 0, 1], "{again}");
        assert_eq!(site.requests("/immunology.atom"), 2);
        // A feed that is gone fails the run, naming it.
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(token),
            Some(json!({"retrieval_config": {"sources": [{"kind": "feed", "url": site.url("/gone.atom")}]}}))).await;
        assert_eq!(r.status(), 200);
        let failed = retrieve(&app, token, stream).await;
        assert_eq!(failed["status"], "failed");
        let error = failed["error"].as_str().unwrap();
        assert!(error.contains("gone.atom") && error.contains("404"), "{error}");
        app.stop().await;

        // Without `sources.allow_private`, a feed on this machine is refused.
        let strict = spawn_app_with(backend, |s| s.jobs.poll_ms = 50).await;
        let w = world(&strict).await;
        let r = strict.post("/api/v1/streams", &w.admin_a.1, json!({"stream_name": "Inward", "purpose": "P.", "scope": "organization",
            "retrieval_config": {"sources": [{"kind": "feed", "url": site.url("/toc.json")}]}})).await;
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let requests = site.requests("/toc.json");
        let refused = retrieve(&strict, &w.admin_a.1, stream).await;
        assert_eq!(refused["status"], "failed");
        assert!(refused["error"].as_str().unwrap().contains("not a public address"), "{refused}");
        assert_eq!(site.requests("/toc.json"), requests, "nothing reached it");
        strict.stop().await;
        site.stop().await;
        eutils.stop().await;
    }
}

backend_tests! {
    async fn a_feed_file_of_the_configured_folder_is_read_and_no_path_leaves_the_folder(backend: Backend) {
        let root = std::env::temp_dir().join(format!("curio-feed-files-{}-{backend:?}-{}", std::process::id(), chrono::Utc::now().timestamp_micros()));
        let folder = root.join("feeds");
        tokio::fs::create_dir_all(folder.join("journals")).await.unwrap();
        tokio::fs::write(folder.join("journals/immunology.atom"), ATOM).await.unwrap();
        tokio::fs::write(root.join("outside.atom"), ATOM).await.unwrap();
        let dir = folder.to_string_lossy().into_owned();
        let app = spawn_app_with(backend, move |s| {
            s.sources.feed_files_dir = dir;
            s.jobs.poll_ms = 50;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let with_source = |path: &str| json!({"stream_name": format!("File {path}"), "purpose": "P.", "scope": "organization",
            "retrieval_config": {"sources": [{"kind": "feed_file", "path": path}]}});
        let r = app.post("/api/v1/streams", token, with_source("journals/immunology.atom")).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let run = retrieve(&app, token, stream).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        // Three entries: two works, one without a title.
        assert_eq!(counts(&run), [3, 0, 2, 1], "{run}");
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates?source=feed"), token).await.json().await.unwrap();
        assert_eq!(pool["meta"]["total"], 2, "{pool}");
        // No path leaves the folder, and the field at fault is named.
        for escape in ["../outside.atom", "/etc/passwd", "journals/../../outside.atom", ".hidden"] {
            let r = app.post("/api/v1/streams", token, with_source(escape)).await;
            assert_eq!(r.status(), 422, "{escape}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "retrieval_config.sources[0].path", "{problem}");
        }
        // A file that is not there fails the run, naming it.
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(token),
            Some(json!({"retrieval_config": {"sources": [{"kind": "feed_file", "path": "journals/gone.atom"}]}}))).await;
        assert_eq!(r.status(), 200);
        let failed = retrieve(&app, token, stream).await;
        assert_eq!(failed["status"], "failed");
        assert!(failed["error"].as_str().unwrap().contains("journals/gone.atom"), "{failed}");
        app.stop().await;

        // A server without a folder takes no feed file source.
        let bare = spawn_app_with(backend, |_| {}).await;
        let w = world(&bare).await;
        let r = bare.post("/api/v1/streams", &w.admin_a.1, with_source("journals/immunology.atom")).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "retrieval_config.sources[0].path", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("sources.feed_files_dir"), "{problem}");
        bare.stop().await;
        tokio::fs::remove_dir_all(&root).await.unwrap();
    }
}
