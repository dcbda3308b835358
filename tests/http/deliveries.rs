//! Approved reports mailed to their readers through a real SMTP server
//! (aiosmtpd), each message read back by a third-party parser
//! (`mail-parser`): one per reader, none to those who may not read the
//! stream or who opted out, one-click unsubscribing, re-approval mailing
//! only those who got the first version, and a relay's deferrals retried
//! while its refusals fail visibly.

use std::time::Duration;

use entity::enums::UserRole;
use integration_tests::{TestApp, World, spawn_app, spawn_app_with, world};
use mail_parser::MessageParser;
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::smtp::{Received, SmtpPeer};

async fn approve(app: &TestApp, w: &World) {
    let admin = Some(w.admin_a.1.as_str());
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

/// The report's deliveries once none is pending (or `within` passed).
async fn settled(app: &TestApp, token: &str, report: i32, within: Duration) -> Vec<Value> {
    let start = std::time::Instant::now();
    loop {
        let r = app
            .get(&format!("/api/v1/reports/{report}/deliveries"), token)
            .await;
        assert_eq!(r.status(), 200);
        let data = r.json::<Value>().await.unwrap()["data"]
            .as_array()
            .unwrap()
            .clone();
        if data.iter().all(|d| d["status"] != "pending") || start.elapsed() > within {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn by_recipient<'a>(got: &'a [Received], to: &str) -> Vec<&'a Received> {
    got.iter().filter(|m| m.to == to).collect()
}

backend_tests! {
    async fn approval_mails_each_reader_once_and_nobody_else(backend: Backend) {
        let smtp = SmtpPeer::start().await;
        let url = smtp.url();
        let app = spawn_app_with(backend, |s| s.delivery.smtp_url = Some(url.into())).await;
        let w = world(&app).await;
        let org_a = Some(w.org_a);
        let (_, opted_out) = app.user("opted-out@a.test", UserRole::Member, org_a).await;
        let (gone, _) = app.user("gone@a.test", UserRole::Member, org_a).await;
        let r = app.request(Method::PATCH, &format!("/api/v1/users/{gone}"), Some(&w.admin_a.1), Some(json!({"is_active": false}))).await;
        assert_eq!(r.status(), 200);
        let sub = format!("/api/v1/streams/{}/subscription", w.org_stream);
        let r = app.request(Method::DELETE, &sub, Some(&opted_out), None).await;
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"stream_id": w.org_stream, "subscribed": false, "chosen": true}));
        let mine: Value = app.get(&sub, &w.member_a.1).await.json().await.unwrap();
        assert_eq!(mine, json!({"stream_id": w.org_stream, "subscribed": true, "chosen": false}), "on by default");
        assert_eq!(app.get(&sub, &w.member_b.1).await.status(), 404, "another organization's stream");

        approve(&app, &w).await;
        let deliveries = settled(&app, &w.admin_a.1, w.report, Duration::from_secs(30)).await;
        let mut recipients: Vec<&str> = deliveries.iter().map(|d| d["recipient"].as_str().unwrap()).collect();
        recipients.sort();
        assert_eq!(recipients, ["admin@a.test", "member@a.test"], "{deliveries:?}");
        assert!(deliveries.iter().all(|d| d["status"] == "sent" && d["attempts"] == 1), "{deliveries:?}");
        let got = smtp.wait_for(2, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 2, "one message per reader");
        // The outbox is listed a page at a time, oldest first.
        let second: Value = app.get(&format!("/api/v1/reports/{}/deliveries?offset=1&limit=1", w.report), &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(second["meta"], json!({"offset": 1, "limit": 1, "total": 2}), "{second}");
        assert_eq!(second["data"].as_array().map(Vec::len), Some(1), "{second}");
        assert_eq!(second["data"][0]["id"], deliveries[1]["id"], "{second}");

        let to_member = by_recipient(&got, "member@a.test");
        assert_eq!(to_member.len(), 1);
        let message = MessageParser::default().parse(&to_member[0].raw).unwrap();
        let delivery = deliveries.iter().find(|d| d["recipient"] == "member@a.test").unwrap();
        let host = "127.0.0.1";
        assert_eq!(message.message_id(), Some(format!("delivery-{}@{host}", delivery["id"]).as_str()));
        assert_eq!(message.subject(), Some("organization stream: Week 1"));
        let text = message.body_text(0).unwrap();
        assert!(text.contains("Exhausted T cells in tumours"), "{text}");
        assert!(text.contains("https://doi.org/10.1/a"), "{text}");
        let html = message.body_html(0).unwrap();
        assert!(html.contains("<a href=\"https://doi.org/10.1/a\""), "{html}");
        assert!(!html.contains("<img") && !html.contains("<link"), "nothing remote: {html}");
        let unsubscribe = message.header_raw("List-Unsubscribe").unwrap().trim().to_owned();
        assert_eq!(message.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
        let link = unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
        assert!(link.contains("/api/v1/unsubscribe?token="), "{link}");

        // Readers see no outbox; the one-click link needs no sign-in.
        assert_eq!(app.get(&format!("/api/v1/reports/{}/deliveries", w.report), &w.member_a.1).await.status(), 403);
        let tampered = link.replace("token=", "token=9");
        let r = app.client.post(&tampered).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = app.client.post(&link).header("content-type", "application/x-www-form-urlencoded").body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let mine: Value = app.get(&sub, &w.member_a.1).await.json().await.unwrap();
        assert_eq!(mine["subscribed"], false);

        // Approved again: only those who got the first version, told what
        // changed — and not the member who has unsubscribed since.
        let admin = Some(w.admin_a.1.as_str());
        let r = app.request(Method::POST, &format!("/api/v1/reports/{}/reopen", w.report), admin, Some(json!({"reason": "A retraction"}))).await;
        assert_eq!(r.status(), 200);
        let r = app.request(Method::POST, &format!("/api/v1/reports/{}/articles/{}/exclude", w.report, w.articles[1]), admin, None).await;
        assert_eq!(r.status(), 200);
        approve(&app, &w).await;
        let deliveries = settled(&app, &w.admin_a.1, w.report, Duration::from_secs(30)).await;
        assert_eq!(deliveries.len(), 3, "{deliveries:?}");
        let got = smtp.wait_for(3, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 3);
        let to_admin = by_recipient(&got, "admin@a.test");
        assert_eq!(to_admin.len(), 2);
        let update = MessageParser::default().parse(&to_admin[1].raw).unwrap();
        assert_eq!(update.subject(), Some("Updated: organization stream: Week 1"));
        let text = update.body_text(0).unwrap();
        assert!(text.contains("A retraction") && text.contains("an article was removed"), "{text}");
        assert!(!text.contains("CAR T persistence"), "the removed article is gone: {text}");
        assert_ne!(update.message_id(), MessageParser::default().parse(&to_admin[0].raw).unwrap().message_id());
        assert!(got.iter().all(|m| m.to.ends_with("@a.test") && m.to != "opted-out@a.test" && m.to != "gone@a.test"));
        app.stop().await;
    }
}

backend_tests! {
    async fn a_relays_deferral_is_retried_and_its_refusal_fails_the_delivery_visibly(backend: Backend) {
        let smtp = SmtpPeer::start().await;
        let url = smtp.url();
        let app = spawn_app_with(backend, |s| {
            s.delivery.smtp_url = Some(url.into());
            s.delivery.retry_base_secs = 0.05;
        })
        .await;
        let w = world(&app).await;
        app.user("defer-me@a.test", UserRole::Member, Some(w.org_a)).await;
        app.user("reject-me@a.test", UserRole::Member, Some(w.org_a)).await;
        approve(&app, &w).await;
        let deliveries = settled(&app, &w.admin_a.1, w.report, Duration::from_secs(60)).await;
        let of = |to: &str| deliveries.iter().find(|d| d["recipient"] == to).unwrap().clone();
        let deferred = of("defer-me@a.test");
        assert_eq!(deferred["status"], "sent", "{deferred}");
        assert_eq!(deferred["attempts"], 3, "deferred twice, then taken: {deferred}");
        let refused = of("reject-me@a.test");
        assert_eq!(refused["status"], "failed", "{refused}");
        assert_eq!(refused["attempts"], 1, "a refusal is not retried: {refused}");
        assert!(refused["last_error"].as_str().unwrap().contains("550"), "{refused}");
        let got = smtp.wait_for(4, Duration::from_secs(10)).await;
        assert_eq!(by_recipient(&got, "defer-me@a.test").len(), 1);
        assert!(by_recipient(&got, "reject-me@a.test").is_empty());

        // A failed delivery can be retried by its curators, not a sent one.
        let retry = |id: &Value| format!("/api/v1/deliveries/{id}/retry");
        assert_eq!(app.request(Method::POST, &retry(&refused["id"]), Some(&w.member_a.1), None).await.status(), 403);
        assert_eq!(app.request(Method::POST, &retry(&refused["id"]), Some(&w.admin_b.1), None).await.status(), 404);
        assert_eq!(app.request(Method::POST, &retry(&deferred["id"]), Some(&w.admin_a.1), None).await.status(), 409);
        let r = app.request(Method::POST, &retry(&refused["id"]), Some(&w.admin_a.1), None).await;
        assert_eq!(r.status(), 200);
        let deliveries = settled(&app, &w.admin_a.1, w.report, Duration::from_secs(30)).await;
        let again = deliveries.iter().find(|d| d["recipient"] == "reject-me@a.test").unwrap();
        assert_eq!(again["status"], "failed");
        assert_eq!(again["attempts"], 2);
        app.stop().await;
    }
}

backend_tests! {
    async fn without_a_relay_each_message_is_an_eml_file_and_curators_preview_the_mail(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let preview = format!("/api/v1/reports/{}/email-preview", w.report);
        let r = app.get(&preview, &w.admin_a.1).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(html.contains("Exhausted T cells in tumours") && !html.contains("Unsubscribe"), "{html}");
        assert_eq!(app.get(&preview, &w.member_a.1).await.status(), 404, "a member sees no draft");

        approve(&app, &w).await;
        let deliveries = settled(&app, &w.admin_a.1, w.report, Duration::from_secs(30)).await;
        assert!(deliveries.iter().all(|d| d["status"] == "sent"), "{deliveries:?}");
        let outbox = app.db.files_dir().join("outbox");
        for d in &deliveries {
            let raw = tokio::fs::read(outbox.join(format!("delivery-{}.eml", d["id"]))).await.unwrap();
            let message = MessageParser::default().parse(&raw).unwrap();
            assert_eq!(message.to().unwrap().first().unwrap().address(), d["recipient"].as_str());
            assert!(message.body_html(0).unwrap().contains("Exhausted T cells in tumours"));
            assert!(message.header_raw("List-Unsubscribe").is_some());
        }
        app.stop().await;
    }
}

backend_tests! {
    async fn a_streams_send_time_holds_its_mail_until_then(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let path = format!("/api/v1/streams/{}", w.org_stream);
        let categories = json!([{"id": "immuno", "name": "Immunology", "topics": ["T cells"]}]);
        let r = app
            .request(Method::PATCH, &path, Some(&w.admin_a.1),
                Some(json!({"presentation_config": {"categories": categories, "send_at": {"time": "25:00", "time_zone": "Nowhere/Else"}}})))
            .await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["presentation_config.send_at.time", "presentation_config.send_at.time_zone"], "{problem}");
        // Two hours from now in UTC, to the minute: later today or early tomorrow.
        let at = service::chrono::Utc::now() + service::chrono::Duration::hours(2);
        let time = at.format("%H:%M").to_string();
        let r = app
            .request(Method::PATCH, &path, Some(&w.admin_a.1),
                Some(json!({"presentation_config": {"categories": categories, "send_at": {"time": time, "time_zone": "UTC"}}})))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        approve(&app, &w).await;
        // The workers look every second: two looks later, nothing went.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let r: Value = app.get(&format!("/api/v1/reports/{}/deliveries", w.report), &w.admin_a.1).await.json().await.unwrap();
        let data = r["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        for d in data {
            assert_eq!(d["status"], "pending", "{d}");
            assert_eq!(d["attempts"], 0, "{d}");
            let due: service::chrono::DateTime<service::chrono::Utc> = d["next_attempt_at"].as_str().unwrap().parse().unwrap();
            assert_eq!(due.format("%H:%M").to_string(), time, "{d}");
            assert!(due > service::chrono::Utc::now() + service::chrono::Duration::minutes(100), "{d}");
        }
        app.stop().await;
    }
}
