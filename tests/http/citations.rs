//! Summaries that cite their articles and are checked: each sentence names
//! the articles it draws on, and curators see the sentences whose
//! citations or numbers no cited article supports; readers see the
//! citations, not the flags.

use integration_tests::{TestApp, World, spawn_app, spawn_app_with, use_llm_at, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;
use test_support::mock_llm::{Action, MockConfig, MockLlm, Rule};

/// Four articles whose abstracts state counts, percentages, p-values,
/// doses, durations and years, and names that hold digits (RASA2, IL-6,
/// CD8) that are no numbers; a draft report of them in the organization's
/// stream, in this order, all in `immuno`. The report's id and the
/// articles' ids.
async fn numeric_report(app: &TestApp, w: &World) -> (i32, Vec<i32>) {
    let r = app
        .post(
            "/api/v1/articles/bulk",
            &w.platform.1,
            json!({"articles": [
                {"title": "PD-1 blockade in melanoma", "abstract": "Response rose to 16% in 120 patients (p < 0.05). Exhausted T cells recovered within 12 weeks. The effect lasted 2.5 years in responders."},
                {"title": "CAR T persistence at dose", "abstract": "CAR T cells persisted 3.5-fold longer at 5 mg/kg. Knockout of RASA2 extended survival to 48 days. Mice treated for five days lived longer."},
                {"title": "Organoids predict response", "abstract": "Organoids predicted response in 42 of 50 patients. Accuracy was 84 percent across 3 cohorts. IL-6 levels fell by 1,200 pg."},
                {"title": "Microbiome and immunotherapy", "abstract": "Gut bacteria shaped responses in 2025 cohorts. Antibiotics cut response by 30%. CD8 counts doubled in responders."}
            ]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let ids: Vec<i32> = r.json::<Value>().await.unwrap()["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i32)
        .collect();
    let body = json!({"report_name": "Numbers", "report_date": "2026-03-09",
        "articles": ids.iter().map(|a| json!({"article_id": a, "presentation_categories": ["immuno"]})).collect::<Vec<_>>()});
    let r = app
        .post(
            &format!("/api/v1/streams/{}/reports", w.org_stream),
            &w.admin_a.1,
            body,
        )
        .await;
    assert_eq!(r.status(), 201);
    (
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32,
        ids,
    )
}

/// An app whose LLM answers the Immunology category prompt with `category`
/// and the executive prompt with `executive`, its world, and the report of
/// [`numeric_report`] with its articles' ids. The mock LLM is given back
/// to be kept alive for the test.
async fn summarized_by(
    backend: test_support::Backend,
    category: &str,
    executive: &str,
) -> (MockLlm, TestApp, World, i32, Vec<i32>) {
    let llm = MockLlm::start(MockConfig::default()).await.unwrap();
    let base = llm.base_url();
    let app = spawn_app_with(backend, |s| use_llm_at(s, base)).await;
    let w = world(&app).await;
    let (report, ids) = numeric_report(&app, &w).await;
    for (matches, answer) in [
        ("Category: Immunology", category),
        ("Report: Numbers", executive),
    ] {
        llm.add_rule(Rule {
            matches: matches.into(),
            action: Action::Answer(answer.into()),
            times: None,
        });
    }
    (llm, app, w, report, ids)
}

/// Every sentence of the report's summaries with its article ids.
fn cited_sentences(enrichments: &Value) -> Vec<(String, Vec<i64>)> {
    let citations = &enrichments["citations"];
    let mut all: Vec<&Value> = citations["executive"].as_array().unwrap().iter().collect();
    for list in citations["categories"].as_object().unwrap().values() {
        all.extend(list.as_array().unwrap());
    }
    all.iter()
        .map(|s| {
            let ids = s["article_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_i64().unwrap())
                .collect();
            (s["text"].as_str().unwrap().to_owned(), ids)
        })
        .collect()
}

backend_tests! {
    async fn the_offline_summarizer_cites_every_sentence_and_no_check_flags_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let (report, ids) = numeric_report(&app, &w).await;
        let path = format!("/api/v1/reports/{report}");
        assert_eq!(app.post(&format!("{path}/summarize"), &w.admin_a.1, json!({})).await.status(), 200);
        let detail: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        let enrichments = &detail["enrichments"];
        assert_eq!(enrichments["checks"], json!([]), "false positives: {:#}", enrichments["checks"]);
        let sentences = cited_sentences(enrichments);
        assert!(sentences.len() >= 4, "{sentences:?}");
        for (text, cited) in &sentences {
            assert!(!cited.is_empty(), "{text} cites its article");
            assert!(cited.iter().all(|id| ids.contains(&(*id as i32))), "{text}: {cited:?}");
        }
        // Readers get the citations, not the flags.
        for step in ["submit", "approve"] {
            assert_eq!(app.post(&format!("{path}/{step}"), &w.admin_a.1, json!({})).await.status(), 200);
        }
        let read: Value = app.get(&path, &w.member_a.1).await.json().await.unwrap();
        assert_eq!(read["enrichments"]["checks"], Value::Null);
        assert_eq!(cited_sentences(&read["enrichments"]), sentences);
        app.stop().await;
    }
}

backend_tests! {
    async fn planted_errors_are_flagged_for_curators_and_an_edit_that_fixes_them_clears_them(backend: Backend) {
        // A changed number, an id the report does not have, a sentence
        // without a marker, a number taken from another article, and a
        // sentence that is right (`84 percent` is the abstract's `84
        // percent`; `16 %` its `16%`).
        let (_llm, app, w, report, ids) = summarized_by(
            backend,
            "Response rose to 18% in 120 patients [1]. CAR T cells persisted longer [2, 7]. Organoids predicted response. Antibiotics cut response by 30% [1]. Accuracy was 84 percent and response 16 % [3, 1].",
            "Blockade and organoids lead the week [Article 1] (3).",
        )
        .await;
        let path = format!("/api/v1/reports/{report}");
        assert_eq!(app.post(&format!("{path}/summarize"), &w.admin_a.1, json!({})).await.status(), 200);
        let detail: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        let enrichments = &detail["enrichments"];
        let flags: Vec<(String, u64, String, String)> = enrichments["checks"].as_array().unwrap().iter()
            .flat_map(|s| s["flags"].as_array().unwrap().iter().map(move |f| (
                s["summary"].as_str().unwrap().to_owned(),
                s["sentence"].as_u64().unwrap(),
                f["kind"].as_str().unwrap().to_owned(),
                f["detail"].as_str().unwrap().to_owned(),
            )))
            .collect();
        let expected = [
            ("immuno", 0, "unsupported_number", "18%"),
            ("immuno", 1, "unknown_citation", "[7] names no article of the report"),
            ("immuno", 2, "uncited", "cites no article"),
            ("immuno", 3, "unsupported_number", "30%"),
        ];
        assert_eq!(flags, expected.map(|(a, b, c, d)| (a.to_owned(), b, c.to_owned(), d.to_owned())), "{:#}", enrichments["checks"]);
        // Markers in other forms are read: the executive sentence cites
        // articles 1 and 3.
        assert_eq!(enrichments["citations"]["executive"], json!([{"text": "Blockade and organoids lead the week.", "article_ids": [ids[0], ids[2]]}]));
        assert_eq!(enrichments["citations"]["categories"]["immuno"][4]["article_ids"], json!([ids[2], ids[0]]));

        let edited = app.request(Method::PATCH, &format!("{path}/summaries"), Some(&w.admin_a.1),
            Some(json!({"category_summaries": {"immuno": "Response rose to 16 percent in 120 patients [1]. Antibiotics cut response by 30% [4]."}}))).await;
        assert_eq!(edited.status(), 200);
        let edited: Value = edited.json().await.unwrap();
        assert_eq!(edited["checks"], json!([]), "the edit's checks come with it");
        let detail: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(detail["enrichments"]["checks"], json!([]));
        app.stop().await;
    }
}

backend_tests! {
    async fn a_stream_that_requires_checked_summaries_approves_once_every_flag_is_fixed_or_acknowledged(backend: Backend) {
        // Sentences 0 (a changed number), 1 (an unknown id) and 2 (no
        // marker) are flagged; 3 is right.
        let (_llm, app, w, report, _) = summarized_by(
            backend,
            "Response rose to 18% in 120 patients [1]. CAR T cells persisted longer [2, 7]. Organoids predicted response. Accuracy was 84 percent [3].",
            "Blockade and organoids lead the week [1, 3].",
        )
        .await;
        let setting = app.request(Method::PATCH, &format!("/api/v1/streams/{}", w.org_stream), Some(&w.admin_a.1),
            Some(json!({"enrichment_config": {"require_checked_summaries": true}}))).await;
        assert_eq!(setting.status(), 200);
        let path = format!("/api/v1/reports/{report}");
        for step in ["summarize", "submit"] {
            assert_eq!(app.post(&format!("{path}/{step}"), &w.admin_a.1, json!({})).await.status(), 200);
        }
        let refused = app.post(&format!("{path}/approve"), &w.admin_a.1, json!({})).await;
        assert_eq!(refused.status(), 409);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["conflict"], "unchecked_summaries");
        let detail = problem["detail"].as_str().unwrap();
        for named in ["immuno sentence 0 \"Response rose to 18% in 120 patients.\" (unsupported_number 18%)",
            "immuno sentence 1", "immuno sentence 2 \"Organoids predicted response.\" (uncited"] {
            assert!(detail.contains(named), "{named} in {detail}");
        }
        assert!(!detail.contains("sentence 3"), "{detail}");
        let read: Value = app.get(&path, &w.admin_a.1).await.json().await.unwrap();
        assert_eq!(read["approval_status"], "awaiting_approval", "a refused approval changes nothing");

        let ack = |sentence: u64, reason: &str| json!({"summary": "immuno", "sentence": sentence, "reason": reason});
        let acks = format!("{path}/acknowledgements");
        // Only curators acknowledge (to a member, a report that is not
        // approved is not there), only flagged sentences of summaries the
        // report has.
        assert_eq!(app.post(&acks, &w.member_a.1, ack(0, "fine")).await.status(), 404);
        assert_eq!(app.post(&acks, &w.admin_a.1, ack(3, "fine")).await.json::<Value>().await.unwrap()["conflict"], "already_done");
        let unknown = app.post(&acks, &w.admin_a.1, json!({"summary": "oncology", "sentence": 0, "reason": "fine"})).await;
        assert_eq!(unknown.status(), 409);
        assert_eq!(unknown.json::<Value>().await.unwrap()["conflict"], "stale");
        let past_the_end = app.post(&acks, &w.admin_a.1, ack(9, "fine")).await;
        assert_eq!(past_the_end.json::<Value>().await.unwrap()["conflict"], "stale");
        assert_eq!(app.post(&acks, &w.admin_a.1, json!({"summary": "immuno", "sentence": 1, "reason": "  "})).await.status(), 422);

        let answer = app.post(&acks, &w.admin_a.1, ack(1, "article 7 is the preprint of article 2")).await;
        assert_eq!(answer.status(), 200);
        let checks: Value = answer.json().await.unwrap();
        let checks = checks["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 3, "acknowledged sentences stay listed: {checks:#?}");
        assert_eq!(checks[1]["acknowledged"]["reason"], "article 7 is the preprint of article 2");
        assert_eq!(checks[0]["acknowledged"], Value::Null);
        assert_eq!(app.post(&acks, &w.admin_a.1, ack(2, "a summary of the category")).await.status(), 200);

        // Sentence 0 is fixed by an edit; the edit also rewrites sentence
        // 2, whose acknowledgement was of the old text, so it asks again.
        let text = "Response rose to 16% in 120 patients [1]. CAR T cells persisted longer [2, 7]. Organoids predicted most responses. Accuracy was 84 percent [3].";
        let edited = app.request(Method::PATCH, &format!("{path}/summaries"), Some(&w.admin_a.1),
            Some(json!({"category_summaries": {"immuno": text}}))).await;
        assert_eq!(edited.status(), 200);
        let refused = app.post(&format!("{path}/approve"), &w.admin_a.1, json!({})).await;
        assert_eq!(refused.status(), 409);
        let detail = refused.json::<Value>().await.unwrap()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("1 flagged sentence(s)") && detail.contains("Organoids predicted most responses."), "{detail}");
        assert_eq!(app.post(&acks, &w.admin_a.1, ack(2, "a summary of the category")).await.status(), 200);

        assert_eq!(app.post(&format!("{path}/approve"), &w.admin_a.1, json!({})).await.status(), 200);
        let events: Value = app.get(&format!("{path}/events"), &w.admin_a.1).await.json().await.unwrap();
        let acknowledged: Vec<&Value> = events["data"].as_array().unwrap().iter()
            .filter(|e| e["event_type"] == "acknowledge_check").collect();
        assert_eq!(acknowledged.len(), 3);
        assert_eq!(acknowledged[0]["notes"], "article 7 is the preprint of article 2");
        assert_eq!(acknowledged[0]["details"]["sentence"], "CAR T cells persisted longer.");
        assert_eq!(acknowledged[0]["details"]["flags"], json!(["unknown_citation"]));
        app.stop().await;
    }
}

backend_tests! {
    async fn citations_travel_as_links_in_feeds_and_mails_and_as_data_in_exports(backend: Backend) {
        let (_llm, app, w, report, ids) = summarized_by(
            backend,
            "Response rose to 16% in 120 patients [1]. Organoids predicted response in 42 of 50 patients [3].",
            "Blockade and organoids lead the week [1, 3].",
        )
        .await;
        let path = format!("/api/v1/reports/{report}");
        for step in ["summarize", "submit", "approve"] {
            assert_eq!(app.post(&format!("{path}/{step}"), &w.admin_a.1, json!({})).await.status(), 200, "{step}");
        }
        // The export carries, per article, the sentences that cite it.
        let r = app.get(&format!("{path}/export?format=csljson"), &w.member_a.1).await;
        assert_eq!(r.status(), 200);
        let items: Vec<Value> = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        let cited_in = |title: &str| items.iter().find(|i| i["title"] == title).unwrap()["custom"]["cited_in"].clone();
        assert_eq!(cited_in("PD-1 blockade in melanoma"), json!([
            {"summary": "Executive summary", "sentence": "Blockade and organoids lead the week."},
            {"summary": "Immunology", "sentence": "Response rose to 16% in 120 patients."},
        ]));
        assert_eq!(cited_in("Microbiome and immunotherapy"), Value::Null, "cited by no sentence");
        let csv = app.get(&format!("{path}/export?format=csv"), &w.member_a.1).await.text().await.unwrap();
        assert!(csv.contains("Executive summary: Blockade and organoids lead the week. | Immunology: Organoids predicted response in 42 of 50 patients."), "{csv}");

        // The feed's HTML (the mail's body too) numbers the articles in the
        // report's order and links each citation to its article.
        let r = app.get(&format!("/api/v1/streams/{}/feed.json", w.org_stream), &w.member_a.1).await;
        let feed: Value = r.json().await.unwrap();
        let html = feed["items"][0]["content_html"].as_str().unwrap();
        let cite = |n: usize| format!("<a href=\"#article-{n}\" style=\"color:#0969da;text-decoration:none\">{n}</a>");
        assert!(html.contains(&format!("Blockade and organoids lead the week [{}, {}].", cite(1), cite(3))), "{html}");
        assert!(html.contains(&format!("Response rose to 16% in 120 patients [{}].", cite(1))), "{html}");
        assert!(html.contains("<div id=\"article-3\""), "{html}");
        assert_eq!(feed["items"][0]["summary"], "Blockade and organoids lead the week [1, 3].");
        assert_eq!(ids.len(), 4);
        app.stop().await;
    }
}
