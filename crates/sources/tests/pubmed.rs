//! The E-utilities client against the fixture of NCBI's E-utilities in
//! `test-support`: history and paging, NCBI's rate, and what it does when
//! NCBI asks it to wait, fails, or answers what is not XML.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sources::outbound::{Outbound, OutboundError, Policy};
use sources::pubmed::{Config, DateField, Pubmed, PubmedError, Query};
use test_support::eutils::{EUtils, Fault, sample_records};

fn local() -> Outbound {
    Outbound::new(Policy {
        allow_private: true,
        ..Policy::default()
    })
    .unwrap()
}

fn client(eutils: &EUtils, api_key: Option<&str>) -> Pubmed {
    Pubmed::new(
        local(),
        Config {
            base_url: eutils.base_url().parse().unwrap(),
            api_key: api_key.map(str::to_owned),
            page_size: 10,
            max_attempts: 3,
            backoff: Duration::from_millis(50),
        },
    )
}

fn query(term: &str) -> Query {
    Query {
        term: term.into(),
        date_field: DateField::Entrez,
        from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    }
}

#[tokio::test]
async fn a_search_is_fetched_page_by_page_from_the_history_server() {
    let eutils = EUtils::start(sample_records(25)).await.unwrap();
    let pubmed = client(&eutils, None);
    let history = pubmed.search(&query("fixture")).await.unwrap();
    assert_eq!(
        history.count, 23,
        "the two real records do not say `fixture`"
    );
    let mut pmids = Vec::new();
    for start in (0..history.count).step_by(pubmed.page_size() as usize) {
        let page = pubmed.fetch(&history, start).await.unwrap();
        assert!(page.rejected.is_empty(), "{:?}", page.rejected);
        pmids.extend(page.records.into_iter().map(|r| r.value.pmid.unwrap()));
    }
    let expected: Vec<String> = (1..=23).map(|i| (90_000_000 + i).to_string()).collect();
    assert_eq!(pmids, expected);

    let requests = eutils.requests();
    let search = &requests[0].params;
    assert_eq!(search["usehistory"], "y");
    assert_eq!(search["datetype"], "edat");
    assert_eq!(search["mindate"], "2026/11/01");
    assert_eq!(search["maxdate"], "2026/11/30");
    assert!(!search.contains_key("api_key"));
    let pages: Vec<(&str, &str)> = requests[1..]
        .iter()
        .map(|r| (r.params["retstart"].as_str(), r.params["retmax"].as_str()))
        .collect();
    assert_eq!(pages, [("0", "10"), ("10", "10"), ("20", "10")]);
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.params["WebEnv"] == history.web_env && r.params["query_key"] == "1")
    );

    // A real record, as PubMed holds it: labelled abstract sections, the
    // DOI from the article ids.
    let history = pubmed
        .search(&query("programmable endonuclease"))
        .await
        .unwrap();
    let page = pubmed.fetch(&history, 0).await.unwrap();
    let jinek = &page.records[0].value;
    assert_eq!(jinek.doi.as_deref(), Some("10.1126/science.1225829"));
    assert!(
        jinek
            .r#abstract
            .as_deref()
            .unwrap()
            .starts_with("BACKGROUND: Clustered")
    );
    assert_eq!(eutils.rate_violations(), 0);
    eutils.stop().await;
}

#[tokio::test]
async fn nothing_found_is_a_count_of_zero() {
    let eutils = EUtils::start(sample_records(5)).await.unwrap();
    let history = client(&eutils, None)
        .search(&query("nonexistentword"))
        .await
        .unwrap();
    assert_eq!(history.count, 0);
    eutils.stop().await;
}

#[tokio::test]
async fn requests_keep_to_ncbis_rate_with_and_without_a_key() {
    let eutils = EUtils::start(sample_records(3)).await.unwrap();
    // Without a key, 3 a second: 7 requests span at least 2 seconds.
    let pubmed = client(&eutils, None);
    let started = Instant::now();
    let fixture = query("fixture");
    for result in futures::future::join_all((0..7).map(|_| pubmed.search(&fixture))).await {
        result.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1990),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        eutils.rate_violations(),
        0,
        "the fixture answers 429 past NCBI's rate"
    );
    // With a key, 10 a second: 21 requests, also within the rate.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pubmed = client(&eutils, Some("k3y"));
    assert_eq!(pubmed.rate(), 10);
    for result in futures::future::join_all((0..21).map(|_| pubmed.search(&fixture))).await {
        result.unwrap();
    }
    assert_eq!(eutils.rate_violations(), 0);
    assert!(
        eutils
            .requests()
            .iter()
            .rev()
            .take(21)
            .all(|r| r.params["api_key"] == "k3y")
    );
    eutils.stop().await;
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says_and_5xx_are_retried() {
    let eutils = EUtils::start(sample_records(3)).await.unwrap();
    let pubmed = client(&eutils, None);
    eutils.fail_next([Fault::TooManyRequests {
        retry_after: Some(2),
    }]);
    pubmed.search(&query("fixture")).await.unwrap();
    let requests = eutils.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200]
    );
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(waited >= Duration::from_millis(1990), "{waited:?}");

    eutils.fail_next([Fault::Status(503), Fault::Status(502)]);
    pubmed.search(&query("fixture")).await.unwrap();
    let statuses: Vec<u16> = eutils.requests()[2..].iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 502, 200]);

    // Three tries at most, then the last failure is named.
    eutils.fail_next([Fault::Status(500), Fault::Status(500), Fault::Status(503)]);
    match pubmed.search(&query("fixture")).await {
        Err(PubmedError::GaveUp { attempts: 3, last }) => assert_eq!(last, "HTTP 503"),
        other => panic!("{other:?}"),
    }
    assert_eq!(eutils.rate_violations(), 0);
    eutils.stop().await;
}

#[tokio::test]
async fn answers_that_are_not_what_ncbi_documents_are_errors_not_records() {
    let eutils = EUtils::start(sample_records(12)).await.unwrap();
    let pubmed = client(&eutils, None);
    let history = pubmed.search(&query("fixture")).await.unwrap();
    eutils.fail_next([Fault::Truncated]);
    assert!(matches!(
        pubmed.fetch(&history, 0).await,
        Err(PubmedError::Malformed { .. })
    ));
    eutils.fail_next([Fault::Truncated]);
    assert!(matches!(
        pubmed.search(&query("fixture")).await,
        Err(PubmedError::Malformed { .. })
    ));
    // A history NCBI no longer holds.
    let mut gone = history.clone();
    gone.web_env = "MCID_expired".into();
    assert!(matches!(
        pubmed.fetch(&gone, 0).await,
        Err(PubmedError::Status { status: 400, .. })
    ));
    // An empty term is NCBI's own error message.
    match pubmed.search(&query(" ")).await {
        Err(PubmedError::Refused(message)) => {
            assert!(message.contains("nothing todo"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    eutils.stop().await;
}

#[tokio::test]
async fn outbound_requests_reach_no_private_address_unless_allowed() {
    let eutils = EUtils::start(sample_records(1)).await.unwrap();
    let strict = Outbound::new(Policy::default()).unwrap();
    for url in [
        eutils.base_url(),
        eutils.base_url().replace("127.0.0.1", "localhost"),
        "http://[::1]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        match strict.get(&url.parse().unwrap()).await {
            Err(OutboundError::Refused(_)) => {}
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(eutils.requests().is_empty(), "nothing reached the fixture");
    assert!(matches!(
        strict.get(&"file:///etc/passwd".parse().unwrap()).await,
        Err(OutboundError::Scheme(_))
    ));
    // Answers are bounded in size.
    let small = Outbound::new(Policy {
        allow_private: true,
        max_bytes: 100,
        ..Policy::default()
    })
    .unwrap();
    let url = format!("{}esearch.fcgi?db=pubmed&term=fixture", eutils.base_url());
    assert!(matches!(
        small.get(&url.parse().unwrap()).await,
        Err(OutboundError::TooLarge(100))
    ));
    eutils.stop().await;
}
