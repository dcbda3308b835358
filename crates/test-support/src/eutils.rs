//! A fixture of NCBI's E-utilities on 127.0.0.1: `esearch.fcgi` with the
//! history server (`usehistory=y` answers `WebEnv` and `QueryKey`) and
//! `efetch.fcgi` of PubMed XML in pages (`retstart`, `retmax`), answering
//! in the shapes NCBI documents. Like NCBI it answers 429 to a client that
//! sends more requests in a second (0.95 s here) than its rate (3, or 10 with an
//! `api_key`), and counts those; faults queued with [`EUtils::fail_next`]
//! answer the next requests in order (429 with `Retry-After`, 5xx,
//! XML cut short).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};

/// An answer in place of the normal one.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with NCBI's JSON body, and `Retry-After` in seconds if given.
    TooManyRequests { retry_after: Option<u64> },
    /// This status with an HTML body, as NCBI's front ends answer.
    Status(u16),
    /// 200 with the normal answer cut in the middle of an element.
    Truncated,
}

/// One request the fixture received.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    /// `esearch.fcgi` or `efetch.fcgi`.
    pub tool: String,
    pub params: HashMap<String, String>,
    /// What it answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    records: Vec<String>,
    histories: Mutex<HashMap<String, Vec<usize>>>,
    faults: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<Request>>,
}

/// A running fixture; stopped by [`EUtils::stop`] or when dropped.
pub struct EUtils {
    port: u16,
    state: Arc<State>,
    handle: ServerHandle,
}

impl EUtils {
    /// Serves `records` (each one `<PubmedArticle>` element) on an
    /// ephemeral port.
    pub async fn start(records: Vec<String>) -> std::io::Result<EUtils> {
        let state = Arc::new(State {
            records,
            ..State::default()
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/entrez/eutils/{tool}", web::get().to(answer))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(EUtils {
            port,
            state,
            handle,
        })
    }

    /// The base URL, as NCBI's `https://eutils.ncbi.nlm.nih.gov/entrez/eutils/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/entrez/eutils/", self.port)
    }

    /// Answers the next requests with these faults, in order.
    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.faults.lock().expect("faults").extend(faults);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().expect("requests").clone()
    }

    /// Requests answered 429 because the client went faster than its rate
    /// (not the ones [`EUtils::fail_next`] asked for).
    pub fn rate_violations(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.status == 429 && r.params.contains_key("__over_rate"))
            .count()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for EUtils {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { handle.stop(false).await });
        }
    }
}

/// `n` records in NCBI's PubMed XML: two real ones first (PMIDs 31978945
/// and 22745249, as PubMed holds them, abridged), then made-up ones with
/// PMIDs from 90000001 whose titles say their number.
pub fn sample_records(n: usize) -> Vec<String> {
    let real = [
        r#"<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">31978945</PMID><Article PubModel="Print-Electronic"><Journal><JournalIssue CitedMedium="Internet"><Volume>382</Volume><Issue>8</Issue><PubDate><Year>2020</Year><Month>Feb</Month><Day>20</Day></PubDate></JournalIssue><Title>The New England journal of medicine</Title></Journal><ArticleTitle>A Novel Coronavirus from Patients with Pneumonia in China, 2019.</ArticleTitle><Abstract><AbstractText>In December 2019, a cluster of patients with pneumonia of unknown cause was linked to a seafood wholesale market in Wuhan, China.</AbstractText></Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Zhu</LastName><ForeName>Na</ForeName><Initials>N</Initials></Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">31978945</ArticleId><ArticleId IdType="doi">10.1056/NEJMoa2001017</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"#,
        r#"<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">22745249</PMID><Article PubModel="Print-Electronic"><Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>2012</Year><Month>Aug</Month></PubDate></JournalIssue><Title>Science (New York, N.Y.)</Title></Journal><ArticleTitle>A programmable dual-RNA-guided DNA endonuclease in adaptive bacterial immunity.</ArticleTitle><Abstract><AbstractText Label="BACKGROUND">Clustered regularly interspaced short palindromic repeats (CRISPR)/CRISPR-associated (Cas) systems provide bacteria and archaea with adaptive immunity.</AbstractText><AbstractText Label="RESULTS">Cas9 endonuclease can be programmed with single RNA molecules to cleave specific DNA sites.</AbstractText></Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Jinek</LastName><ForeName>Martin</ForeName></Author><Author ValidYN="Y"><LastName>Charpentier</LastName><ForeName>Emmanuelle</ForeName></Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">22745249</ArticleId><ArticleId IdType="doi">10.1126/science.1225829</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"#,
    ];
    let made_up = (1..).map(|i| {
        let pmid = 90_000_000 + i;
        format!(
            r#"<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID><Article PubModel="Electronic"><Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>2026</Year><Month>Nov</Month></PubDate></JournalIssue><Title>Journal of Fixture Studies</Title></Journal><ArticleTitle>Fixture record number {i} on T cell exhaustion.</ArticleTitle><Abstract><AbstractText Label="METHODS">Record {i} of the fixture.</AbstractText></Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Ødegård</LastName><ForeName>Siv</ForeName></Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">10.5555/fixture.{i}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"#
        )
    });
    real.iter()
        .map(|r| r.to_string())
        .chain(made_up)
        .take(n)
        .collect()
}

async fn answer(
    state: web::Data<State>,
    tool: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let tool = tool.into_inner();
    let mut params = query.into_inner();
    let now = Instant::now();
    let over_rate = {
        let requests = state.requests.lock().expect("requests");
        let rate = if params.contains_key("api_key") {
            10
        } else {
            3
        };
        let last_second = requests
            .iter()
            // A second less the jitter of arrivals on a busy machine.
            .filter(|r| now.duration_since(r.at) < Duration::from_millis(950))
            .count();
        last_second >= rate
    };
    let fault = state.faults.lock().expect("faults").pop_front();
    let response = if over_rate {
        params.insert("__over_rate".into(), String::new());
        too_many(None)
    } else {
        match (fault, tool.as_str()) {
            (Some(Fault::TooManyRequests { retry_after }), _) => too_many(retry_after),
            (Some(Fault::Status(status)), _) => HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status).expect("a status"),
            )
            .content_type("text/html")
            .body("<html><body><h1>Service unavailable</h1></body></html>"),
            (fault, "esearch.fcgi") => cut(search(&state, &params), fault),
            (fault, "efetch.fcgi") => cut(fetch(&state, &params), fault),
            _ => HttpResponse::NotFound().finish(),
        }
    };
    state.requests.lock().expect("requests").push(Request {
        at: now,
        tool,
        params,
        status: response.status().as_u16(),
    });
    response
}

fn too_many(retry_after: Option<u64>) -> HttpResponse {
    let mut response = HttpResponse::TooManyRequests();
    if let Some(secs) = retry_after {
        response.insert_header(("Retry-After", secs.to_string()));
    }
    response
        .content_type("application/json")
        .body(r#"{"error":"API rate limit exceeded","count":"4"}"#)
}

fn cut(response: HttpResponse<String>, fault: Option<Fault>) -> HttpResponse {
    let (head, body) = response.into_parts();
    let body = match fault {
        Some(Fault::Truncated) => body[..body.len() * 2 / 3].to_owned(),
        _ => body,
    };
    head.set_body(body).map_into_boxed_body()
}

fn xml(body: String) -> HttpResponse<String> {
    HttpResponse::Ok()
        .content_type("text/xml; charset=UTF-8")
        .message_body(body)
        .expect("a body")
}

/// Every word of the term (field tags such as `[tiab]` and the boolean
/// `AND` aside) in the record, in any case.
fn matches(record: &str, term: &str) -> bool {
    let record = record.to_lowercase();
    term.split_whitespace()
        .map(|w| w.split('[').next().unwrap_or(w).to_lowercase())
        .filter(|w| !w.is_empty() && w != "and")
        .all(|w| record.contains(&w))
}

fn search(state: &State, params: &HashMap<String, String>) -> HttpResponse<String> {
    let term = params.get("term").cloned().unwrap_or_default();
    if params.get("db").map(String::as_str) != Some("pubmed") || term.trim().is_empty() {
        return xml(format!(
            "{SEARCH_HEAD}<eSearchResult><ERROR>Empty term and query_key - nothing todo</ERROR></eSearchResult>\n"
        ));
    }
    let found: Vec<usize> = (0..state.records.len())
        .filter(|&i| matches(&state.records[i], &term))
        .collect();
    let mut histories = state.histories.lock().expect("histories");
    let web_env = format!("MCID_{:024x}", histories.len() + 1);
    let count = found.len();
    histories.insert(web_env.clone(), found);
    xml(format!(
        "{SEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{web_env}</WebEnv><IdList>\n</IdList><TranslationSet/><TranslationStack>   <TermSet>    <Term>{term}[All Fields]</Term>    <Field>All Fields</Field>    <Count>{count}</Count>    <Explode>N</Explode>   </TermSet>   <OP>GROUP</OP>  </TranslationStack><QueryTranslation>{term}[All Fields]</QueryTranslation></eSearchResult>\n",
        term = quick_escape(&term),
    ))
}

fn fetch(state: &State, params: &HashMap<String, String>) -> HttpResponse<String> {
    let histories = state.histories.lock().expect("histories");
    let found = params
        .get("WebEnv")
        .and_then(|w| histories.get(w))
        .filter(|_| params.get("query_key").map(String::as_str) == Some("1"));
    let Some(found) = found else {
        return HttpResponse::BadRequest()
            .content_type("text/xml; charset=UTF-8")
            .message_body(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<eFetchResult>\n\t<ERROR>Cannot retrieve query from history</ERROR>\n</eFetchResult>\n"
                    .to_owned(),
            )
            .expect("a body");
    };
    let start: usize = params
        .get("retstart")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let max: usize = params
        .get("retmax")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .min(10_000);
    let mut body = String::from(FETCH_HEAD);
    body.push_str("<PubmedArticleSet>\n");
    for &i in found.iter().skip(start).take(max) {
        body.push_str(&state.records[i]);
        body.push('\n');
    }
    body.push_str("</PubmedArticleSet>\n");
    xml(body)
}

fn quick_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const SEARCH_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd\">\n";
const FETCH_HEAD: &str = "<?xml version=\"1.0\" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n";
