//! Feeds of a stream's approved reports: Atom 1.0 (RFC 4287) and JSON Feed
//! 1.1, from one [`Feed`] value.

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

/// A feed and its entries, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// A permanent IRI for the feed.
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// The URL this document is served at (`rel="self"`).
    pub self_url: String,
    /// The URL of the same feed in the other format (`rel="alternate"`).
    pub alternate_url: Option<String>,
    /// When an entry last changed; the feed's creation when it has none.
    pub updated: DateTime<Utc>,
    pub entries: Vec<Entry>,
}

/// A report in a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// A permanent IRI for the entry.
    pub id: String,
    /// Where the entry's report is read.
    pub url: String,
    pub title: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Plain text (the executive summary).
    pub summary: Option<String>,
    /// The whole report as HTML.
    pub content_html: String,
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The Atom 1.0 document (`application/atom+xml`).
pub fn atom(feed: &Feed) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a `Vec` cannot fail.
    let _ = write_atom(&mut w, feed);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

fn write_atom(w: &mut Writer<Vec<u8>>, feed: &Feed) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text_element(w, "id", &feed.id)?;
            text_element(w, "title", &feed.title)?;
            if let Some(subtitle) = &feed.subtitle {
                text_element(w, "subtitle", subtitle)?;
            }
            text_element(w, "updated", &rfc3339(&feed.updated))?;
            w.create_element("link")
                .with_attributes([
                    ("rel", "self"),
                    ("type", "application/atom+xml"),
                    ("href", feed.self_url.as_str()),
                ])
                .write_empty()?;
            if let Some(alternate) = &feed.alternate_url {
                w.create_element("link")
                    .with_attributes([
                        ("rel", "alternate"),
                        ("type", "application/feed+json"),
                        ("href", alternate.as_str()),
                    ])
                    .write_empty()?;
            }
            // RFC 4287 wants an author for each entry or for the feed.
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", "Curio"))?;
            w.create_element("generator")
                .write_text_content(BytesText::new("Curio"))?;
            for e in &feed.entries {
                w.create_element("entry").write_inner_content(|w| {
                    text_element(w, "id", &e.id)?;
                    text_element(w, "title", &e.title)?;
                    text_element(w, "published", &rfc3339(&e.published))?;
                    text_element(w, "updated", &rfc3339(&e.updated))?;
                    w.create_element("link")
                        .with_attributes([("rel", "alternate"), ("href", e.url.as_str())])
                        .write_empty()?;
                    if let Some(summary) = &e.summary {
                        w.create_element("summary")
                            .with_attribute(("type", "text"))
                            .write_text_content(BytesText::new(summary))?;
                    }
                    w.create_element("content")
                        .with_attribute(("type", "html"))
                        .write_text_content(BytesText::new(&e.content_html))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    feed_url: &'a str,
    authors: [JsonAuthor; 1],
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: &'static str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    content_html: &'a str,
    date_published: String,
    date_modified: String,
}

/// The JSON Feed 1.1 document (`application/feed+json`).
pub fn json_feed(feed: &Feed) -> String {
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        description: feed.subtitle.as_deref(),
        feed_url: &feed.self_url,
        authors: [JsonAuthor { name: "Curio" }],
        items: feed
            .entries
            .iter()
            .map(|e| JsonItem {
                id: &e.id,
                url: &e.url,
                title: &e.title,
                summary: e.summary.as_deref(),
                content_html: &e.content_html,
                date_published: rfc3339(&e.published),
                date_modified: rfc3339(&e.updated),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn feed() -> Feed {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
        Feed {
            id: "https://curio.example/api/v1/streams/1/feed.atom".into(),
            title: "Oncology & <friends>".into(),
            subtitle: Some("Weekly".into()),
            self_url: "https://curio.example/api/v1/streams/1/feed.atom?token=a&b".into(),
            alternate_url: None,
            updated: at,
            entries: vec![Entry {
                id: "https://curio.example/api/v1/reports/7".into(),
                url: "https://curio.example/api/v1/reports/7".into(),
                title: "Week 1 — Ünïcode".into(),
                published: at,
                updated: at,
                summary: Some("Two trials.".into()),
                content_html: "<p>Two <b>trials</b> &amp; more.</p>".into(),
            }],
        }
    }

    #[test]
    fn atom_reads_back_with_feed_rs() {
        let text = atom(&feed());
        let parsed = feed_rs::parser::parse(text.as_bytes()).expect("valid Atom");
        assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(parsed.title.unwrap().content, "Oncology & <friends>");
        let entry = &parsed.entries[0];
        assert_eq!(entry.id, "https://curio.example/api/v1/reports/7");
        assert_eq!(entry.title.as_ref().unwrap().content, "Week 1 — Ünïcode");
        let content = entry.content.as_ref().unwrap().body.as_deref().unwrap();
        assert_eq!(content, "<p>Two <b>trials</b> &amp; more.</p>");
        assert_eq!(
            entry.updated.unwrap().to_rfc3339(),
            "2026-03-02T09:30:00+00:00"
        );
    }

    #[test]
    fn json_feed_reads_back_with_feed_rs() {
        let text = json_feed(&feed());
        let parsed = feed_rs::parser::parse(text.as_bytes()).expect("valid JSON Feed");
        assert_eq!(parsed.feed_type, feed_rs::model::FeedType::JSON);
        assert_eq!(
            parsed.entries[0].id,
            "https://curio.example/api/v1/reports/7"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(
            value["items"][0]["content_html"],
            "<p>Two <b>trials</b> &amp; more.</p>"
        );
    }
}
