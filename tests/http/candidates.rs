//! The candidate pool: file imports in every format, deduplication across
//! formats and against the stream's reports, the listing's filters, and
//! curators' decisions (all or nothing, coded reasons, versions).

use integration_tests::{TestApp, World, fingerprint, spawn_app, world};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use test_support::backend_tests;

const RIS: &str = include_str!("../fixtures/imports/records.ris");
const BIBTEX: &str = include_str!("../fixtures/imports/records.bib");
const CSL_JSON: &str = include_str!("../fixtures/imports/records.json");
const PUBMED_XML: &str = include_str!("../fixtures/imports/records.xml");
const NBIB: &str = include_str!("../fixtures/imports/records.nbib");

/// `POST /streams/{stream}/imports` with a raw body; `format` as a query
/// parameter when given, else the content type decides.
async fn import(
    app: &TestApp,
    token: &str,
    stream: i32,
    format: Option<&str>,
    content_type: &str,
    body: &str,
) -> Response {
    let query = format.map(|f| format!("?format={f}")).unwrap_or_default();
    app.client
        .post(format!(
            "{}/api/v1/streams/{stream}/imports{query}",
            app.address
        ))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// An import that must succeed: its outcome.
async fn imported(app: &TestApp, token: &str, stream: i32, format: &str, body: &str) -> Value {
    let r = import(app, token, stream, Some(format), "text/plain", body).await;
    assert_eq!(r.status(), 200, "import of {format}");
    r.json().await.unwrap()
}

/// `(record, line)` of each rejected record of an outcome.
fn rejected(outcome: &Value) -> Vec<(i64, i64)> {
    outcome["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["record"].as_i64().unwrap(), r["line"].as_i64().unwrap()))
        .collect()
}

/// The line of the `n`th (from 1) line of `text` that starts with `start`.
fn line_of_nth(text: &str, start: &str, n: usize) -> i64 {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with(start))
        .nth(n - 1)
        .map(|(i, _)| i as i64 + 1)
        .unwrap()
}

async fn new_stream(app: &TestApp, w: &World, name: &str) -> i32 {
    let r = app
        .post(
            "/api/v1/streams",
            &w.admin_a.1,
            json!({"stream_name": name, "purpose": "Screen what arrives.", "scope": "organization"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32
}

async fn candidates(app: &TestApp, token: &str, stream: i32, query: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/streams/{stream}/candidates{query}"),
            token,
        )
        .await;
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.unwrap()
}

backend_tests! {
    async fn each_format_imports_its_records_and_names_each_rejected_one_by_line(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        // What the records said, as stored (the first source of a work
        // writes it): structured abstracts keep their labels, names their
        // order.
        let stream = new_stream(&app, &w, "fields").await;
        imported(&app, token, stream, "pubmed-xml", PUBMED_XML).await;
        let pool = candidates(&app, token, stream, "").await;
        let jinek = pool["data"].as_array().unwrap().iter()
            .map(|c| &c["article"])
            .find(|a| a["pmid"] == "22745249")
            .expect("the CRISPR record")
            .clone();
        assert_eq!(jinek["doi"], "10.1126/science.1225829");
        assert_eq!(jinek["authors"], json!(["Jinek, Martin", "Charpentier, Emmanuelle"]));
        assert_eq!(jinek["journal"], "Science (New York, N.Y.)");
        assert_eq!(jinek["pub_year"], 2012);
        assert!(jinek["abstract"].as_str().unwrap().starts_with("BACKGROUND: Clustered"), "{jinek}");
        assert!(jinek["abstract"].as_str().unwrap().contains("\n\nRESULTS: Cas9"), "{jinek}");

        // (format, file, imported, duplicates within the file, rejected)
        let cases = [
            ("ris", RIS, 2, 1, vec![(3, line_of_nth(RIS, "TY  - ", 3))]),
            ("bibtex", BIBTEX, 2, 0, vec![(2, line_of_nth(BIBTEX, "@article{broken", 1))]),
            ("csljson", CSL_JSON, 2, 0, vec![(2, line_of_nth(CSL_JSON, "  {\"id\": \"bad\"", 1))]),
            ("pubmed-xml", PUBMED_XML, 2, 0, vec![(3, line_of_nth(PUBMED_XML, "<PubmedArticle>", 3))]),
            ("nbib", NBIB, 2, 0, vec![(3, line_of_nth(NBIB, "PMID- 99", 1))]),
        ];
        for (format, file, count, duplicates, rejects) in cases {
            let stream = new_stream(&app, &w, format).await;
            let outcome = imported(&app, token, stream, format, file).await;
            assert_eq!(outcome["imported"], count, "{format}: {outcome}");
            assert_eq!(outcome["duplicates"], duplicates, "{format}: {outcome}");
            assert_eq!(rejected(&outcome), rejects, "{format}: {outcome}");
            let pool = candidates(&app, token, stream, "").await;
            assert_eq!(pool["meta"]["total"], count, "{format}");
            for c in pool["data"].as_array().unwrap() {
                assert_eq!(c["status"], "new");
                assert_eq!(c["source"], "import");
                assert_eq!(c["version"], 1);
                assert!(!c["article"]["title"].as_str().unwrap().is_empty());
            }
            // The same file again: every record it stored is a duplicate now.
            let again = imported(&app, token, stream, format, file).await;
            assert_eq!(again["imported"], 0, "{format} again: {again}");
            assert_eq!(again["duplicates"], count + duplicates, "{format} again: {again}");
        }

    }
}

backend_tests! {
    async fn the_same_work_from_several_formats_is_one_candidate_and_a_report_article_is_a_duplicate(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = new_stream(&app, &w, "everything").await;
        // (format, new candidates, duplicates): each file repeats works the
        // ones before brought, by DOI or PMID.
        for (format, file, new, duplicates) in [
            ("ris", RIS, 2, 1),
            ("pubmed-xml", PUBMED_XML, 1, 1),
            ("nbib", NBIB, 1, 1),
            ("bibtex", BIBTEX, 0, 2),
            ("csljson", CSL_JSON, 1, 1),
        ] {
            let outcome = imported(&app, token, stream, format, file).await;
            assert_eq!((outcome["imported"].as_i64(), outcome["duplicates"].as_i64()), (Some(new), Some(duplicates)), "{format}: {outcome}");
        }
        let pool = candidates(&app, token, stream, "?limit=200").await;
        assert_eq!(pool["meta"]["total"], 5);
        let mut dois: Vec<&str> = pool["data"].as_array().unwrap().iter()
            .map(|c| c["article"]["doi"].as_str().unwrap()).collect();
        dois.sort_unstable();
        assert_eq!(dois, [
            "10.1016/j.cell.2011.02.013",
            "10.1016/s0140-6736(20)30925-9",
            "10.1038/s41586-021-03819-2",
            "10.1056/nejmoa2001017",
            "10.1126/science.1225829",
        ]);
        // A later source adds the identifier a work lacked, and nothing else.
        let zhu = pool["data"].as_array().unwrap().iter()
            .map(|c| &c["article"])
            .find(|a| a["doi"] == "10.1056/nejmoa2001017")
            .unwrap();
        assert_eq!(zhu["pmid"], "31978945", "from the PubMed XML");
        assert_eq!(zhu["journal"], "The New England Journal of Medicine", "from the RIS file, first");

        // A record with no identifier is the stored work of the same title
        // and year; an article of one of the stream's reports is known too.
        let title_only = "TY  - JOUR\nTI  - Hallmarks of Cancer - the Next Generation\nPY  - 2011\nER  - \n";
        let other = new_stream(&app, &w, "title only").await;
        let outcome = imported(&app, token, other, "ris", title_only).await;
        assert_eq!(outcome["imported"], 1, "{outcome}");
        let pool = candidates(&app, token, other, "").await;
        assert_eq!(pool["data"][0]["article"]["doi"], "10.1016/j.cell.2011.02.013", "matched on its title key");
        let outcome = imported(&app, token, stream, "ris", title_only).await;
        assert_eq!((outcome["imported"].as_i64(), outcome["duplicates"].as_i64()), (Some(0), Some(1)));

        let of_the_report = "TY  - JOUR\nTI  - Exhausted T cells in tumours\nDO  - 10.1/A\nER  - \n";
        let outcome = imported(&app, token, w.org_stream, "ris", of_the_report).await;
        assert_eq!((outcome["imported"].as_i64(), outcome["duplicates"].as_i64()), (Some(0), Some(1)), "{outcome}");
        // The import kept the shared article as it was.
        let article: Value = app.get(&format!("/api/v1/articles/{}", w.articles[0]), token).await.json().await.unwrap();
        assert_eq!(article["journal"], "J Imm");
    }
}

backend_tests! {
    async fn an_import_that_cannot_be_read_or_is_not_the_callers_to_make_changes_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let stream = w.org_stream;
        let before = fingerprint(&app.db.conn).await;
        let problem = |r: Response| async move {
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            r.json::<Value>().await.unwrap()
        };
        let r = import(&app, &w.admin_a.1, stream, Some("pubmed-xml"), "text/plain", "<PubmedArticleSet>\n<PubmedArticle>\n</Oops>").await;
        assert_eq!(r.status(), 422);
        let body = problem(r).await;
        assert_eq!(body["errors"][0]["field"], "body");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("line 3"), "{body}");
        let r = import(&app, &w.admin_a.1, stream, Some("endnote"), "text/plain", RIS).await;
        assert_eq!(r.status(), 422);
        assert_eq!(problem(r).await["errors"][0]["field"], "format");
        let r = import(&app, &w.admin_a.1, stream, None, "text/plain", RIS).await;
        assert_eq!(r.status(), 422, "no format and a content type that names none");
        let r = import(&app, &w.admin_a.1, stream, Some("csljson"), "text/plain", "{\"title\": 1").await;
        assert_eq!(r.status(), 422);
        let empty = import(&app, &w.admin_a.1, stream, Some("ris"), "text/plain", "").await;
        assert_eq!(empty.status(), 200, "an empty file imports nothing");
        // A reader of the stream may not import; another organization does not see it.
        let r = import(&app, &w.member_a.1, stream, Some("ris"), "text/plain", RIS).await;
        assert_eq!(r.status(), 403);
        let r = import(&app, &w.admin_b.1, stream, Some("ris"), "text/plain", RIS).await;
        assert_eq!(r.status(), 404);
        assert_eq!(app.get(&format!("/api/v1/streams/{stream}/candidates"), &w.member_a.1).await.status(), 403);
        assert_eq!(app.get(&format!("/api/v1/streams/{stream}/candidates"), &w.admin_b.1).await.status(), 404);
        assert_eq!(fingerprint(&app.db.conn).await, before, "nothing was stored");

        // The content type names the format when the parameter does not.
        let r = import(&app, &w.admin_a.1, stream, None, "application/x-research-info-systems; charset=utf-8", RIS).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    }
}

backend_tests! {
    async fn curators_decide_candidates_all_or_nothing_with_coded_reasons_and_versions(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = new_stream(&app, &w, "screening").await;
        let path = format!("/api/v1/streams/{stream}");
        let r = app.request(Method::PATCH, &path, Some(token), Some(json!({"retrieval_config": {"exclusion_reasons": [
            {"code": "off_topic", "label": "Off topic"}, {"code": "off_topic", "label": "Again"}]}}))).await;
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "retrieval_config.exclusion_reasons[1].code");
        let r = app.request(Method::PATCH, &path, Some(token), Some(json!({"retrieval_config": {"exclusion_reasons": [
            {"code": "off_topic", "label": "Off topic"}, {"code": "wrong_population", "label": "Wrong population"}]}}))).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["retrieval_config"]["exclusion_reasons"][1]["code"], "wrong_population");

        imported(&app, token, stream, "nbib", NBIB).await;
        let pool = candidates(&app, token, stream, "").await;
        let ids: Vec<i64> = pool["data"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 2);
        let decisions = format!("{path}/candidates/decisions");

        // Refused whole, naming the field: nothing is decided.
        let before = fingerprint(&app.db.conn).await;
        for (body, field) in [
            (json!({"decisions": [{"candidate_id": ids[0], "status": "excluded"}]}), "decisions[0].reason"),
            (json!({"decisions": [{"candidate_id": ids[0], "status": "excluded", "reason": "too_old"}]}), "decisions[0].reason"),
            (json!({"decisions": [{"candidate_id": ids[0], "status": "included", "reason": "off_topic"}]}), "decisions[0].reason"),
            (json!({"decisions": [{"candidate_id": ids[0], "status": "included"}, {"candidate_id": 999_999, "status": "included"}]}), "decisions[1].candidate_id"),
            (json!({"decisions": [{"candidate_id": ids[0], "status": "included"}, {"candidate_id": ids[0], "status": "excluded", "reason": "off_topic"}]}), "decisions[1].candidate_id"),
            (json!({"decisions": []}), "decisions"),
            (json!({"decisions": [{"candidate_id": ids[0], "status": "maybe"}]}), "decisions[0].status"),
        ] {
            let r = app.post(&decisions, token, body.clone()).await;
            assert_eq!(r.status(), 422, "{body}");
            assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], field, "{body}");
        }
        assert_eq!(app.post(&decisions, &w.member_a.1, json!({"decisions": [{"candidate_id": ids[0], "status": "included"}]})).await.status(), 403);
        assert_eq!(fingerprint(&app.db.conn).await, before, "a refused decision changes nothing");

        let r = app.post(&decisions, token, json!({"decisions": [
            {"candidate_id": ids[0], "status": "excluded", "reason": "off_topic", "notes": "about mice", "version": 1},
            {"candidate_id": ids[1], "status": "included", "version": 1}]})).await;
        assert_eq!(r.status(), 200);
        let decided: Value = r.json().await.unwrap();
        assert_eq!(decided["data"][0]["id"], ids[0]);
        assert_eq!(decided["data"][0]["status"], "excluded");
        assert_eq!(decided["data"][0]["reason"], "off_topic");
        assert_eq!(decided["data"][0]["notes"], "about mice");
        assert_eq!(decided["data"][0]["decided_by"], w.admin_a.0);
        assert_eq!(decided["data"][0]["version"], 2);
        assert_eq!(decided["data"][1]["status"], "included");
        assert_eq!(decided["data"][1]["reason"], Value::Null);

        // What the decision returned is what the pool stores.
        let excluded = candidates(&app, token, stream, "?status=excluded&reason=off_topic").await;
        assert_eq!(excluded["meta"]["total"], 1);
        let stored = &excluded["data"][0];
        for key in ["id", "status", "reason", "notes", "decided_by", "decided_at", "version"] {
            assert_eq!(stored[key], decided["data"][0][key], "{key}");
        }
        assert_eq!(candidates(&app, token, stream, "?status=new").await["meta"]["total"], 0);
        assert_eq!(candidates(&app, token, stream, "?status=included").await["meta"]["total"], 1);

        // A second curator deciding on the version before hears so, and
        // the first decision stands.
        let before = fingerprint(&app.db.conn).await;
        let r = app.post(&decisions, token, json!({"decisions": [
            {"candidate_id": ids[1], "status": "excluded", "reason": "wrong_population", "version": 2},
            {"candidate_id": ids[0], "status": "included", "version": 1}]})).await;
        assert_eq!(r.status(), 412);
        assert!(r.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains(&ids[0].to_string()));
        assert_eq!(fingerprint(&app.db.conn).await, before, "no decision of a refused request is kept");
        // Taking a decision back: `new`, without a reason.
        let r = app.post(&decisions, token, json!({"decisions": [{"candidate_id": ids[0], "status": "new", "version": 2}]})).await;
        assert_eq!(r.status(), 200);
        let back: Value = r.json().await.unwrap();
        assert_eq!((back["data"][0]["status"].as_str(), back["data"][0]["version"].as_i64()), (Some("new"), Some(3)));
        assert_eq!(back["data"][0]["reason"], Value::Null);
    }
}

backend_tests! {
    async fn a_report_is_built_from_the_candidates_its_curators_included(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = new_stream(&app, &w, "to report").await;
        imported(&app, token, stream, "pubmed-xml", PUBMED_XML).await;
        imported(&app, token, stream, "nbib", NBIB).await;
        let pool = candidates(&app, token, stream, "?limit=200").await;
        // Oldest first: the order they entered the pool.
        let mut pooled: Vec<(i64, i64)> = pool["data"].as_array().unwrap().iter()
            .map(|c| (c["id"].as_i64().unwrap(), c["article"]["id"].as_i64().unwrap()))
            .collect();
        pooled.reverse();
        assert_eq!(pooled.len(), 4);
        let decisions = format!("/api/v1/streams/{stream}/candidates/decisions");
        let r = app.post(&decisions, token, json!({"decisions": [
            {"candidate_id": pooled[0].0, "status": "included"},
            {"candidate_id": pooled[2].0, "status": "included"},
            {"candidate_id": pooled[3].0, "status": "excluded"}]})).await;
        assert_eq!(r.status(), 200);

        let reports = format!("/api/v1/streams/{stream}/reports");
        let r = app.post(&reports, token, json!({"report_name": "From the pool", "report_date": "2026-12-01", "from_candidates": "included"})).await;
        assert_eq!(r.status(), 201);
        let report = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let body: Value = app.get(&format!("/api/v1/reports/{report}"), token).await.json().await.unwrap();
        let ids: Vec<i64> = body["articles"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [pooled[0].1, pooled[2].1], "the included candidates, in pool order");

        // Named candidates come after the named articles, each article once;
        // an excluded or unknown candidate is refused and nothing is made.
        let before = fingerprint(&app.db.conn).await;
        let r = app.post(&reports, token, json!({"report_name": "Named", "report_date": "2026-12-01", "from_candidates": [pooled[1].0, pooled[3].0, 999_999]})).await;
        assert_eq!(r.status(), 422);
        let fields: Vec<String> = r.json::<Value>().await.unwrap()["errors"].as_array().unwrap().iter()
            .map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, ["from_candidates[1]", "from_candidates[2]"]);
        assert_eq!(fingerprint(&app.db.conn).await, before);
        let r = app.post(&reports, token, json!({"report_name": "Named", "report_date": "2026-12-01",
            "articles": [{"article_id": pooled[1].1}], "from_candidates": [pooled[1].0, pooled[0].0]})).await;
        assert_eq!(r.status(), 201);
        let report = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let body: Value = app.get(&format!("/api/v1/reports/{report}"), token).await.json().await.unwrap();
        let ids: Vec<i64> = body["articles"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [pooled[1].1, pooled[0].1]);
        // Another stream's candidates are not this stream's.
        let other = new_stream(&app, &w, "other").await;
        let r = app.post(&format!("/api/v1/streams/{other}/reports"), token, json!({"report_name": "X", "report_date": "2026-12-01", "from_candidates": [pooled[0].0]})).await;
        assert_eq!(r.status(), 422);
    }
}

/// A report's `ETag` and its articles' `(id, ranking)`, in ranking order.
async fn report_state(app: &TestApp, token: &str, report: i64) -> (String, Vec<(i64, i64)>) {
    let r = app.get(&format!("/api/v1/reports/{report}"), token).await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let articles = body["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["ranking"].as_i64().unwrap()))
        .collect();
    (etag, articles)
}

backend_tests! {
    async fn a_draft_takes_more_articles_from_the_pool_or_by_id_and_nothing_twice(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = new_stream(&app, &w, "adding").await;
        imported(&app, token, stream, "pubmed-xml", PUBMED_XML).await;
        let pool = candidates(&app, token, stream, "?limit=200").await;
        let pooled: Vec<(i64, i64)> = pool["data"].as_array().unwrap().iter()
            .map(|c| (c["id"].as_i64().unwrap(), c["article"]["id"].as_i64().unwrap()))
            .collect();
        assert_eq!(pooled.len(), 2);
        let r = app.post(&format!("/api/v1/streams/{stream}/candidates/decisions"), token,
            json!({"decisions": [{"candidate_id": pooled[1].0, "status": "excluded"}]})).await;
        assert_eq!(r.status(), 200);
        let r = app.post(&format!("/api/v1/streams/{stream}/reports"), token,
            json!({"report_name": "Draft", "report_date": "2026-12-01", "articles": [{"article_id": w.articles[0]}]})).await;
        assert_eq!(r.status(), 201);
        let report = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let path = format!("/api/v1/reports/{report}/articles");
        let first = i64::from(w.articles[0]);

        // Refused, naming the field, and nothing changes.
        let before = fingerprint(&app.db.conn).await;
        for (body, field) in [
            (json!({"candidate_ids": [pooled[0].0, pooled[1].0]}), "candidate_ids[1]"),
            (json!({"candidate_ids": [999_999]}), "candidate_ids[0]"),
            (json!({"article_ids": [999_999]}), "article_ids[0]"),
            (json!({"candidate_ids": []}), "candidate_ids"),
            // One of the two lists, as the schema's `oneOf` says.
            (json!({}), "candidate_ids"),
            (json!({"candidate_ids": [pooled[0].0], "article_ids": [first]}), "article_ids"),
            (json!({"article_ids": [first], "ids": [first]}), "ids"),
        ] {
            let r = app.post(&path, token, body.clone()).await;
            assert_eq!(r.status(), 422, "{body}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        }
        assert_eq!(fingerprint(&app.db.conn).await, before);
        assert_eq!(app.post(&path, &w.admin_b.1, json!({"article_ids": [first]})).await.status(), 404);

        // From the pool, after the last ranking; the version moves on.
        let (etag, _) = report_state(&app, token, report).await;
        let r = app.post(&path, token, json!({"candidate_ids": [pooled[0].0]})).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["added"], json!([pooled[0].1]));
        let (moved, articles) = report_state(&app, token, report).await;
        assert_ne!(moved, etag);
        assert_eq!(articles, [(first, 1), (pooled[0].1, 2)]);
        // What the report holds already is left as it is: no new version.
        let r = app.post(&path, token, json!({"article_ids": [first, pooled[0].1]})).await;
        assert_eq!(r.json::<Value>().await.unwrap()["added"], json!([]));
        assert_eq!(report_state(&app, token, report).await.0, moved);
        // By id, on the version the caller saw (412 on another).
        let stale = app.client.post(format!("{}{path}", app.address)).bearer_auth(token)
            .header("if-match", etag.as_str()).json(&json!({"article_ids": [w.articles[1]]})).send().await.unwrap();
        assert_eq!(stale.status(), 412);
        let r = app.client.post(format!("{}{path}", app.address)).bearer_auth(token)
            .header("if-match", moved.as_str()).json(&json!({"article_ids": [w.articles[1], w.articles[1]]})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["added"], json!([w.articles[1]]));
        let events: Value = app.get(&format!("/api/v1/reports/{report}/events"), token).await.json().await.unwrap();
        let added: Vec<&Value> = events["data"].as_array().unwrap().iter().filter(|e| e["event_type"] == "add_articles").collect();
        assert_eq!(added.len(), 2, "{events}");
        let details: Vec<&Value> = added.iter().map(|e| &e["details"]).collect();
        assert!(details.contains(&&json!({"added_article_ids": [pooled[0].1]})), "{events}");
        // A report past its draft takes no more.
        assert_eq!(app.post(&format!("/api/v1/reports/{report}/submit"), token, json!({})).await.status(), 200);
        let r = app.post(&path, token, json!({"article_ids": [w.articles[2]]})).await;
        assert_eq!(r.status(), 409);
        // Whatever the ids: the report's state answers before they are read.
        let r = app.post(&path, token, json!({"article_ids": [999_999]})).await;
        assert_eq!(r.status(), 409);
        app.stop().await;
    }
}

backend_tests! {
    async fn each_report_shows_the_funnel_of_what_its_stream_took_in_for_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let stream = new_stream(&app, &w, "funnel").await;
        let r = app.request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(token), Some(json!({"retrieval_config": {"exclusion_reasons": [
            {"code": "off_topic", "label": "Off topic"}]}}))).await;
        assert_eq!(r.status(), 200);
        // RIS: two stored, one duplicate within the file, one refused.
        let outcome = imported(&app, token, stream, "ris", RIS).await;
        let run_id = outcome["run_id"].as_i64().expect("the import is a run");
        let run: Value = app.get(&format!("/api/v1/retrieval-runs/{run_id}"), token).await.json().await.unwrap();
        assert_eq!(run["trigger"], "import");
        assert_eq!(run["status"], "succeeded");
        assert_eq!([&run["retrieved"], &run["duplicates"], &run["new_candidates"], &run["rejected"]], [4, 1, 2, 1], "{run}");
        let pool = candidates(&app, token, stream, &format!("?run_id={run_id}")).await;
        assert_eq!(pool["meta"]["total"], 2);
        let ids: Vec<i64> = pool["data"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        let r = app.post(&format!("/api/v1/streams/{stream}/candidates/decisions"), token, json!({"decisions": [
            {"candidate_id": ids[0], "status": "included"},
            {"candidate_id": ids[1], "status": "excluded", "reason": "off_topic"}]})).await;
        assert_eq!(r.status(), 200);
        let reports = format!("/api/v1/streams/{stream}/reports");
        let r = app.post(&reports, token, json!({"report_name": "First", "report_date": "2026-12-01", "from_candidates": "included"})).await;
        let first = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        // Whoever may see the report (a draft: its curators).
        let reader = w.admin_a.1.clone();
        let funnel = |report: i64| {
            let app = &app;
            let reader = reader.clone();
            async move {
                let r = app.get(&format!("/api/v1/reports/{report}/funnel"), &reader).await;
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            }
        };
        let expected = json!({"retrieved": 4, "duplicates": 1, "rejected": 1, "screened_out": 0, "excluded": {"off_topic": 1}, "included": 1, "undecided": 0});
        assert_eq!(funnel(first).await, expected);
        // What arrives after is the next report's, once there is one.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        imported(&app, token, stream, "nbib", NBIB).await;
        let grown = funnel(first).await;
        assert_eq!(grown["retrieved"], 4 + 3, "the latest report's window is open: {grown}");
        let r = app.post(&reports, token, json!({"report_name": "Second", "report_date": "2026-12-08", "from_candidates": []})).await;
        assert_eq!(r.status(), 201);
        let second = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        assert_eq!(funnel(first).await, expected, "the first report's window closed at its creation");
        let next = funnel(second).await;
        // MEDLINE: one new, one the RIS file's work, one refused.
        assert_eq!(next, json!({"retrieved": 3, "duplicates": 1, "rejected": 1, "screened_out": 0, "excluded": {}, "included": 0, "undecided": 1}));
        assert_eq!(app.get(&format!("/api/v1/reports/{first}/funnel"), &w.admin_b.1).await.status(), 404);
        app.stop().await;
    }
}

backend_tests! {
    async fn an_arxiv_preprint_is_one_work_whether_a_file_names_its_eprint_or_links_to_it(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Preprints", "purpose": "P.", "scope": "organization"})).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let bibtex = "@misc{nwosu2026,\n  title = {Attention over T cell receptor repertoires},\n  author = {Nwosu, Amara},\n  year = {2026},\n  eprint = {2611.04321},\n  archivePrefix = {arXiv},\n}\n";
        let first = imported(&app, token, stream, "bibtex", bibtex).await;
        assert_eq!(first["imported"], 1, "{first}");
        // Another version, linked instead of named, in another format.
        let ris = "TY  - JOUR\nTI  - Attention over T-cell receptor repertoires (v2)\nUR  - https://arxiv.org/abs/2611.04321v2\nPY  - 2026\nER  - \n";
        let second = imported(&app, token, stream, "ris", ris).await;
        assert_eq!((&second["imported"], &second["duplicates"]), (&json!(0), &json!(1)), "{second}");
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates"), token).await.json().await.unwrap();
        assert_eq!(pool["meta"]["total"], 1, "{pool}");
        assert_eq!(pool["data"][0]["article"]["doi"], "10.48550/arxiv.2611.04321", "arXiv's own DOI, as DOIs are stored");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_paper_is_linked_to_its_preprint_by_title_when_one_doi_is_a_preprint_servers(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Versions", "purpose": "P.", "scope": "organization"})).await;
        assert_eq!(r.status(), 201);
        let stream = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        let record = |title: &str, doi: &str, year: i32| format!("TY  - JOUR\nTI  - {title}\nDO  - {doi}\nPY  - {year}\nER  - \n\n");
        let preprint = record("Regulatory T cells and tumour infiltration", "10.1101/2025.11.20.600123", 2025);
        assert_eq!(imported(&app, token, stream, "ris", &preprint).await["imported"], 1);
        // A year later, the paper, its title written another way.
        let paper = record("Regulatory T-cells and tumour infiltration", "10.1038/s41590-026-01234-5", 2026);
        assert_eq!(imported(&app, token, stream, "ris", &paper).await["imported"], 1);
        // Another journal paper of that title is no version of the paper.
        let namesake = record("Regulatory T cells and tumour infiltration", "10.1016/j.immuni.2027.01.001", 2027);
        let r = app.post("/api/v1/streams", token, json!({"stream_name": "Journals only", "purpose": "P.", "scope": "organization"})).await;
        let journals = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap() as i32;
        for file in [&paper, &namesake] {
            assert_eq!(imported(&app, token, journals, "ris", file).await["imported"], 1);
        }
        let pool: Value = app.get(&format!("/api/v1/streams/{stream}/candidates"), token).await.json().await.unwrap();
        let by_doi = |pool: &Value, doi: &str| pool["data"].as_array().unwrap().iter().find(|c| c["article"]["doi"] == doi).unwrap().clone();
        let first = by_doi(&pool, "10.1101/2025.11.20.600123");
        assert_eq!(first["version_of"], Value::Null);
        assert_eq!(by_doi(&pool, "10.1038/s41590-026-01234-5")["version_of"], first["id"], "{pool}");
        let journals: Value = app.get(&format!("/api/v1/streams/{journals}/candidates"), token).await.json().await.unwrap();
        assert!(journals["data"].as_array().unwrap().iter().all(|c| c["version_of"].is_null()), "{journals}");
        app.stop().await;
    }
}
