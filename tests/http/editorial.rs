//! Editorial work on a report's summaries: curators edit the executive and
//! category summaries, the LLM's first text is kept, readers see the edit.

use integration_tests::{spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

backend_tests! {
    async fn curators_edit_report_summaries_and_the_first_llm_text_is_kept(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let (r, aa) = (w.report, &w.admin_a.1);
        let report_path = format!("/api/v1/reports/{r}");
        let summaries = format!("{report_path}/summaries");
        assert_eq!(app.post(&format!("{report_path}/summarize"), aa, json!({})).await.status(), 200);
        let before: Value = app.get(&report_path, aa).await.json().await.unwrap();
        let llm_executive = before["enrichments"]["executive_summary"].as_str().unwrap().to_owned();
        let llm_category = before["enrichments"]["category_summaries"]["immuno"].as_str().unwrap().to_owned();

        // Refused edits change nothing.
        let fingerprint = integration_tests::fingerprint(&app.db.conn).await;
        for (body, status) in [
            (json!({}), 422),
            (json!({"category_summaries": {"nope": "x"}}), 422),
            (json!({"executive_summary": "x".repeat(20_001)}), 422),
            (json!({"executive_summary": "x", "extra": 1}), 422),
        ] {
            let refused = app.request(Method::PATCH, &summaries, Some(aa), Some(body.clone())).await;
            assert_eq!(refused.status(), status, "{body}");
            assert_eq!(refused.headers()["content-type"], "application/problem+json");
        }
        assert_eq!(app.request(Method::PATCH, &summaries, Some(&w.member_a.1), Some(json!({"executive_summary": "x"}))).await.status(), 404);
        assert_eq!(app.request(Method::PATCH, &summaries, Some(&w.admin_b.1), Some(json!({"executive_summary": "x"}))).await.status(), 404);
        assert_eq!(integration_tests::fingerprint(&app.db.conn).await, fingerprint, "a refused edit changes nothing");

        let edited = app.request(Method::PATCH, &summaries, Some(aa),
            Some(json!({"executive_summary": "Curated overview.", "category_summaries": {"immuno": "Curated immunology."}, "notes": "tightened"}))).await;
        assert_eq!(edited.status(), 200);
        assert!(edited.headers().contains_key("etag"));
        let edited: Value = edited.json().await.unwrap();
        assert_eq!(edited["executive_summary"], "Curated overview.");
        assert_eq!(edited["category_summaries"]["immuno"], "Curated immunology.");
        assert_eq!(edited["original"]["executive_summary"], llm_executive.as_str());
        assert_eq!(edited["original"]["category_summaries"]["immuno"], llm_category.as_str());
        // A second edit keeps the LLM's text as the original, not the first edit.
        let again: Value = app.request(Method::PATCH, &summaries, Some(aa), Some(json!({"executive_summary": "Second take."}))).await.json().await.unwrap();
        assert_eq!(again["executive_summary"], "Second take.");
        assert_eq!(again["category_summaries"]["immuno"], "Curated immunology.", "untouched categories stay");
        assert_eq!(again["original"]["executive_summary"], llm_executive.as_str());

        let events: Value = app.get(&format!("{report_path}/events"), aa).await.json().await.unwrap();
        let kinds: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "edit_summaries").count(), 2, "{kinds:?}");
        // Each edit says what it changed, in the shape the document gives it.
        let mut details: Vec<Value> = events["data"].as_array().unwrap().iter()
            .filter(|e| e["event_type"] == "edit_summaries").map(|e| e["details"].clone()).collect();
        details.sort_by_key(|d| d["category_summaries"].as_array().map_or(0, Vec::len));
        assert_eq!(details, [
            json!({"executive_summary_changed": true, "category_summaries": []}),
            json!({"executive_summary_changed": true, "category_summaries": ["immuno"]}),
        ]);

        // Published: readers see the edit, not the original; no more edits.
        for step in ["submit", "approve"] {
            assert_eq!(app.post(&format!("{report_path}/{step}"), aa, json!({})).await.status(), 200);
        }
        let as_member: Value = app.get(&report_path, &w.member_a.1).await.json().await.unwrap();
        assert_eq!(as_member["enrichments"]["executive_summary"], "Second take.");
        assert_eq!(as_member["enrichments"]["original"], Value::Null, "the original is for curators");
        let frozen = app.request(Method::PATCH, &summaries, Some(aa), Some(json!({"executive_summary": "Third."}))).await;
        assert_eq!(frozen.status(), 409);
        app.stop().await;
    }
}

backend_tests! {
    async fn platform_admins_set_monthly_limits_and_a_run_past_them_gets_429(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let org = format!("/api/v1/organizations/{}", w.org_a);
        let limits = json!({"monthly_llm_calls": 1, "monthly_llm_tokens": null});
        assert_eq!(app.request(Method::PATCH, &org, Some(&w.admin_a.1), Some(limits.clone())).await.status(), 403);
        assert_eq!(app.request(Method::PATCH, &org, Some(&w.platform.1), Some(json!({"monthly_llm_calls": -1}))).await.status(), 422);
        let set = app.request(Method::PATCH, &org, Some(&w.platform.1), Some(limits)).await;
        assert_eq!(set.status(), 200);
        let seen: Value = app.get(&org, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!((seen["monthly_llm_calls"].clone(), seen["monthly_llm_tokens"].clone()), (json!(1), Value::Null), "org admins read their limits");

        let summarize = format!("/api/v1/reports/{}/summarize", w.report);
        let refused = app.post(&summarize, &w.admin_a.1, json!({})).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let problem: Value = refused.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("monthly limit of 1") && detail.contains("resets at"), "{detail}");
        let runs: Value = app.get(&format!("/api/v1/reports/{}/summary-runs", w.report), &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(runs["meta"]["total"], 0, "refused before a run was queued");
        // A dry run still answers what it would cost.
        assert_eq!(app.post(&format!("{summarize}?dry_run=true"), &w.admin_a.1, json!({})).await.status(), 200);
        app.stop().await;
    }
}
