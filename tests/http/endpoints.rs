//! One happy path per endpoint, and the documented error statuses.

use integration_tests::{spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

async fn status(
    app: &integration_tests::TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> u16 {
    app.request(method, path, Some(token), body)
        .await
        .status()
        .as_u16()
}

backend_tests! {
    async fn every_endpoint_works_and_answers_its_error_statuses(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let (pa, aa, ma, ab, mb) = (&w.platform.1, &w.admin_a.1, &w.member_a.1, &w.admin_b.1, &w.member_b.1);
        use Method as M;

        // Auth
        let me: Value = app.get("/api/v1/auth/me", ma).await.json().await.unwrap();
        assert_eq!((me["email"].as_str(), me["role"].as_str()), (Some("member@a.test"), Some("member")));
        assert_eq!(app.request(M::GET, "/api/v1/auth/me", None, None).await.status(), 401);
        let bad = app.request(M::POST, "/api/v1/auth/login", None, Some(json!({"email": "member@a.test", "password": "nope"}))).await;
        assert_eq!(bad.status(), 401);
        assert_eq!(bad.headers()["www-authenticate"], "Bearer");
        let login: Value = app.request(M::POST, "/api/v1/auth/login", None, Some(json!({"email": "Member@A.test", "password": integration_tests::PASSWORD}))).await.json().await.unwrap();
        assert_eq!(login["token_type"], "bearer");
        assert_eq!(login["expires_in"], 3600);
        assert_eq!(status(&app, M::PUT, "/api/v1/auth/password", ma, Some(json!({"current_password": "wrong one", "new_password": "another long one"}))).await, 403);

        // Organizations
        let orgs: Value = app.get("/api/v1/organizations", pa).await.json().await.unwrap();
        assert_eq!(orgs["meta"]["total"], 2);
        let own: Value = app.get("/api/v1/organizations", aa).await.json().await.unwrap();
        assert_eq!(own["data"].as_array().unwrap().len(), 1);
        let created = app.post("/api/v1/organizations", pa, json!({"name": "Org C"})).await;
        assert_eq!(created.status(), 201);
        let org_c = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        assert_eq!(status(&app, M::POST, "/api/v1/organizations", pa, Some(json!({"name": "Org C"}))).await, 409);
        assert_eq!(status(&app, M::POST, "/api/v1/organizations", aa, Some(json!({"name": "Org D"}))).await, 403);
        assert_eq!(status(&app, M::POST, "/api/v1/organizations", pa, Some(json!({"name": ""}))).await, 422);
        let detail: Value = app.get(&format!("/api/v1/organizations/{}", w.org_a), aa).await.json().await.unwrap();
        assert_eq!((detail["member_count"].as_u64(), detail["stream_count"].as_u64()), (Some(2), Some(2)));
        assert_eq!(status(&app, M::GET, &format!("/api/v1/organizations/{}", w.org_b), aa, None).await, 404);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/organizations/{org_c}"), pa, Some(json!({"name": "Org C2"}))).await, 200);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/organizations/{}", w.org_a), aa, Some(json!({"name": "X"}))).await, 403);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/organizations/{}", w.org_a), pa, None).await, 409);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/organizations/{org_c}"), pa, None).await, 204);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/organizations/{}/usage", w.org_a), aa, None).await, 200);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/organizations/{}/usage", w.org_a), ma, None).await, 403);
        assert_eq!(status(&app, M::PUT, &format!("/api/v1/organizations/{}/subscriptions/{}", w.org_a, w.global), aa, None).await, 204);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/organizations/{}/subscriptions/{}", w.org_a, w.global), aa, None).await, 204);
        assert_eq!(status(&app, M::PUT, &format!("/api/v1/organizations/{}/subscriptions/{}", w.org_a, w.global), ma, None).await, 403);
        assert_eq!(status(&app, M::PUT, &format!("/api/v1/organizations/{}/subscriptions/{}", w.org_a, w.org_stream), aa, None).await, 404);

        // Users
        let users: Value = app.get("/api/v1/users", aa).await.json().await.unwrap();
        assert_eq!(users["meta"]["total"], 2);
        assert!(users["data"].as_array().unwrap().iter().all(|u| u["organization"]["name"] == "Org A" && u["organization"]["id"] == u["org_id"]), "{users}");
        assert_eq!(status(&app, M::GET, "/api/v1/users", ma, None).await, 403);
        let new = app.post("/api/v1/users", aa, json!({"email": "new@a.test", "password": "long enough pw", "full_name": "Newbie"})).await;
        assert_eq!(new.status(), 201);
        let new_id = new.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let taken = app.request(M::POST, "/api/v1/users", Some(aa), Some(json!({"email": "NEW@a.test", "password": "long enough pw"}))).await;
        assert_eq!(taken.status(), 409);
        assert_eq!(taken.json::<Value>().await.unwrap()["conflict"], "duplicate");
        assert_eq!(status(&app, M::POST, "/api/v1/users", aa, Some(json!({"email": "not-an-email", "password": "short"}))).await, 422);
        assert_eq!(status(&app, M::POST, "/api/v1/users", aa, Some(json!({"email": "x@a.test", "password": "long enough pw", "role": "platform_admin"}))).await, 403);
        let read: Value = app.get(&format!("/api/v1/users/{new_id}"), aa).await.json().await.unwrap();
        assert_eq!((read["email"].as_str(), read["organization"]["name"].as_str()), (Some("new@a.test"), Some("Org A")));
        let platform: Value = app.get(&format!("/api/v1/users/{}", w.platform.0), &w.platform.1).await.json().await.unwrap();
        assert_eq!(platform["organization"], Value::Null, "a platform admin belongs to no organization");
        assert_eq!(status(&app, M::GET, &format!("/api/v1/users/{new_id}"), ab, None).await, 404);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/users/{new_id}"), aa, Some(json!({"full_name": "Renamed"}))).await, 200);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/users/{}", w.member_a.0), ma, Some(json!({"role": "org_admin"}))).await, 403);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/users/{new_id}"), aa, None).await, 204);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/users/{}", w.admin_a.0), aa, None).await, 403);

        // Streams
        let streams: Value = app.get("/api/v1/streams", ma).await.json().await.unwrap();
        assert_eq!(streams["meta"]["total"], 2);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/streams/{}", w.org_stream), ma, None).await, 200);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/streams/{}", w.org_stream), mb, None).await, 404);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/streams/{}", w.org_stream), aa, Some(json!({"purpose": "New purpose"}))).await, 200);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/streams/{}", w.org_stream), ma, Some(json!({"purpose": "x"}))).await, 403);
        let bad_template = json!({"enrichment_config": {"prompts": {"article_summary": {"system_prompt": "s", "user_prompt_template": "{title} {password_hash}"}}}});
        let r = app.request(M::PATCH, &format!("/api/v1/streams/{}", w.org_stream), Some(aa), Some(bad_template)).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "enrichment_config.prompts.article_summary.user_prompt_template");
        assert_eq!(status(&app, M::POST, "/api/v1/streams", ma, Some(json!({"stream_name": "x", "purpose": "y", "scope": "global"}))).await, 403);
        let listed: Value = app.get(&format!("/api/v1/streams/{}/reports", w.org_stream), aa).await.json().await.unwrap();
        assert_eq!(listed["data"][0]["article_count"], 3);
        let temp = app.post("/api/v1/streams", ma, json!({"stream_name": "temp", "purpose": "p"})).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/streams/{temp}"), ma, None).await, 204);

        // Articles
        let article: Value = app.get(&format!("/api/v1/articles/{}", w.articles[0]), mb).await.json().await.unwrap();
        assert_eq!(article["doi"], "10.1/a");
        assert_eq!(status(&app, M::GET, "/api/v1/articles/999999", mb, None).await, 404);
        assert_eq!(status(&app, M::POST, "/api/v1/articles/bulk", ma, Some(json!({"articles": [{"title": "x"}]}))).await, 403);
        let upd = app.request(M::PATCH, "/api/v1/articles/bulk", Some(pa), Some(json!({"updates": [{"article_id": w.articles[1], "journal": "Cell", "doi": "10.1/b"}]}))).await;
        assert_eq!(upd.json::<Value>().await.unwrap()["updated"], 1);
        assert_eq!(status(&app, M::PATCH, "/api/v1/articles/bulk", pa, Some(json!({"updates": [{"article_id": w.articles[1], "doi": "10.1/a"}]}))).await, 409);
        assert_eq!(status(&app, M::PATCH, "/api/v1/articles/bulk", pa, Some(json!({"updates": [{"article_id": 999999, "title": "t"}]}))).await, 422);

        // Reports
        let report: Value = app.get(&format!("/api/v1/reports/{}", w.report), aa).await.json().await.unwrap();
        assert_eq!(report["articles"].as_array().unwrap().len(), 3);
        assert_eq!(report["articles"][0]["ranking"], 1);
        assert_eq!(report["enrichments"]["executive_summary"], Value::Null);
        let list: Value = app.get(&format!("/api/v1/reports?stream_id={}&approval_status=draft", w.org_stream), aa).await.json().await.unwrap();
        assert_eq!(list["meta"]["total"], 1);
        assert_eq!(status(&app, M::GET, "/api/v1/reports?approval_status=bogus", aa, None).await, 400);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/reports/{}", w.report), aa, Some(json!({"report_name": "Week 1 (final)"}))).await, 200);
        assert_eq!(status(&app, M::POST, &format!("/api/v1/streams/{}/reports", w.org_stream), aa, Some(json!({"report_name": "bad", "report_date": "2026-01-01", "articles": [{"article_id": 424242}]}))).await, 422);

        // Curation
        let (r, a0, a1) = (w.report, w.articles[0], w.articles[1]);
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/articles/{a0}/exclude"), aa, Some(json!({"notes": "off topic"}))).await, 200);
        let again = app.request(M::POST, &format!("/api/v1/reports/{r}/articles/{a0}/exclude"), Some(aa), None).await;
        assert_eq!(again.status(), 409);
        assert_eq!(again.json::<Value>().await.unwrap()["conflict"], "already_done");
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/articles/{a0}/include"), aa, None).await, 200);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/reports/{r}/articles/{a1}"), aa, Some(json!({"ai_summary": "Curated text", "notes": "tightened"}))).await, 200);
        assert_eq!(status(&app, M::PATCH, &format!("/api/v1/reports/{r}/articles/{a1}"), aa, Some(json!({"presentation_categories": ["nope"]}))).await, 422);
        let order: Vec<i32> = w.articles.iter().rev().copied().collect();
        assert_eq!(status(&app, M::PUT, &format!("/api/v1/reports/{r}/ranking"), aa, Some(json!({"article_ids": order}))).await, 204);
        let partial = app.request(M::PUT, &format!("/api/v1/reports/{r}/ranking"), Some(aa), Some(json!({"article_ids": [a0]}))).await;
        assert_eq!(partial.status(), 409);
        assert_eq!(partial.json::<Value>().await.unwrap()["conflict"], "stale");
        assert_eq!(status(&app, M::PUT, &format!("/api/v1/reports/{r}/ranking"), aa, Some(json!({"article_ids": [a0, a0]}))).await, 422);
        let reordered: Value = app.get(&format!("/api/v1/reports/{r}"), aa).await.json().await.unwrap();
        assert_eq!(reordered["articles"][0]["id"], *w.articles.last().unwrap());

        // Summaries (offline provider)
        let estimate: Value = app.post(&format!("/api/v1/reports/{r}/summarize?dry_run=true"), aa, json!({})).await.json().await.unwrap();
        assert_eq!(estimate["dry_run"], true);
        assert!(estimate["llm_calls"].as_u64().unwrap() >= 2, "{estimate}");
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/summarize?dry_run=perhaps"), aa, Some(json!({}))).await, 400);
        let summary = app.post(&format!("/api/v1/reports/{r}/summarize"), aa, json!({})).await;
        assert_eq!(summary.status(), 200);
        let summary: Value = summary.json().await.unwrap();
        assert_eq!(summary["provider"], "offline");
        assert_eq!(summary["article_summaries"], 2, "the curated summary is kept");
        assert!(summary["category_summaries"]["immuno"].is_string());
        let preview = app.post(&format!("/api/v1/reports/{r}/summaries/preview"), aa, json!({"prompt_type": "executive_summary"})).await;
        assert_eq!(preview.status(), 200);
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/summaries/preview"), aa, Some(json!({"prompt_type": "article_summary", "user_prompt_template": "{nope}"}))).await, 422);
        let usage: Value = app.get(&format!("/api/v1/organizations/{}/usage", w.org_a), aa).await.json().await.unwrap();
        assert!(usage[0]["calls"].as_i64().unwrap() >= 4);

        // Approval and the audit trail
        assert_eq!(status(&app, M::GET, &format!("/api/v1/reports/{r}"), ma, None).await, 404, "a draft: members do not see it");
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/reject"), aa, Some(json!({"reason": ""}))).await, 422);
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/approve"), aa, None).await, 409, "a draft is submitted first");
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/submit"), aa, None).await, 200);
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/approve"), aa, None).await, 200);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/reports/{r}"), ma, None).await, 200);
        let frozen = app.request(M::PATCH, &format!("/api/v1/reports/{r}"), Some(aa), Some(json!({"report_name": "Renamed"}))).await;
        assert_eq!(frozen.status(), 409);
        assert_eq!(frozen.headers()["content-type"], "application/problem+json");
        let problem: Value = frozen.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("reopen"), "{problem}");
        assert_eq!(problem["conflict"], "report_status", "the rule is named for clients to branch on");
        assert_eq!(status(&app, M::POST, &format!("/api/v1/reports/{r}/reject"), ma, Some(json!({"reason": "no"}))).await, 403);
        let events: Value = app.get(&format!("/api/v1/reports/{r}/events"), aa).await.json().await.unwrap();
        let kinds: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
        // The article update above changed an article this report holds.
        assert_eq!(kinds, vec!["update_article", "exclude_article", "include_article", "edit_article", "reorder", "submit", "approve"]);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/reports/{r}"), ma, None).await, 403);
        assert_eq!(status(&app, M::DELETE, &format!("/api/v1/reports/{r}"), aa, None).await, 204);
        assert_eq!(status(&app, M::GET, &format!("/api/v1/reports/{r}"), aa, None).await, 404);
        app.stop().await;
    }
}
