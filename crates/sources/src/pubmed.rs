//! PubMed through NCBI's E-utilities: `esearch` puts a query's PMIDs on
//! NCBI's history server (`usehistory=y`, answering `WebEnv` and
//! `query_key`), and `efetch` reads them back as PubMed XML a page at a
//! time (`retstart`, `retmax`), so no list of ids crosses the network.
//!
//! NCBI allows 3 requests per second from one address without an API key
//! and 10 with one. A [`Pubmed`] spaces the requests it starts by that
//! rate, so one per process keeps the process within it; a 429 or 5xx
//! holds every request of the client back (by `Retry-After` when NCBI sends
//! one, else exponentially) before it is tried again.

use std::sync::Mutex;
use std::time::Duration;

use bibliography::{Format, Parsed};
use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;
use tokio::time::Instant;
use url::Url;

use crate::outbound::{Outbound, OutboundError};

/// NCBI's E-utilities.
pub const NCBI_BASE_URL: &str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/";
/// Records per `efetch` NCBI answers at most.
pub const MAX_PAGE: u32 = 10_000;
/// A `Retry-After` longer than this is not waited for whole.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Config {
    /// Where `esearch.fcgi` and `efetch.fcgi` are (ends with `/`).
    pub base_url: Url,
    /// NCBI's API key: 10 requests per second instead of 3.
    pub api_key: Option<String>,
    /// Records per `efetch`, 1 to [`MAX_PAGE`].
    pub page_size: u32,
    /// Tries of one request before giving up.
    pub max_attempts: u32,
    /// The first wait after a failed try without `Retry-After`; doubled on
    /// each further one.
    pub backoff: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: Url::parse(NCBI_BASE_URL).expect("a valid URL"),
            api_key: None,
            page_size: 500,
            max_attempts: 5,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The date a window bounds: when PubMed received the record (`edat`, what
/// "new since the last run" means) or its publication date (`pdat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    Entrez,
    Publication,
}

impl DateField {
    fn code(self) -> &'static str {
        match self {
            DateField::Entrez => "edat",
            DateField::Publication => "pdat",
        }
    }
}

/// A saved search over a date window (both ends included).
#[derive(Debug, Clone)]
pub struct Query {
    pub term: String,
    pub date_field: DateField,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A query's results on NCBI's history server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// Records the query matched.
    pub count: u64,
    pub web_env: String,
    pub query_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PubmedError {
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// An answer that is not retried (a 4xx other than 429).
    #[error("E-utilities answered {status}: {body}")]
    Status { status: u16, body: String },
    /// An answer that is not what NCBI documents.
    #[error("E-utilities answered what is not {expected}: {reason}")]
    Malformed {
        expected: &'static str,
        reason: String,
    },
    /// NCBI's own error message (an `ERROR` element).
    #[error("E-utilities refused the request: {0}")]
    Refused(String),
    #[error("E-utilities failed {attempts} times; last: {last}")]
    GaveUp { attempts: u32, last: String },
}

/// An E-utilities client. Keep one per process: its spacing of requests is
/// what keeps the process within NCBI's rate.
pub struct Pubmed {
    http: Outbound,
    config: Config,
    pacer: Pacer,
}

impl Pubmed {
    pub fn new(http: Outbound, mut config: Config) -> Self {
        config.page_size = config.page_size.clamp(1, MAX_PAGE);
        config.max_attempts = config.max_attempts.max(1);
        // A tenth over NCBI's interval: NCBI counts arrivals, which a slow
        // connection can bunch closer than the starts were.
        let pacer = Pacer::new(Duration::from_millis(1100) / config_rate(&config));
        Self {
            http,
            config,
            pacer,
        }
    }

    /// Requests started per second at most.
    pub fn rate(&self) -> u32 {
        config_rate(&self.config)
    }

    pub fn page_size(&self) -> u32 {
        self.config.page_size
    }

    /// Runs `query` on the history server.
    pub async fn search(&self, query: &Query) -> Result<History, PubmedError> {
        let date = |d: NaiveDate| d.format("%Y/%m/%d").to_string();
        let url = self.url(
            "esearch.fcgi",
            &[
                ("db", "pubmed"),
                ("term", &query.term),
                ("usehistory", "y"),
                ("retmax", "0"),
                ("datetype", query.date_field.code()),
                ("mindate", &date(query.from)),
                ("maxdate", &date(query.to)),
            ],
        );
        let body = self.get(&url).await?;
        let text = String::from_utf8(body).map_err(|e| PubmedError::Malformed {
            expected: "UTF-8",
            reason: e.to_string(),
        })?;
        parse_search(&text)
    }

    /// The records of `history` from `start` (0-based), a page of at most
    /// `page_size`, parsed on the blocking pool (a page is megabytes).
    pub async fn fetch(&self, history: &History, start: u64) -> Result<Parsed, PubmedError> {
        let start = start.to_string();
        let max = self.config.page_size.to_string();
        let url = self.url(
            "efetch.fcgi",
            &[
                ("db", "pubmed"),
                ("WebEnv", &history.web_env),
                ("query_key", &history.query_key),
                ("retstart", &start),
                ("retmax", &max),
                ("retmode", "xml"),
            ],
        );
        let body = self.get(&url).await?;
        let parsed = tokio::task::spawn_blocking(move || {
            let text = String::from_utf8(body).map_err(|e| e.to_string())?;
            if let Some(error) = ncbi_error(&text) {
                return Ok(Err(error));
            }
            Format::PubmedXml
                .parse(&text)
                .map(Ok)
                .map_err(|e| format!("line {}: {}", e.line, e.reason))
        })
        .await
        .map_err(|e| PubmedError::Malformed {
            expected: "PubMed XML",
            reason: e.to_string(),
        })?;
        match parsed {
            Ok(Ok(parsed)) => Ok(parsed),
            Ok(Err(ncbi)) => Err(PubmedError::Refused(ncbi)),
            Err(reason) => Err(PubmedError::Malformed {
                expected: "PubMed XML",
                reason,
            }),
        }
    }

    fn url(&self, tool: &str, params: &[(&str, &str)]) -> Url {
        let mut url = self
            .config
            .base_url
            .join(tool)
            .unwrap_or_else(|_| self.config.base_url.clone());
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(params);
            query.append_pair("tool", "curio");
            if let Some(key) = &self.config.api_key {
                query.append_pair("api_key", key);
            }
        }
        url
    }

    /// GET at the client's pace, retried on 429, 5xx, timeouts and broken
    /// connections.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, PubmedError> {
        let mut last = String::new();
        for attempt in 1..=self.config.max_attempts {
            self.pacer.wait().await;
            let backoff = self.config.backoff * 2u32.saturating_pow(attempt - 1);
            match self.http.get(url).await {
                Ok(answer) if answer.status == 200 => return Ok(answer.body),
                Ok(answer) if answer.status == 429 || answer.status >= 500 => {
                    let wait = retry_after(&answer.headers)
                        .unwrap_or(backoff)
                        .min(LONGEST_WAIT);
                    last = format!("HTTP {}", answer.status);
                    tracing::info!(
                        status = answer.status,
                        ?wait,
                        attempt,
                        "E-utilities asked to wait"
                    );
                    self.pacer.hold(wait);
                }
                Ok(answer) => {
                    return Err(PubmedError::Status {
                        status: answer.status,
                        body: String::from_utf8_lossy(&answer.body)
                            .chars()
                            .take(200)
                            .collect(),
                    });
                }
                Err(e @ (OutboundError::Timeout(_) | OutboundError::Transport(_))) => {
                    last = e.to_string();
                    self.pacer.hold(backoff.min(LONGEST_WAIT));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(PubmedError::GaveUp {
            attempts: self.config.max_attempts,
            last,
        })
    }
}

fn config_rate(config: &Config) -> u32 {
    if config.api_key.is_some() { 10 } else { 3 }
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// Spaces the starts of requests `interval` apart; a hold pushes the next
/// start later for every request of the client.
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let at = (*next).max(Instant::now());
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    fn hold(&self, wait: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }
}

/// The `Count`, `WebEnv` and `QueryKey` of an `eSearchResult` (children of
/// the root only: `Count` also appears in its translation stack).
fn parse_search(xml: &str) -> Result<History, PubmedError> {
    let malformed = |reason: String| PubmedError::Malformed {
        expected: "an eSearchResult",
        reason,
    };
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let (mut count, mut web_env, mut query_key, mut error) = (None, None, None, None);
    let mut text = String::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| malformed(format!("not well-formed XML: {e}")))?
        {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if stack.is_empty() && name != "eSearchResult" {
                    return Err(malformed(format!("the root element is <{name}>")));
                }
                stack.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    text.push_str(s);
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if stack.len() == 1 {
                    let value = text.trim().to_owned();
                    match name.as_str() {
                        "Count" => count = Some(value),
                        "WebEnv" => web_env = Some(value),
                        "QueryKey" => query_key = Some(value),
                        "ERROR" => error = Some(value),
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(error) = error {
        return Err(PubmedError::Refused(error));
    }
    let count: u64 = count
        .ok_or_else(|| malformed("no Count".into()))?
        .parse()
        .map_err(|e| malformed(format!("Count: {e}")))?;
    match (web_env, query_key) {
        (Some(web_env), Some(query_key)) if !web_env.is_empty() && !query_key.is_empty() => {
            Ok(History {
                count,
                web_env,
                query_key,
            })
        }
        // Nothing matched: there is nothing to fetch either.
        _ if count == 0 => Ok(History {
            count,
            web_env: String::new(),
            query_key: String::new(),
        }),
        _ => Err(malformed("no WebEnv and QueryKey".into())),
    }
}

/// NCBI's error message when an `efetch` answer is one (`<eFetchResult>`
/// with an `ERROR`), not PubMed XML.
fn ncbi_error(xml: &str) -> Option<String> {
    let head = &xml[..xml.len().min(4096)];
    let start = head.find("<eFetchResult")?;
    let error = head[start..].find("<ERROR>")? + start + "<ERROR>".len();
    let end = head[error..].find("</ERROR>")? + error;
    Some(
        quick_xml::escape::unescape(&head[error..end])
            .map_or_else(|_| head[error..end].to_owned(), |s| s.into_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_answer_gives_its_history_and_not_the_translations_count() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">
<eSearchResult><Count>1284</Count><RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_6750f0d2b9e1b84b2a0a2b3c</WebEnv><IdList/><TranslationSet/><TranslationStack><TermSet><Term>crispr[All Fields]</Term><Field>All Fields</Field><Count>40021</Count><Explode>N</Explode></TermSet><OP>GROUP</OP></TranslationStack><QueryTranslation>crispr[All Fields]</QueryTranslation></eSearchResult>"#;
        assert_eq!(
            parse_search(xml).unwrap(),
            History {
                count: 1284,
                web_env: "MCID_6750f0d2b9e1b84b2a0a2b3c".into(),
                query_key: "1".into()
            }
        );
        let refused = "<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>";
        assert!(
            matches!(parse_search(refused), Err(PubmedError::Refused(m)) if m == "Invalid query")
        );
        assert!(matches!(
            parse_search("<html>busy</html>"),
            Err(PubmedError::Malformed { .. })
        ));
        assert!(matches!(
            parse_search("<eSearchResult><Count>3</Count"),
            Err(PubmedError::Malformed { .. })
        ));
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        headers.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(
            (Duration::from_secs(28)..=Duration::from_secs(30)).contains(&wait),
            "{wait:?}"
        );
    }
}
