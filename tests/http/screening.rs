//! LLM screening of a stream's candidates: scored against its criteria,
//! the ones under its threshold excluded with `llm_below_threshold` and
//! still shown, every call on the ledger, answers reused, budgets kept.

use std::time::Duration;

use entity::llm_usage;
use integration_tests::{TestApp, spawn_app_with, world};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::mock_llm::{Action, MockConfig, MockLlm, Rule};

/// Four works: two on checkpoint immunotherapy, two not.
const RIS: &str = "TY  - JOUR
TI  - PD-1 blockade in advanced melanoma
AB  - A randomized trial of checkpoint inhibitors in melanoma.
PY  - 2026
ER  - 

TY  - JOUR
TI  - Checkpoint inhibitors in older adults
AB  - Immune checkpoint blockade in patients over 75.
PY  - 2026
ER  - 

TY  - JOUR
TI  - Soil bacteria of alpine meadows
AB  - Microbial diversity at altitude.
PY  - 2026
ER  - 

TY  - JOUR
TI  - Glacier retreat and river flow
AB  - Hydrology of melting glaciers.
PY  - 2026
ER  - 
";

const CRITERIA: &str = "Clinical studies of immune checkpoint inhibitors in cancer";

fn answer(relevance: f64) -> Action {
    Action::Answer(
        json!({"relevance": relevance, "rationale": format!("Scored {relevance}.")}).to_string(),
    )
}

/// A rule answering the screening of the article titled `title`.
fn scores(title: &str, relevance: f64) -> Rule {
    Rule {
        matches: format!("Title: {title}"),
        action: answer(relevance),
        times: None,
    }
}

async fn screening_stream(app: &TestApp, token: &str, name: &str) -> i32 {
    let r = app
        .post(
            "/api/v1/streams",
            token,
            json!({"stream_name": name, "purpose": "Track immunotherapy.", "scope": "organization",
                   "retrieval_config": {"screening": {"criteria": CRITERIA, "threshold": 0.5}}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32
}

async fn import(app: &TestApp, token: &str, stream: i32) -> Value {
    let r = app.import(token, stream, "ris", RIS).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Waits for the run to end: the run as it ended.
async fn ended(app: &TestApp, token: &str, run: i64) -> Value {
    let started = std::time::Instant::now();
    loop {
        let run: Value = app
            .get(&format!("/api/v1/retrieval-runs/{run}"), token)
            .await
            .json()
            .await
            .unwrap();
        if ["succeeded", "failed", "cancelled"].contains(&run["status"].as_str().unwrap()) {
            return run;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{run}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn pool(app: &TestApp, token: &str, stream: i32) -> Vec<Value> {
    let pool: Value = app
        .get(
            &format!("/api/v1/streams/{stream}/candidates?limit=100"),
            token,
        )
        .await
        .json()
        .await
        .unwrap();
    pool["data"].as_array().unwrap().clone()
}

fn by_title<'a>(pool: &'a [Value], title: &str) -> &'a Value {
    pool.iter()
        .find(|c| c["article"]["title"] == title)
        .unwrap_or_else(|| panic!("{title} is in the pool"))
}

async fn estimate(app: &TestApp, token: &str, stream: i32) -> Value {
    let path = format!("/api/v1/streams/{stream}/screening-estimate");
    app.get(&path, token).await.json().await.unwrap()
}

async fn screening_rows(app: &TestApp) -> Vec<llm_usage::Model> {
    llm_usage::Entity::find()
        .filter(llm_usage::Column::Stage.eq(entity::enums::LlmStage::Screening))
        .all(&app.db.conn)
        .await
        .unwrap()
}

backend_tests! {
    async fn imported_candidates_under_the_threshold_are_excluded_with_the_llm_reason_and_stay_in_the_pool(backend: Backend) {
        let llm = MockLlm::start(MockConfig::default()).await.unwrap();
        for (title, relevance) in [
            ("PD-1 blockade in advanced melanoma", 0.92),
            ("Checkpoint inhibitors in older adults", 0.5),
            ("Soil bacteria of alpine meadows", 0.05),
            ("Glacier retreat and river flow", 0.49),
        ] {
            llm.add_rule(scores(title, relevance));
        }
        let base = llm.base_url();
        let app = spawn_app_with(backend, move |s| {
            integration_tests::use_llm_at(s, base);
            s.jobs.poll_ms = 50;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = screening_stream(&app, token, "Checkpoint screening").await;
        let imported = import(&app, token, stream).await;
        assert_eq!(imported["imported"], 4, "{imported}");
        let run = ended(&app, token, imported["screening_run_id"].as_i64().expect("a screening run")).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(run["trigger"], "screening");
        assert_eq!(run["screened_out"], 2, "{run}");
        assert_eq!(llm.count(), 4, "one call per candidate");
        assert!(llm.received().iter().all(|r| r.user.contains(CRITERIA)), "the criteria are the prompt's");

        let candidates = pool(&app, token, stream).await;
        assert_eq!(candidates.len(), 4, "nothing is hidden from the curators");
        for (title, status, relevance) in [
            ("PD-1 blockade in advanced melanoma", "new", 0.92),
            ("Checkpoint inhibitors in older adults", "new", 0.5),
            ("Soil bacteria of alpine meadows", "excluded", 0.05),
            ("Glacier retreat and river flow", "excluded", 0.49),
        ] {
            let c = by_title(&candidates, title);
            assert_eq!(c["status"], status, "{c}");
            assert_eq!(c["screening"]["relevance"], relevance, "{c}");
            assert_eq!(c["screening"]["rationale"], format!("Scored {relevance}."), "{c}");
            if status == "excluded" {
                assert_eq!(c["reason"], "llm_below_threshold", "{c}");
                assert_eq!(c["decided_by"], Value::Null, "no curator decided it");
            }
        }
        let filtered: Value = app.get(&format!("/api/v1/streams/{stream}/candidates?reason=llm_below_threshold"), token).await.json().await.unwrap();
        assert_eq!(filtered["meta"]["total"], 2, "{filtered}");

        // Every call is on the organization's ledger, by candidate.
        let rows = screening_rows(&app).await;
        assert_eq!(rows.len(), 4);
        let mut items: Vec<String> = rows.iter().map(|r| r.item.clone().unwrap()).collect();
        items.sort();
        let mut ids: Vec<String> = candidates.iter().map(|c| format!("candidate:{}", c["id"])).collect();
        ids.sort();
        assert_eq!(items, ids);
        assert!(rows.iter().all(|r| r.org_id == Some(w.org_a) && r.outcome == entity::enums::LlmOutcome::Ok && r.run_id.is_none()));

        // A curator includes a screened-out candidate after all.
        let glacier = by_title(&candidates, "Glacier retreat and river flow");
        let r = app.post(&format!("/api/v1/streams/{stream}/candidates/decisions"), token,
            json!({"decisions": [{"candidate_id": glacier["id"], "status": "included", "version": glacier["version"]}]})).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

        // Screened again (as after a change of model the answers would be
        // asked for again): the same prompts are answered from the cache,
        // no call, a zero-cost ledger row each; the decision stands.
        use sea_orm::sea_query::Expr;
        entity::candidate::Entity::update_many()
            .col_expr(entity::candidate::Column::ScreenedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
            .filter(entity::candidate::Column::StreamId.eq(stream))
            .exec(&app.db.conn).await.unwrap();
        let r = app.post(&format!("/api/v1/streams/{stream}/retrievals"), token, json!({})).await;
        assert_eq!(r.status(), 202);
        let again: Value = r.json().await.unwrap();
        let again = ended(&app, token, again["id"].as_i64().unwrap()).await;
        assert_eq!(again["status"], "succeeded", "{again}");
        assert_eq!(llm.count(), 4, "reused, not asked again");
        let reused = screening_rows(&app).await.into_iter().filter(|r| r.outcome == entity::enums::LlmOutcome::Reused).count();
        assert_eq!(reused, 2, "the undecided two; decided candidates are not screened again");
        let candidates = pool(&app, token, stream).await;
        assert_eq!(by_title(&candidates, "Glacier retreat and river flow")["status"], "included");
        app.stop().await;
        llm.stop().await;
    }
}

backend_tests! {
    async fn screening_past_the_budget_or_with_failing_calls_fails_the_run_and_leaves_candidates_to_curators(backend: Backend) {
        use reqwest::Method;
        let llm = MockLlm::start(MockConfig::default()).await.unwrap();
        llm.add_rule(Rule { matches: "Title: Soil bacteria".into(), action: Action::Status { status: 400, retry_after: None }, times: None });
        let base = llm.base_url();
        let app = spawn_app_with(backend, move |s| {
            integration_tests::use_llm_at(s, base);
            s.jobs.poll_ms = 50;
        })
        .await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        // Three calls a month: four candidates do not fit.
        let r = app.request(Method::PATCH, &format!("/api/v1/organizations/{}", w.org_a), Some(&w.platform.1), Some(json!({"monthly_llm_calls": 3}))).await;
        assert_eq!(r.status(), 200);
        let stream = screening_stream(&app, token, "Over budget").await;
        let imported = import(&app, token, stream).await;
        let run = ended(&app, token, imported["screening_run_id"].as_i64().unwrap()).await;
        assert_eq!(run["status"], "failed", "{run}");
        assert!(run["error"].as_str().unwrap().contains("monthly limit"), "{run}");
        assert_eq!(llm.count(), 0, "refused before any call");
        assert!(screening_rows(&app).await.is_empty());
        for c in pool(&app, token, stream).await {
            assert_eq!((c["status"].as_str(), &c["screening"]), (Some("new"), &Value::Null), "{c}");
        }
        // What screening them would cost, without a call.
        let before = estimate(&app, token, stream).await;
        assert_eq!((&before["candidates"], &before["llm_calls"], &before["reused"]), (&json!(4), &json!(4), &json!(0)), "{before}");
        assert!(before["prompt_tokens"].as_u64().unwrap() > 0 && before["max_completion_tokens"].as_u64().unwrap() > 0, "{before}");
        assert_eq!(llm.count(), 0);
        let other_org = app.get(&format!("/api/v1/streams/{stream}/screening-estimate"), &w.admin_b.1).await;
        assert_eq!(other_org.status(), 404);

        // Within budget, a call the provider refuses fails the run once
        // the others are stored; its candidate stays unscreened.
        let r = app.request(Method::PATCH, &format!("/api/v1/organizations/{}", w.org_a), Some(&w.platform.1), Some(json!({"monthly_llm_calls": 100}))).await;
        assert_eq!(r.status(), 200);
        let r = app.post(&format!("/api/v1/streams/{stream}/retrievals"), token, json!({})).await;
        assert_eq!(r.status(), 202);
        let run: Value = r.json().await.unwrap();
        let run = ended(&app, token, run["id"].as_i64().unwrap()).await;
        assert_eq!(run["status"], "failed", "{run}");
        assert!(run["error"].as_str().unwrap().contains("1 candidate"), "{run}");
        let candidates = pool(&app, token, stream).await;
        assert_eq!(by_title(&candidates, "Soil bacteria of alpine meadows")["screening"], Value::Null);
        let screened = candidates.iter().filter(|c| !c["screening"].is_null()).count();
        assert_eq!(screened, 3);
        let after = estimate(&app, token, stream).await;
        assert_eq!((&after["candidates"], &after["llm_calls"]), (&json!(1), &json!(1)), "{after}");
        let rows = screening_rows(&app).await;
        assert_eq!(rows.len(), 4, "the refused call is on the ledger too");
        assert_eq!(rows.iter().filter(|r| r.outcome == entity::enums::LlmOutcome::Error).count(), 1);
        app.stop().await;
        llm.stop().await;
    }
}

backend_tests! {
    async fn the_offline_provider_screens_without_a_network(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.jobs.poll_ms = 50).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = screening_stream(&app, token, "Offline screening").await;
        let imported = import(&app, token, stream).await;
        let run = ended(&app, token, imported["screening_run_id"].as_i64().unwrap()).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        let candidates = pool(&app, token, stream).await;
        let on_topic = by_title(&candidates, "Checkpoint inhibitors in older adults");
        let off_topic = by_title(&candidates, "Soil bacteria of alpine meadows");
        assert!(on_topic["screening"]["relevance"].as_f64().unwrap() > off_topic["screening"]["relevance"].as_f64().unwrap(), "{on_topic} {off_topic}");
        assert_eq!(off_topic["status"], "excluded");
        assert_eq!(off_topic["reason"], "llm_below_threshold");
        assert!(off_topic["screening"]["rationale"].as_str().unwrap().contains("none of the criteria"), "{off_topic}");
        assert_eq!(run["screened_out"].as_i64().unwrap(), candidates.iter().filter(|c| c["status"] == "excluded").count() as i64);
        // A preview shows the screening prompt and answer for an article
        // of one of the stream's reports.
        let r = app.post(&format!("/api/v1/streams/{stream}/reports"), token,
            json!({"report_name": "Screened", "report_date": "2026-12-01", "from_candidates": [on_topic["id"]]})).await;
        assert_eq!(r.status(), 201);
        let report = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let r = app.post(&format!("/api/v1/reports/{report}/summaries/preview"), token, json!({"prompt_type": "screening"})).await;
        assert_eq!(r.status(), 200);
        let preview: Value = r.json().await.unwrap();
        assert!(preview["user_prompt"].as_str().unwrap().contains(CRITERIA), "{preview}");
        let answer: Value = serde_json::from_str(preview["text"].as_str().unwrap()).unwrap();
        assert_eq!(answer["relevance"], on_topic["screening"]["relevance"], "{preview}");
        app.stop().await;
    }
}

backend_tests! {
    async fn screening_settings_out_of_bounds_are_422_naming_the_field(backend: Backend) {
        let app = spawn_app_with(backend, |_| {}).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let before = integration_tests::fingerprint(&app.db.conn).await;
        for (screening, field) in [
            (json!({"criteria": "   ", "threshold": 0.5}), "retrieval_config.screening.criteria"),
            (json!({"criteria": "x".repeat(4_001)}), "retrieval_config.screening.criteria"),
            (json!({"criteria": "Trials.", "threshold": 1.5}), "retrieval_config.screening.threshold"),
            (json!({"criteria": "Trials.", "threshold": -0.1}), "retrieval_config.screening.threshold"),
        ] {
            let r = app.post("/api/v1/streams", token, json!({"stream_name": "Bounds", "purpose": "P.", "scope": "organization",
                "retrieval_config": {"screening": screening}})).await;
            assert_eq!(r.status(), 422, "{screening}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        assert_eq!(integration_tests::fingerprint(&app.db.conn).await, before, "nothing written");
        let r = app.get(&format!("/api/v1/streams/{}/screening-estimate", w.org_stream), token).await;
        assert_eq!(r.status(), 409, "a stream that does not screen");
        // Without sources, a stream that screens may still start a run: it
        // screens the pool.
        let stream = screening_stream(&app, token, "Screens only").await;
        let r = app.post(&format!("/api/v1/streams/{stream}/retrievals"), token, json!({})).await;
        assert_eq!(r.status(), 202);
        app.stop().await;
    }
}
