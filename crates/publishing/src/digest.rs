//! A report as people read it: the executive summary, then each category
//! with its summary and its articles (numbered, title linked, journal,
//! year, AI summary). A summary's sentences end in their citations, each
//! a link to the cited article (`[2]`). The HTML has inline styles only
//! and no remote resource (no image, font or stylesheet), so that mail
//! clients render it as it is and opening it tells nobody anything.

use std::fmt::Write;

use quick_xml::escape::escape;

/// A report, as its reader may see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Digest {
    /// The stream's name.
    pub stream: String,
    pub title: String,
    /// The report's date, as it is to be shown (`2026-03-02`).
    pub date: String,
    pub executive_summary: Option<CitedSummary>,
    pub sections: Vec<Section>,
}

/// A summary as paragraphs of sentences, each with the articles it cites.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CitedSummary {
    pub paragraphs: Vec<Vec<Sentence>>,
}

/// A sentence without its markers, and its citations in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sentence {
    pub text: String,
    pub cites: Vec<Cite>,
}

/// A cited article: its number in the digest and where it is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cite {
    pub number: usize,
    pub link: Option<String>,
}

impl CitedSummary {
    /// Plain text, citations as `[n, m]` before each sentence's final
    /// punctuation, paragraphs apart by a blank line.
    pub fn text(&self) -> String {
        self.paragraphs
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| {
                        let numbers: Vec<String> =
                            s.cites.iter().map(|c| c.number.to_string()).collect();
                        with_marker(
                            &s.text,
                            &format!("[{}]", numbers.join(", ")),
                            !numbers.is_empty(),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// HTML paragraphs, each citation a link to its article (to the
    /// article's place in the digest when it has no link of its own).
    fn html(&self, out: &mut String, style: &str) {
        for p in &self.paragraphs {
            let _ = write!(out, "<p style=\"{style}\">");
            for (i, s) in p.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let links: Vec<String> = s
                    .cites
                    .iter()
                    .map(|c| {
                        let href = c
                            .link
                            .clone()
                            .unwrap_or_else(|| format!("#article-{}", c.number));
                        format!(
                            "<a href=\"{}\" style=\"{CITE}\">{}</a>",
                            escape(&href),
                            c.number
                        )
                    })
                    .collect();
                let marker = format!("[{}]", links.join(", "));
                let text = escape(s.text.trim()).into_owned();
                out.push_str(&with_marker(&text, &marker, !links.is_empty()));
            }
            out.push_str("</p>");
        }
    }
}

/// `text` with `marker` before its final `.`, `!` or `?` (after it when it
/// has none); `text` alone when there is no marker.
fn with_marker(text: &str, marker: &str, cited: bool) -> String {
    let text = text.trim();
    if !cited {
        return text.to_owned();
    }
    match text.char_indices().last() {
        Some((i, c)) if matches!(c, '.' | '!' | '?') => format!("{} {marker}{c}", &text[..i]),
        _ => format!("{text} {marker}"),
    }
}

/// A category of the report (or the articles filed under none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub name: String,
    pub summary: Option<CitedSummary>,
    pub articles: Vec<Article>,
}

/// An article of the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// Its number in the digest, what citations name (from 1).
    pub number: usize,
    pub title: String,
    pub journal: Option<String>,
    pub year: Option<i32>,
    /// Where the article is read: its DOI's resolver, its URL or PubMed.
    pub link: Option<String>,
    pub summary: Option<String>,
}

impl Article {
    /// `Journal · 2026`, or what there is of it.
    fn source_line(&self) -> String {
        [self.journal.clone(), self.year.map(|y| y.to_string())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Where an article is read: the DOI's resolver first (it follows the
/// article when publishers move), then its own URL, then PubMed.
pub fn article_link(doi: Option<&str>, url: Option<&str>, pmid: Option<&str>) -> Option<String> {
    if let Some(doi) = doi.filter(|d| !d.is_empty()) {
        return Some(format!("https://doi.org/{doi}"));
    }
    if let Some(url) = url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        return Some(url.to_owned());
    }
    pmid.filter(|p| !p.is_empty())
        .map(|p| format!("https://pubmed.ncbi.nlm.nih.gov/{p}/"))
}

const BODY: &str = "font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;max-width:680px;margin:0 auto;padding:16px";
const H1: &str = "font-size:22px;margin:0 0 4px 0";
const H2: &str =
    "font-size:18px;margin:24px 0 8px 0;border-bottom:1px solid #d0d7de;padding-bottom:4px";
const MUTED: &str = "color:#59636e;font-size:13px;margin:0";
const LINK: &str = "color:#0969da;text-decoration:none;font-weight:bold";
const ITEM: &str = "margin:0 0 14px 0";
const CITE: &str = "color:#0969da;text-decoration:none";
const NUMBER: &str = "color:#59636e;font-weight:normal";

/// Text as HTML paragraphs: a blank line starts a paragraph.
fn paragraphs(out: &mut String, text: &str, style: &str) {
    for p in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let _ = write!(out, "<p style=\"{style}\">{}</p>", escape(p));
    }
}

impl Digest {
    /// The report as an HTML fragment (a `<div>`), for feeds' content and
    /// the body of a page or mail.
    pub fn html_fragment(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "<div style=\"{BODY}\">");
        let _ = write!(
            out,
            "<h1 style=\"{H1}\">{}</h1><p style=\"{MUTED}\">{} · {}</p>",
            escape(&self.title),
            escape(&self.stream),
            escape(&self.date)
        );
        if let Some(summary) = &self.executive_summary {
            let _ = write!(out, "<h2 style=\"{H2}\">Executive summary</h2>");
            summary.html(&mut out, "margin:0 0 10px 0");
        }
        for section in &self.sections {
            let _ = write!(out, "<h2 style=\"{H2}\">{}</h2>", escape(&section.name));
            if let Some(summary) = &section.summary {
                summary.html(&mut out, "margin:0 0 12px 0;font-style:italic");
            }
            for a in &section.articles {
                let _ = write!(
                    out,
                    "<div id=\"article-{}\" style=\"{ITEM}\"><span style=\"{NUMBER}\">[{}]</span> ",
                    a.number, a.number
                );
                match &a.link {
                    Some(link) => {
                        let _ = write!(
                            out,
                            "<a href=\"{}\" style=\"{LINK}\">{}</a>",
                            escape(link),
                            escape(&a.title)
                        );
                    }
                    None => {
                        let _ = write!(out, "<strong>{}</strong>", escape(&a.title));
                    }
                }
                let source = a.source_line();
                if !source.is_empty() {
                    let _ = write!(out, "<p style=\"{MUTED}\">{}</p>", escape(&source));
                }
                if let Some(summary) = &a.summary {
                    paragraphs(&mut out, summary, "margin:4px 0 0 0");
                }
                out.push_str("</div>");
            }
        }
        out.push_str("</div>");
        out
    }

    /// A whole HTML document around [`Self::html_fragment`], with `footer`
    /// (HTML) under it.
    pub fn html_document(&self, footer: &str) -> String {
        html_document(&self.title, &self.html_fragment(), footer)
    }

    /// The same report as plain text, for the text part of a mail.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n{} · {}\n", self.title, self.stream, self.date);
        if let Some(summary) = &self.executive_summary {
            let _ = writeln!(out, "EXECUTIVE SUMMARY\n\n{}\n", summary.text());
        }
        for section in &self.sections {
            let _ = writeln!(
                out,
                "{}\n{}",
                section.name.to_uppercase(),
                "-".repeat(section.name.chars().count().min(60))
            );
            if let Some(summary) = &section.summary {
                let _ = writeln!(out, "{}\n", summary.text());
            }
            for a in &section.articles {
                let _ = writeln!(out, "* [{}] {}", a.number, a.title);
                let source = a.source_line();
                if !source.is_empty() {
                    let _ = writeln!(out, "  {source}");
                }
                if let Some(link) = &a.link {
                    let _ = writeln!(out, "  {link}");
                }
                if let Some(summary) = &a.summary {
                    let _ = writeln!(out, "  {summary}");
                }
                out.push('\n');
            }
        }
        out
    }
}

/// A whole HTML document: `fragment` (a rendered report) with `footer`
/// under it; for a caller that renders the report once and the footer per
/// reader.
pub fn html_document(title: &str, fragment: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head><body style=\"margin:0;background:#ffffff\">{fragment}{footer}</body></html>\n",
        escape(title)
    )
}

/// The footer of a report's mail: what changed since the version the
/// reader got, if it was sent before, why they receive it, and the
/// unsubscribe link.
pub fn mail_footer(changes: Option<&str>, unsubscribe: Option<&str>) -> String {
    let mut out = String::from(
        "<div style=\"font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#59636e;max-width:680px;margin:0 auto;padding:0 16px 16px\">",
    );
    if let Some(c) = changes {
        let _ = write!(out, "<p style=\"margin:0 0 8px 0\">{}</p>", escape(c));
    }
    out.push_str("<p style=\"margin:0\">You receive this because you read this stream in Curio.");
    if let Some(url) = unsubscribe {
        let _ = write!(
            out,
            " <a href=\"{}\" style=\"color:#59636e\">Unsubscribe</a>.",
            escape(url)
        );
    }
    out.push_str("</p></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sentence citing articles 1 (with a DOI link) and 2 (without).
    fn sentence(text: &str, numbers: &[usize]) -> Sentence {
        Sentence {
            text: text.into(),
            cites: numbers
                .iter()
                .map(|&number| Cite {
                    number,
                    link: (number == 1).then(|| "https://doi.org/10.1/x".to_owned()),
                })
                .collect(),
        }
    }

    fn digest() -> Digest {
        Digest {
            stream: "Oncology <weekly>".into(),
            title: "Week 1 & more".into(),
            date: "2026-03-02".into(),
            executive_summary: Some(CitedSummary {
                paragraphs: vec![
                    vec![sentence("First.", &[])],
                    vec![sentence("Second <b>bold</b>.", &[1, 2])],
                ],
            }),
            sections: vec![Section {
                name: "Trials".into(),
                summary: Some(CitedSummary {
                    paragraphs: vec![vec![sentence("Two trials", &[1])]],
                }),
                articles: vec![Article {
                    number: 1,
                    title: "A \"quoted\" trial".into(),
                    journal: Some("NEJM".into()),
                    year: Some(2026),
                    link: article_link(Some("10.1/x"), None, None),
                    summary: Some("It worked.".into()),
                }],
            }],
        }
    }

    #[test]
    fn html_escapes_every_text_and_loads_nothing_remote() {
        let html = digest().html_document("");
        assert!(html.contains("Week 1 &amp; more"));
        assert!(html.contains("Second &lt;b&gt;bold&lt;/b&gt; ["));
        assert!(html.contains("<a href=\"https://doi.org/10.1/x\""));
        assert!(html.contains("A &quot;quoted&quot; trial"));
        for remote in ["<img", "<link", "<script", "url(", "@import"] {
            assert!(!html.contains(remote), "{remote}");
        }
    }

    #[test]
    fn text_holds_the_same_report() {
        let text = digest().text();
        assert!(text.contains("EXECUTIVE SUMMARY\n\nFirst.\n\nSecond <b>bold</b> [1, 2].\n"));
        assert!(text.contains("TRIALS\n------\nTwo trials [1]\n"));
        assert!(text.contains(
            "* [1] A \"quoted\" trial\n  NEJM · 2026\n  https://doi.org/10.1/x\n  It worked."
        ));
    }

    #[test]
    fn citations_link_to_their_articles_before_the_sentence_ends() {
        let html = digest().html_fragment();
        let cite = |href: &str, n: usize| format!("<a href=\"{href}\" style=\"{CITE}\">{n}</a>");
        assert!(
            html.contains(&format!(
                "Second &lt;b&gt;bold&lt;/b&gt; [{}, {}].</p>",
                cite("https://doi.org/10.1/x", 1),
                cite("#article-2", 2)
            )),
            "{html}"
        );
        assert!(html.contains(&format!(
            "Two trials [{}]</p>",
            cite("https://doi.org/10.1/x", 1)
        )));
        assert!(
            html.contains("<div id=\"article-1\""),
            "an article without a link is cited by its place"
        );
        assert!(
            html.contains("<p style=\"margin:0 0 10px 0\">First.</p>"),
            "an uncited sentence has no marker"
        );
    }

    #[test]
    fn links_prefer_the_doi_then_the_url_then_pubmed() {
        assert_eq!(
            article_link(None, Some("https://a.org/x"), Some("1")).as_deref(),
            Some("https://a.org/x")
        );
        assert_eq!(
            article_link(None, Some("javascript:alert(1)"), Some("1")).as_deref(),
            Some("https://pubmed.ncbi.nlm.nih.gov/1/")
        );
        assert_eq!(article_link(None, None, None), None);
    }
}
