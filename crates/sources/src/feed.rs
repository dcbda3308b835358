//! RSS, Atom and JSON Feed sources (preprint servers and journals' tables of
//! contents publish them): fetched through [`Outbound`], parsed by feed-rs
//! on the blocking pool, each entry made a bibliographic record.

use bibliography::{Located, Parsed, Record, Rejected};
use chrono::Datelike;
use url::Url;

use crate::outbound::{Outbound, OutboundError};

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    #[error("the feed answered {0}")]
    Status(u16),
    #[error("not an RSS, Atom or JSON feed: {0}")]
    Malformed(String),
}

/// The feed's entries as records, in feed order; an entry without a title
/// is rejected. Records carry no line (`line` 0): a feed is not read by
/// lines.
pub async fn fetch(http: &Outbound, url: &Url) -> Result<Parsed, FeedError> {
    let answer = http.get(url).await?;
    if answer.status != 200 {
        return Err(FeedError::Status(answer.status));
    }
    let base = url.to_string();
    tokio::task::spawn_blocking(move || parse(&answer.body, Some(&base)))
        .await
        .map_err(|e| FeedError::Malformed(e.to_string()))?
}

/// Parses a feed's bytes; `base`, where the feed came from, resolves
/// relative links (a feed read from a file has none to resolve them by).
pub fn parse(body: &[u8], base: Option<&str>) -> Result<Parsed, FeedError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(base)
        .build()
        .parse(body)
        .map_err(|e| FeedError::Malformed(e.to_string()))?;
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for (i, entry) in feed.entries.into_iter().enumerate() {
        let record = i + 1;
        let title = entry.title.map(|t| squash(&t.content)).unwrap_or_default();
        if title.is_empty() {
            rejected.push(Rejected {
                record,
                line: 0,
                reason: "the entry has no title".into(),
            });
            continue;
        }
        let links: Vec<String> = entry.links.iter().map(|l| l.href.clone()).collect();
        let doi = std::iter::once(entry.id.as_str())
            .chain(links.iter().map(String::as_str))
            .find_map(doi_in);
        let r#abstract = entry
            .summary
            .map(|s| squash(&s.content))
            .or_else(|| entry.content.and_then(|c| c.body).map(|b| squash(&b)))
            .filter(|a| !a.is_empty());
        let value = Record {
            title,
            r#abstract,
            authors: entry
                .authors
                .into_iter()
                .filter_map(|p| p.name.map(|n| squash(&n)).filter(|n| !n.is_empty()))
                .collect(),
            journal: feed
                .title
                .as_ref()
                .map(|t| squash(&t.content))
                .filter(|t| !t.is_empty()),
            pub_year: entry.published.or(entry.updated).map(|d| d.year()),
            doi,
            pmid: None,
            url: links
                .into_iter()
                .find(|l| l.starts_with("http://") || l.starts_with("https://")),
        };
        records.push(Located {
            record,
            line: 0,
            value,
        });
    }
    Ok(Parsed { records, rejected })
}

/// Whitespace runs as one space, trimmed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A DOI in an entry's id or link: `doi:10.…`, `https://doi.org/10.…`, or a
/// link whose path holds one (bioRxiv's `/content/10.1101/…`).
fn doi_in(s: &str) -> Option<String> {
    let start = s.find("10.")?;
    let doi = &s[start..];
    // `10.` + registrant digits + `/` + a suffix.
    let slash = doi.find('/')?;
    if slash < 4
        || !doi[3..slash]
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    let end = doi
        .find(|c: char| c.is_whitespace() || c == '?' || c == '#')
        .unwrap_or(doi.len());
    let doi = doi[..end].trim_end_matches(['.', ',', ';']);
    // bioRxiv links end in a version (`v1`) and a format (`.full`); its
    // DOIs end in the preprint's number.
    let doi = doi.split_once(".full").map_or(doi, |(d, _)| d);
    let doi = match doi.rsplit_once('v') {
        Some((head, version))
            if !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_digit())
                && head.ends_with(|c: char| c.is_ascii_digit()) =>
        {
            head
        }
        _ => doi,
    };
    (doi.len() > slash + 1).then(|| doi.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dois_are_found_where_feeds_put_them() {
        assert_eq!(
            doi_in("https://doi.org/10.1038/s41586-024-07487-w").as_deref(),
            Some("10.1038/s41586-024-07487-w")
        );
        assert_eq!(
            doi_in("doi:10.1101/2024.01.02.573021").as_deref(),
            Some("10.1101/2024.01.02.573021")
        );
        assert_eq!(
            doi_in("http://biorxiv.org/cgi/content/short/2024.01.02.573021v1?rss=1"),
            None
        );
        assert_eq!(
            doi_in("https://www.biorxiv.org/content/10.1101/2024.01.02.573021v1.full").as_deref(),
            Some("10.1101/2024.01.02.573021")
        );
        assert_eq!(doi_in("tag:example.org,2026:entry-10"), None);
    }
}
