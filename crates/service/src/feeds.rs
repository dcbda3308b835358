//! Feeds of a stream's approved reports (Atom 1.0, JSON Feed 1.1), and the
//! feed tokens that let a feed reader, which cannot sign in, read one.
//!
//! A feed token is a secret URL parameter that opens one stream's feed for
//! one user and nothing else: it is not a bearer token for the API. It
//! reads as its user would (the stream must still be visible to them) and
//! dies with the user's sign-ins (deactivation, a password or role change)
//! or when revoked. Only its SHA-256 is stored.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use publishing::digest::{Article, Cite, CitedSummary, Digest, Section, Sentence, article_link};
use publishing::feed::{Entry, Feed};
use repository::associations::{self, ReportArticle};
pub use repository::feed_tokens::FeedToken;
use repository::{feed_tokens, reports, users};
use sea_orm::DatabaseConnection;
use sha2::{Digest as _, Sha256};

use crate::access::Actor;
use crate::error::ConflictKind;
use crate::reports::Report;
use crate::streams::Stream;
use crate::{ServiceError, limits};

/// The two feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Atom,
    Json,
}

impl FeedFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Who reads a feed: a signed-in caller, or the holder of a feed token.
#[derive(Debug, Clone)]
pub enum FeedReader {
    Actor(Actor),
    Token(String),
}

/// The URLs a feed names, as the caller reached it.
#[derive(Debug, Clone)]
pub struct FeedUrls {
    /// Scheme and authority (`https://curio.example`), no trailing slash.
    pub base: String,
    /// The query string to keep on the feed's own links (`token=…`).
    pub query: Option<String>,
}

/// A rendered feed; `etag` changes when the document does.
#[derive(Debug, Clone)]
pub struct RenderedFeed {
    pub body: String,
    pub etag: String,
}

/// A feed token as created: `secret` is shown this once.
#[derive(Debug, Clone)]
pub struct IssuedFeedToken {
    pub token: FeedToken,
    pub secret: String,
}

/// Feeds and feed tokens.
#[derive(Clone)]
pub struct FeedService {
    db: DatabaseConnection,
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl FeedService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A new feed token for a stream the caller may see (at most
    /// [`limits::FEED_TOKENS_PER_STREAM`] per user and stream).
    pub async fn create_token(
        &self,
        actor: &Actor,
        stream_id: i32,
    ) -> Result<IssuedFeedToken, ServiceError> {
        let db = &self.db;
        crate::streams::get_visible(db, actor, stream_id).await?;
        let held = feed_tokens::count(db, actor.id, stream_id).await?;
        if held >= limits::FEED_TOKENS_PER_STREAM {
            return Err(ConflictKind::LimitReached.because(format!(
                "at most {} feed tokens per stream: revoke one first",
                limits::FEED_TOKENS_PER_STREAM
            )));
        }
        let user = users::credentials(db, actor.id)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        // 256 random bits, as hex: safe in a URL as it is.
        let secret = crate::auth::generate_secret();
        let token =
            feed_tokens::create(db, actor.id, stream_id, hash(&secret), user.token_version).await?;
        Ok(IssuedFeedToken { token, secret })
    }

    /// The caller's feed tokens for a stream it may see (without secrets).
    pub async fn tokens(
        &self,
        actor: &Actor,
        stream_id: i32,
    ) -> Result<Vec<FeedToken>, ServiceError> {
        let db = &self.db;
        crate::streams::get_visible(db, actor, stream_id).await?;
        Ok(feed_tokens::list(db, actor.id, stream_id).await?)
    }

    /// Revokes one of the caller's feed tokens.
    pub async fn revoke(&self, actor: &Actor, stream_id: i32, id: i32) -> Result<(), ServiceError> {
        if feed_tokens::delete(&self.db, actor.id, stream_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("feed token"))
        }
    }

    /// The actor a feed token reads as, if it opens this stream's feed.
    async fn token_actor(&self, secret: &str, stream_id: i32) -> Result<Actor, ServiceError> {
        let refused = || ServiceError::Unauthorized("invalid or revoked feed token".into());
        let token = feed_tokens::find_by_hash(&self.db, &hash(secret))
            .await?
            .ok_or_else(refused)?;
        if token.stream_id != stream_id {
            // It opens another feed, and says nothing about this one.
            return Err(refused());
        }
        let user = users::credentials(&self.db, token.user_id)
            .await?
            .ok_or_else(refused)?;
        if !crate::auth::may_act(user.is_active, user.org_active)
            || user.token_version != token.token_version
        {
            return Err(refused());
        }
        Ok(Actor {
            id: user.id,
            email: user.email,
            org_id: user.org_id,
            role: user.role,
        })
    }

    /// The stream's latest approved reports (at most
    /// [`limits::FEED_ENTRIES`]) as a feed, each with its whole report.
    pub async fn feed(
        &self,
        reader: FeedReader,
        stream_id: i32,
        format: FeedFormat,
        urls: &FeedUrls,
    ) -> Result<RenderedFeed, ServiceError> {
        let db = &self.db;
        let actor = match reader {
            FeedReader::Actor(actor) => actor,
            FeedReader::Token(secret) => self.token_actor(&secret, stream_id).await?,
        };
        let stream = crate::streams::get_visible(db, &actor, stream_id).await?;
        let approved = reports::latest_approved(db, stream.id, limits::FEED_ENTRIES).await?;
        let ids: Vec<i32> = approved.iter().map(|r| r.id).collect();
        let mut articles = associations::load_for_reports(db, &ids, false).await?;
        let feed = feed_of(&stream, approved, &mut articles, urls, format);
        let body = match format {
            FeedFormat::Atom => publishing::feed::atom(&feed),
            FeedFormat::Json => publishing::feed::json_feed(&feed),
        };
        let etag = format!("\"{}\"", &hash(&body)[..32]);
        Ok(RenderedFeed { body, etag })
    }
}

/// A report as its readers see it: the executive summary, then each of
/// the stream's categories that holds articles (in the stream's order,
/// with its summary), then the articles filed under none.
///
/// Articles are numbered in the report's order, and the summaries'
/// citations name them by those numbers (whatever numbers the prompts
/// used), each with the article's link.
pub fn digest_of(stream: &Stream, report: &Report, articles: &[ReportArticle]) -> Digest {
    let enrichments = report.enrichments.clone().unwrap_or_default();
    let link = |ra: &ReportArticle| {
        article_link(
            ra.article.doi.as_deref(),
            ra.article.url.as_deref(),
            ra.article.pmid.as_deref(),
        )
    };
    let numbers: HashMap<i32, Cite> = articles
        .iter()
        .enumerate()
        .map(|(i, ra)| {
            let cite = Cite {
                number: i + 1,
                link: link(ra),
            };
            (ra.article.id, cite)
        })
        .collect();
    let numbering =
        crate::summary_checks::numbering(&enrichments, articles.iter().map(|a| a.article.id));
    let cited = |text: &String| cited_summary(text, &numbering, &numbers);
    let article = |ra: &ReportArticle| Article {
        number: numbers[&ra.article.id].number,
        title: ra.article.title.clone(),
        journal: ra.article.journal.clone(),
        year: ra.article.pub_year,
        link: link(ra),
        summary: ra.association.ai_summary.clone(),
    };
    let mut sections = Vec::new();
    for category in &stream.presentation_config.categories {
        let filed: Vec<Article> = articles
            .iter()
            .filter(|ra| {
                ra.association
                    .presentation_categories
                    .0
                    .contains(&category.id)
            })
            .map(article)
            .collect();
        if filed.is_empty() {
            continue;
        }
        sections.push(Section {
            name: category.name.clone(),
            summary: enrichments.category_summaries.get(&category.id).map(cited),
            articles: filed,
        });
    }
    let known: Vec<&str> = stream
        .presentation_config
        .categories
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let unfiled: Vec<Article> = articles
        .iter()
        .filter(|ra| {
            !ra.association
                .presentation_categories
                .0
                .iter()
                .any(|c| known.contains(&c.as_str()))
        })
        .map(article)
        .collect();
    if !unfiled.is_empty() {
        sections.push(Section {
            name: if sections.is_empty() {
                "Articles"
            } else {
                "Other articles"
            }
            .to_owned(),
            summary: None,
            articles: unfiled,
        });
    }
    Digest {
        stream: stream.stream_name.clone(),
        title: report.report_name.clone(),
        date: report.report_date.to_string(),
        executive_summary: enrichments.executive_summary.as_ref().map(cited),
        sections,
    }
}

/// A summary's text read as paragraphs of cited sentences; a citation of
/// an article the digest does not hold (a hidden one) is left out.
fn cited_summary(text: &str, numbering: &[i32], numbers: &HashMap<i32, Cite>) -> CitedSummary {
    let paragraphs = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            citations::read(p, numbering)
                .sentences
                .into_iter()
                .map(|s| Sentence {
                    cites: s
                        .cites
                        .iter()
                        .filter_map(|id| numbers.get(id).cloned())
                        .collect(),
                    text: s.text,
                })
                .collect()
        })
        .collect();
    CitedSummary { paragraphs }
}

fn feed_of(
    stream: &Stream,
    approved: Vec<Report>,
    articles: &mut HashMap<i32, Vec<ReportArticle>>,
    urls: &FeedUrls,
    format: FeedFormat,
) -> Feed {
    let base = &urls.base;
    let query = urls
        .query
        .as_deref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let feed_path = format!("{base}/api/v1/streams/{}/feed", stream.id);
    let (own, other) = match format {
        FeedFormat::Atom => ("atom", "json"),
        FeedFormat::Json => ("json", "atom"),
    };
    let entries: Vec<Entry> = approved
        .iter()
        .map(|report| {
            let of_report = articles.remove(&report.id).unwrap_or_default();
            let digest = digest_of(stream, report, &of_report);
            let approved_at = report.approved_at.unwrap_or(report.updated_at);
            let published = report
                .report_date
                .and_hms_opt(0, 0, 0)
                .map(|d| Utc.from_utc_datetime(&d))
                .unwrap_or(approved_at);
            let url = format!("{base}/api/v1/reports/{}", report.id);
            Entry {
                id: url.clone(),
                url,
                title: report.report_name.clone(),
                published,
                updated: approved_at,
                summary: digest.executive_summary.as_ref().map(CitedSummary::text),
                content_html: digest.html_fragment(),
            }
        })
        .collect();
    Feed {
        id: format!("{feed_path}.atom"),
        title: stream.stream_name.clone(),
        subtitle: Some(stream.purpose.clone()).filter(|p| !p.is_empty()),
        self_url: format!("{feed_path}.{own}{query}"),
        alternate_url: Some(format!("{feed_path}.{other}{query}")),
        updated: entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or(stream.created_at),
        entries,
    }
}
