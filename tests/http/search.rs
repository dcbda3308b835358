//! Full-text search of the shared bibliography and of a stream's candidate
//! pool: one fixed corpus, the same ids for the same query on every engine.

use integration_tests::{TestApp, spawn_app, world};
use reqwest::Method;
use serde_json::{Value, json};
use test_support::backend_tests;

const RIS: &str = include_str!("../fixtures/imports/records.ris");

/// Words of each field, chosen so that no other article of the test world
/// holds them.
fn corpus() -> Value {
    json!({"articles": [
        {"title": "Zebrafish regeneration of cardiac tissue", "abstract": "Heart muscle regrows after cryoinjury in adult fish.",
         "authors": ["Okonkwo, Adaeze"], "journal": "Developmental Dynamics", "pub_year": 2020, "doi": "10.5555/search.1"},
        {"title": "Cardiac spheroids from stem cells", "abstract": "Spheroids model heart development without zebrafish.",
         "authors": ["Müller, Jürgen"], "journal": "Developmental Dynamics", "pub_year": 2021, "pmid": "77000002"},
        {"title": "Helper T-cell memory", "abstract": "Cytokine signalling shapes long-lived helper memory.",
         "authors": ["Okonkwo, Chidi", "Lindqvist, Åsa"], "journal": "Immunity Letters", "pub_year": 2022},
        {"title": "Pancreatic islet transplantation", "abstract": null,
         "authors": [], "journal": "Transplant Reviews", "pub_year": 2023}
    ]})
}

/// The ids of a page of `GET /articles`, sorted, after asserting it is a
/// 200 whose total counts them and whose order is newest first.
async fn found(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let r = app.get(&format!("/api/v1/articles?{query}"), token).await;
    assert_eq!(r.status(), 200, "{query}");
    let page: Value = r.json().await.unwrap();
    let mut ids: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page["meta"]["total"], ids.len(), "{query}: {page}");
    assert!(ids.is_sorted_by(|a, b| a > b), "{query}: {ids:?}");
    ids.sort();
    ids
}

backend_tests! {
    async fn a_query_finds_the_same_articles_on_every_engine(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.member_a.1;
        let r = app.post("/api/v1/articles/bulk", &w.admin_a.1, corpus()).await;
        assert_eq!(r.status(), 200);
        let ids: Vec<i64> = r.json::<Value>().await.unwrap()["ids"].as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect();
        let [zebrafish, spheroids, helper, islet] = ids[..] else { panic!("{ids:?}") };
        // (query, ids newest first): every field is searched, every word
        // must be present, letter case does not count, and words no engine
        // indexes (stop words, words under three characters) are dropped.
        let cases: [(&str, Vec<i64>); 14] = [
            ("q=zebrafish", vec![spheroids, zebrafish]),
            // The words may lie in different fields.
            ("q=cardiac%20zebrafish", vec![spheroids, zebrafish]),
            ("q=cardiac%20regeneration", vec![zebrafish]),
            ("q=The%20CARDIAC%20of%20an%20regeneration%20in%20IL", vec![zebrafish]),
            ("q=cryoinjury", vec![zebrafish]),
            ("q=okonkwo", vec![helper, zebrafish]),
            ("q=okonkwo%20chidi", vec![helper]),
            ("q=developmental%20dynamics", vec![spheroids, zebrafish]),
            ("q=islet", vec![islet]),
            // A hyphenated word is found by its parts.
            ("q=cell%20memory", vec![helper]),
            // Accented words as written.
            ("q=m%C3%BCller", vec![spheroids]),
            ("q=%C3%85sa", vec![helper]),
            // No stemming anywhere: the singular does not find the plural.
            ("q=spheroid", vec![]),
            ("q=zebrafish%20islet", vec![]),
        ];
        for (query, mut expected) in cases {
            expected.sort();
            assert_eq!(found(&app, token, query).await, expected, "{query}");
        }
        // Identifiers as people write them, and pages of a search.
        assert_eq!(found(&app, token, "doi=https://doi.org/10.5555/SEARCH.1").await, vec![zebrafish]);
        assert_eq!(found(&app, token, "pmid=77000002").await, vec![spheroids]);
        assert_eq!(found(&app, token, "q=zebrafish&pmid=77000002").await, vec![spheroids]);
        let mut pages = Vec::new();
        for offset in [0, 1] {
            let r = app.get(&format!("/api/v1/articles?q=zebrafish&limit=1&offset={offset}"), token).await;
            let page: Value = r.json().await.unwrap();
            assert_eq!(page["meta"]["total"], 2, "{page}");
            pages.push(page["data"][0]["id"].as_i64().unwrap());
        }
        assert_eq!(pages, [spheroids.max(zebrafish), spheroids.min(zebrafish)]);

        // A change of the text is searched at once, on every engine.
        let r = app.request(Method::PATCH, "/api/v1/articles/bulk", Some(&w.admin_a.1),
            Some(json!({"updates": [{"article_id": islet, "title": "Pancreatic beta organ transplantation"}]}))).await;
        assert_eq!(r.status(), 200);
        assert_eq!(found(&app, token, "q=islet").await, Vec::<i64>::new());
        assert_eq!(found(&app, token, "q=beta%20pancreatic").await, vec![islet]);
        app.stop().await;
    }
}

backend_tests! {
    async fn a_query_with_nothing_to_search_for_is_refused_by_name(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let long = "word ".repeat(101);
        for query in ["q=the", "q=of%20a%20in", "q=", "q=%2B-*%22", &format!("q={long}")] {
            let r = app.get(&format!("/api/v1/articles?{query}"), &w.member_a.1).await;
            assert_eq!(r.status(), 422, "{query}");
            let problem: Value = r.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "q", "{query}: {problem}");
            let r = app.get(&format!("/api/v1/streams/{}/candidates?{query}", w.org_stream), &w.admin_a.1).await;
            assert_eq!(r.status(), 422, "candidates {query}");
        }
        let r = app.get(&format!("/api/v1/articles?doi=10.{}", "1".repeat(300)), &w.member_a.1).await;
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "doi", "{problem}");
        // Signed-in users only.
        let r = app.client.get(format!("{}/api/v1/articles?q=cells", app.address)).send().await.unwrap();
        assert_eq!(r.status(), 401);
        app.stop().await;
    }
}

backend_tests! {
    async fn the_candidate_pool_is_searched_within_its_stream(backend: Backend) {
        let app = spawn_app(backend).await;
        let w = world(&app).await;
        let token = &w.admin_a.1;
        let r = app.import(token, w.org_stream, "ris", RIS).await;
        assert_eq!(r.status(), 200);
        // A second stream holds the same articles: its pool is not searched.
        let other = app.org_stream(token, "Another pool.").await;
        let r = app.import(token, other, "ris", RIS).await;
        assert_eq!(r.status(), 200);
        let search = |query: &'static str| {
            let app = &app;
            async move {
                let r = app.get(&format!("/api/v1/streams/{}/candidates?{query}", w.org_stream), token).await;
                assert_eq!(r.status(), 200, "{query}");
                let page: Value = r.json().await.unwrap();
                page["data"].as_array().unwrap().iter().map(|c| c["article"]["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(search("q=coronavirus%20pneumonia").await, ["A Novel Coronavirus from Patients with Pneumonia in China, 2019"]);
        assert_eq!(search("q=weinberg").await, ["Hallmarks of cancer: the next generation"]);
        assert_eq!(search("q=weinberg&status=included").await, Vec::<String>::new());
        assert_eq!(search("q=hallmarks%20coronavirus").await, Vec::<String>::new());
        app.stop().await;
    }
}
