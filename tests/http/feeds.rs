//! Feeds of approved reports, read by `feed-rs` (a third-party parser of
//! Atom and JSON Feed): what enters a feed, conditional GET, and feed
//! tokens that open one feed and die with their user's sign-ins.

use integration_tests::{PASSWORD, TestApp, World, spawn_app, world};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use test_support::backend_tests;

async fn get(app: &TestApp, url: &str, bearer: Option<&str>, etag: Option<&str>) -> Response {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", app.address)
    };
    let mut r = app.client.get(url);
    if let Some(token) = bearer {
        r = r.bearer_auth(token);
    }
    if let Some(tag) = etag {
        r = r.header("if-none-match", tag);
    }
    r.send().await.unwrap()
}

fn parse(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}:\n{body}"))
}

async fn approve(app: &TestApp, w: &World) {
    let admin = Some(w.admin_a.1.as_str());
    let r = app
        .request(
            Method::POST,
            &format!(
                "/api/v1/reports/{}/articles/{}/exclude",
                w.report, w.articles[2]
            ),
            admin,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/reports/{}/summaries", w.report),
            admin,
            Some(json!({"executive_summary": "T cells <recover> & persist."})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for step in ["submit", "approve"] {
        let r = app
            .request(
                Method::POST,
                &format!("/api/v1/reports/{}/{step}", w.report),
                admin,
                None,
            )
            .await;
        assert_eq!(r.status(), 200, "{step}");
    }
}

backend_tests! {
    async fn a_feed_holds_approved_reports_only_and_answers_304_until_it_changes(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let atom = format!("/api/v1/streams/{}/feed.atom", w.org_stream);
        // A draft is in no feed.
        let r = get(&app, &atom, Some(&w.member_a.1), None).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
        assert!(parse(&r.text().await.unwrap()).entries.is_empty());

        approve(&app, &w).await;
        let r = get(&app, &atom, Some(&w.member_a.1), None).await;
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let feed = parse(&r.text().await.unwrap());
        assert_eq!(feed.title.unwrap().content, "organization stream");
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(entry.title.as_ref().unwrap().content, "Week 1");
        assert_eq!(entry.summary.as_ref().unwrap().content, "T cells <recover> & persist.");
        let html = entry.content.as_ref().unwrap().body.clone().unwrap();
        assert!(html.contains("Exhausted T cells in tumours"), "{html}");
        assert!(html.contains("href=\"https://doi.org/10.1/a\""), "{html}");
        assert!(html.contains("Immunology"), "the category's name: {html}");
        assert!(html.contains("T cells &lt;recover&gt; &amp; persist."), "escaped once in the HTML: {html}");
        assert!(!html.contains("Organoid co-culture"), "an excluded article is not in the feed");

        // Unchanged: 304 with no body; the JSON Feed has the same entry.
        let r = get(&app, &atom, Some(&w.member_a.1), Some(&etag)).await;
        assert_eq!(r.status(), 304);
        assert!(r.text().await.unwrap().is_empty());
        let r = get(&app, &format!("/api/v1/streams/{}/feed.json", w.org_stream), Some(&w.member_a.1), None).await;
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/feed+json"));
        let json_feed = parse(&r.text().await.unwrap());
        assert_eq!(json_feed.entries.len(), 1);
        assert_eq!(json_feed.entries[0].id, entry.id);

        // Reopened, the report leaves the feed and the tag changes.
        let r = app.request(Method::POST, &format!("/api/v1/reports/{}/reopen", w.report), Some(&w.admin_a.1), Some(json!({"reason": "A late correction"}))).await;
        assert_eq!(r.status(), 200);
        let r = get(&app, &atom, Some(&w.member_a.1), Some(&etag)).await;
        assert_eq!(r.status(), 200);
        assert!(parse(&r.text().await.unwrap()).entries.is_empty());

        // Without a credential, 401; another organization, 404.
        assert_eq!(get(&app, &atom, None, None).await.status(), 401);
        assert_eq!(get(&app, &atom, Some(&w.member_b.1), None).await.status(), 404);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_feed_token_opens_its_feed_alone_until_revoked_or_its_user_signs_in_anew(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        approve(&app, &w).await;
        let tokens = format!("/api/v1/streams/{}/feed-tokens", w.org_stream);
        let r = app.post(&tokens, &w.member_a.1, json!({})).await;
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let secret = created["token"].as_str().unwrap().to_owned();
        let atom_url = created["atom_url"].as_str().unwrap().to_owned();
        assert!(atom_url.ends_with(&format!("/api/v1/streams/{}/feed.atom?token={secret}", w.org_stream)), "{atom_url}");

        // The URL alone reads the feed, as its user would.
        let r = get(&app, &atom_url, None, None).await;
        assert_eq!(r.status(), 200);
        let feed = parse(&r.text().await.unwrap());
        assert_eq!(feed.entries.len(), 1);
        let r = get(&app, created["json_url"].as_str().unwrap(), None, None).await;
        assert_eq!(r.status(), 200);

        // It opens nothing else: not another stream's feed, not the API.
        let other = format!("/api/v1/streams/{}/feed.atom?token={secret}", w.global);
        assert_eq!(get(&app, &other, None, None).await.status(), 401);
        assert_eq!(get(&app, "/api/v1/auth/me", Some(&secret), None).await.status(), 401);
        let r = get(&app, &format!("/api/v1/streams/{}/feed.atom?token=guess", w.org_stream), None, None).await;
        assert_eq!(r.status(), 401);

        // Listed without its secret; another user sees none of them.
        let listed: Value = app.get(&tokens, &w.member_a.1).await.json().await.unwrap();
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        assert!(!listed.to_string().contains(&secret));
        let theirs: Value = app.get(&tokens, &w.admin_a.1).await.json().await.unwrap();
        assert!(theirs["data"].as_array().unwrap().is_empty());
        assert_eq!(app.post(&tokens, &w.member_b.1, json!({})).await.status(), 404, "a stream the caller cannot see");

        // Revoked: the URL stops working at once.
        let id = created["id"].as_i64().unwrap();
        let r = app.request(Method::DELETE, &format!("{tokens}/{id}"), Some(&w.admin_a.1), None).await;
        assert_eq!(r.status(), 404, "only its owner revokes it");
        let r = app.request(Method::DELETE, &format!("{tokens}/{id}"), Some(&w.member_a.1), None).await;
        assert_eq!(r.status(), 204);
        assert_eq!(get(&app, &atom_url, None, None).await.status(), 401);

        // A password change ends every token the user held before.
        let r = app.post(&tokens, &w.member_a.1, json!({})).await;
        let url = r.json::<Value>().await.unwrap()["atom_url"].as_str().unwrap().to_owned();
        assert_eq!(get(&app, &url, None, None).await.status(), 200);
        let r = app
            .request(Method::PUT, "/api/v1/auth/password", Some(&w.member_a.1),
                Some(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"})))
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(get(&app, &url, None, None).await.status(), 401);
        app.stop().await;
    }
}
