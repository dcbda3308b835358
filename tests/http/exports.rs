//! Exports of reports and candidate pools: what each caller may read, in
//! every format, read back by third-party parsers (`biblatex`, `csv`,
//! `serde_json` against CSL's field names) and by Curio's own import.

use integration_tests::{TestApp, World, spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

/// Non-ASCII text, TeX's special characters and a formula-like title.
const RIS: &str = "TY  - JOUR
TI  - Étude of α-synuclein: 50% & {more}_now
AU  - Müller, Jörg
AU  - WHO Study Group
PY  - 2024
JO  - Revue d'Épidémiologie
AB  - Patients (n = 120) got 5 mg/kg ~ daily.
DO  - 10.1000/etude.1
ER  - 

TY  - JOUR
TI  - =SUM(A1:A9) is not a formula here
AU  - Smith, Jane
PY  - 2023
ER  - 

TY  - JOUR
TI  - Soil bacteria of alpine meadows
AU  - Rossi, Luca
PY  - 2022
ER  - 
";

struct Export {
    status: u16,
    content_type: String,
    disposition: String,
    total: Option<u64>,
    body: String,
}

async fn export(app: &TestApp, token: &str, path: &str) -> Export {
    let r = app.request(Method::GET, path, Some(token), None).await;
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Export {
        status: r.status().as_u16(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        total: header("x-total-count").parse().ok(),
        body: r.text().await.unwrap(),
    }
}

fn csv_rows(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

/// The world's report with one article excluded and another's summary
/// and notes edited, submitted and approved.
async fn curated_report(app: &TestApp, w: &World) {
    let (r, a) = (w.report, &w.articles);
    let admin = Some(w.admin_a.1.as_str());
    let s = app
        .request(
            Method::POST,
            &format!("/api/v1/reports/{r}/articles/{}/exclude", a[2]),
            admin,
            None,
        )
        .await;
    assert_eq!(s.status(), 200);
    let s = app
        .request(
            Method::PATCH,
            &format!("/api/v1/reports/{r}/articles/{}", a[0]),
            admin,
            Some(
                json!({"ai_summary": "Blockade restores exhausted T cells.", "notes": "Key paper"}),
            ),
        )
        .await;
    assert_eq!(s.status(), 200);
    for step in ["submit", "approve"] {
        let s = app
            .request(
                Method::POST,
                &format!("/api/v1/reports/{r}/{step}"),
                admin,
                None,
            )
            .await;
        assert_eq!(s.status(), 200, "{step}");
    }
}

backend_tests! {
    async fn a_report_export_holds_its_visible_articles_and_curator_fields_for_curators_alone(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        curated_report(&app, &w).await;
        let path = |format: &str| format!("/api/v1/reports/{}/export?format={format}", w.report);

        // The curator's CSV: the two visible articles by ranking, with the
        // edited summary, the category's name, and the curator columns.
        let e = export(&app, &w.admin_a.1, &path("csv")).await;
        assert_eq!(e.status, 200);
        assert!(e.content_type.starts_with("text/csv"), "{}", e.content_type);
        assert_eq!(e.disposition, format!("attachment; filename=\"report-{}.csv\"", w.report));
        assert_eq!(e.total, Some(2));
        let (header, rows) = csv_rows(&e.body);
        assert_eq!(rows.len(), 2, "the excluded article is not exported:\n{}", e.body);
        assert_eq!(column(&header, &rows[0], "title"), "Exhausted T cells in tumours");
        assert_eq!(column(&header, &rows[0], "ranking"), "1");
        assert_eq!(column(&header, &rows[0], "categories"), "Immunology");
        assert_eq!(column(&header, &rows[0], "ai_summary"), "Blockade restores exhausted T cells.");
        assert_eq!(column(&header, &rows[0], "curator_notes"), "Key paper");
        assert_eq!(column(&header, &rows[0], "doi"), "10.1/a");
        assert_eq!(column(&header, &rows[1], "pmid"), "123");

        // A member of the organization reads the approved report: the same
        // articles and summaries, no curator column, no notes anywhere.
        let e = export(&app, &w.member_a.1, &path("csv")).await;
        assert_eq!(e.status, 200);
        let (header, rows) = csv_rows(&e.body);
        assert_eq!(rows.len(), 2);
        assert!(!header.iter().any(|h| h == "curator_notes" || h == "decision"), "{header:?}");
        assert!(!e.body.contains("Key paper"));

        // BibTeX, read by `biblatex`: one entry per article, stable keys.
        let e = export(&app, &w.member_a.1, &path("bibtex")).await;
        assert_eq!(e.status, 200);
        assert!(e.content_type.starts_with("application/x-bibtex"));
        let bib = biblatex::Bibliography::parse(&e.body).unwrap();
        assert_eq!(bib.len(), 2, "{}", e.body);
        let first = bib.iter().next().unwrap();
        assert_eq!(first.key, "anon2026exhausted");
        assert_eq!(first.doi().unwrap(), "10.1/a");
        let again = export(&app, &w.member_a.1, &path("bibtex")).await;
        assert_eq!(again.body, e.body, "an export is the same when nothing changed");
        assert!(!e.body.contains("curator_notes"));

        // CSL-JSON: `article-journal` items with Curio's fields in `custom`.
        let e = export(&app, &w.admin_a.1, &path("csljson")).await;
        assert_eq!(e.status, 200);
        let items: Value = serde_json::from_str(&e.body).unwrap();
        let items = items.as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["type"], "article-journal");
        assert_eq!(items[0]["title"], "Exhausted T cells in tumours");
        assert_eq!(items[0]["container-title"], "J Imm");
        assert_eq!(items[0]["issued"]["date-parts"], json!([[2026]]));
        assert_eq!(items[0]["DOI"], "10.1/a");
        assert_eq!(items[0]["custom"]["ranking"], 1);
        assert_eq!(items[0]["custom"]["categories"], json!(["Immunology"]));
        assert_eq!(items[0]["custom"]["curation"]["notes"], "Key paper");
        assert_eq!(items[1]["PMID"], "123");

        // RIS: a record per article, every line a tag.
        let e = export(&app, &w.member_a.1, &path("ris")).await;
        assert_eq!(e.status, 200);
        assert_eq!(e.body.matches("TY  - JOUR").count(), 2);
        assert!(e.body.lines().all(|l| l.is_empty() || l.as_bytes().get(2..6) == Some(b"  - ")), "{}", e.body);
        assert!(e.body.contains("N1  - Blockade restores exhausted T cells.\r\n"));
        app.stop().await;
    }
}

backend_tests! {
    async fn a_report_export_follows_the_reports_visibility(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let path = format!("/api/v1/reports/{}/export?format=ris", w.report);
        // A member sees no draft; another organization sees nothing.
        assert_eq!(export(&app, &w.member_a.1, &path).await.status, 404);
        assert_eq!(export(&app, &w.admin_b.1, &path).await.status, 404);
        assert_eq!(export(&app, &w.admin_a.1, &path).await.status, 200);
        let r = app.request(Method::GET, &format!("/api/v1/reports/{}/export?format=docx", w.report), Some(&w.admin_a.1), None).await;
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "format", "{body}");
        let r = app.request(Method::GET, &format!("/api/v1/reports/{}/export", w.report), Some(&w.admin_a.1), None).await;
        assert_eq!(r.status(), 422, "format is required");
        app.stop().await;
    }
}

backend_tests! {
    async fn a_pool_export_keeps_decisions_follows_filters_and_imports_back(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let admin = &w.admin_a.1;
        let stream = app.org_stream(admin, "Pool to export").await;
        let r = app
            .request(Method::PATCH, &format!("/api/v1/streams/{stream}"), Some(admin),
                Some(json!({"retrieval_config": {"exclusion_reasons": [{"code": "off_topic", "label": "Off topic"}]}})))
            .await;
        assert_eq!(r.status(), 200);
        let r = app.import(admin, stream, "ris", RIS).await;
        assert_eq!(r.status(), 200);
        let listed: Value = app.get(&format!("/api/v1/streams/{stream}/candidates"), admin).await.json().await.unwrap();
        let soil = listed["data"].as_array().unwrap().iter()
            .find(|c| c["article"]["title"] == "Soil bacteria of alpine meadows").unwrap()["id"].clone();
        let r = app
            .post(&format!("/api/v1/streams/{stream}/candidates/decisions"), admin,
                json!({"decisions": [{"candidate_id": soil, "status": "excluded", "reason": "off_topic", "notes": "Not clinical"}]}))
            .await;
        assert_eq!(r.status(), 200);

        let base = format!("/api/v1/streams/{stream}/candidates/export");
        let e = export(&app, admin, &format!("{base}?format=csv&status=excluded")).await;
        assert_eq!(e.status, 200);
        assert_eq!(e.total, Some(1));
        let (header, rows) = csv_rows(&e.body);
        assert_eq!(rows.len(), 1);
        assert_eq!(column(&header, &rows[0], "decision"), "excluded");
        assert_eq!(column(&header, &rows[0], "reason"), "off_topic");
        assert_eq!(column(&header, &rows[0], "curator_notes"), "Not clinical");

        // A spreadsheet would run a cell that starts with `=`: it does not.
        let e = export(&app, admin, &format!("{base}?format=csv&q=formula")).await;
        let (header, rows) = csv_rows(&e.body);
        assert_eq!(column(&header, &rows[0], "title"), "'=SUM(A1:A9) is not a formula here");

        // The whole pool in each format imports into another stream as
        // the same works, non-ASCII and TeX's special characters intact.
        for format in ["ris", "bibtex", "csljson"] {
            let e = export(&app, admin, &format!("{base}?format={format}")).await;
            assert_eq!(e.status, 200, "{format}");
            assert_eq!(e.total, Some(3));
            let other = app.org_stream(admin, &format!("Imported from {format}")).await;
            let outcome: Value = app.import(admin, other, format, &e.body).await.json().await.unwrap();
            assert_eq!(outcome["imported"], 3, "{format}: {outcome}\n{}", e.body);
            let listed: Value = app.get(&format!("/api/v1/streams/{other}/candidates?q=synuclein"), admin).await.json().await.unwrap();
            let article = &listed["data"][0]["article"];
            assert_eq!(article["title"], "Étude of α-synuclein: 50% & {more}_now", "{format}:\n{}", e.body);
            assert_eq!(article["authors"], json!(["Müller, Jörg", "WHO Study Group"]), "{format}");
            assert_eq!(article["journal"], "Revue d'Épidémiologie", "{format}");
            assert_eq!(article["abstract"], "Patients (n = 120) got 5 mg/kg ~ daily.", "{format}");
        }

        // The pool is its curators': a member of the organization, and
        // another organization, get nothing.
        assert_eq!(export(&app, &w.member_a.1, &format!("{base}?format=ris")).await.status, 403);
        assert_eq!(export(&app, &w.admin_b.1, &format!("{base}?format=ris")).await.status, 404);
        app.stop().await;
    }
}
