//! The formats Curio writes: RIS, BibTeX, CSL-JSON and CSV, from one
//! [`Entry`] shape (a [`Record`] with what a report or a candidate pool adds
//! to it).
//!
//! Which crate writes what, and why:
//! - BibTeX: `biblatex`'s serializer, which escapes TeX's special characters
//!   (`{ } \ # $ % & _ ~ ^`) in every field; group authors are braced so that
//!   BibTeX does not split them into given and family names.
//! - CSL-JSON: `serde_json`, field names from the CSL schema; what Curio adds
//!   goes under the schema's `custom` object.
//! - CSV: the `csv` crate (RFC 4180 quoting).
//! - RIS: written here, as it is read here: a tag per line.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use biblatex::{Chunk, EntryType, Spanned};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::Record;

/// A format Curio exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Ris,
    Bibtex,
    CslJson,
    Csv,
}

impl ExportFormat {
    /// Every format, in the order the API lists them.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Ris,
        ExportFormat::Bibtex,
        ExportFormat::CslJson,
        ExportFormat::Csv,
    ];

    /// The name of the `format` parameter.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Ris => "ris",
            ExportFormat::Bibtex => "bibtex",
            ExportFormat::CslJson => "csljson",
            ExportFormat::Csv => "csv",
        }
    }

    /// The media type the export is served with (UTF-8 throughout).
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Ris => "application/x-research-info-systems; charset=utf-8",
            ExportFormat::Bibtex => "application/x-bibtex; charset=utf-8",
            ExportFormat::CslJson => "application/vnd.citationstyles.csl+json",
            ExportFormat::Csv => "text/csv; charset=utf-8; header=present",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Ris => "ris",
            ExportFormat::Bibtex => "bib",
            ExportFormat::CslJson => "json",
            ExportFormat::Csv => "csv",
        }
    }

    /// The whole file for these entries, in their order.
    pub fn write(self, entries: &[Entry]) -> String {
        match self {
            ExportFormat::Ris => ris(entries),
            ExportFormat::Bibtex => bibtex(entries),
            ExportFormat::CslJson => csl_json(entries),
            ExportFormat::Csv => csv(entries),
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

/// One exported article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// The citation key (see [`assign_keys`]).
    pub key: String,
    pub record: Record,
    /// Its place in the report, from 1.
    pub ranking: Option<i32>,
    /// The names of the report categories it is in.
    pub categories: Vec<String>,
    /// The AI summary as curated (what readers see).
    pub summary: Option<String>,
    /// The sentences of the report's summaries that cite it.
    pub cited_in: Vec<CitingSentence>,
    /// What only the stream's curators get.
    pub curation: Option<Curation>,
}

/// A sentence of a report's summaries that cites an entry: which summary
/// (`Executive summary` or a category's name) and the sentence without
/// its markers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CitingSentence {
    pub summary: String,
    pub sentence: String,
}

/// The citing sentences on one line, for the flat formats:
/// `Summary: sentence | Summary: sentence`.
fn cited_in_line(cited_in: &[CitingSentence]) -> String {
    cited_in
        .iter()
        .map(|c| format!("{}: {}", c.summary, c.sentence))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A curator's fields of an exported article.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Curation {
    /// `new`, `included` or `excluded`.
    pub decision: Option<String>,
    /// The exclusion reason's code.
    pub reason: Option<String>,
    pub notes: Option<String>,
    /// The AI summary as the LLM wrote it, before a curator's edit.
    pub original_summary: Option<String>,
}

/// Gives each entry a citation key that stays the same between exports:
/// the first author's family name, the year and the title's first long
/// word, ASCII letters and digits only (`smith2021aspirin`). Entries whose
/// keys collide get `a`, `b`, … in the order of `stable_order` (an article
/// id), not of the list, so that reordering a report keeps every key.
pub fn assign_keys(entries: &mut [Entry], stable_order: &[i64]) {
    let bases: Vec<String> = entries.iter().map(|e| base_key(&e.record)).collect();
    let mut by_base: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, base) in bases.iter().enumerate() {
        by_base.entry(base).or_default().push(i);
    }
    for (base, mut indices) in by_base {
        if indices.len() == 1 {
            entries[indices[0]].key = base.to_owned();
            continue;
        }
        indices.sort_by_key(|&i| stable_order.get(i).copied().unwrap_or(i as i64));
        for (n, i) in indices.into_iter().enumerate() {
            entries[i].key = format!("{base}{}", suffix(n));
        }
    }
}

/// `a` … `z`, then `aa`, `ab`, …
fn suffix(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Letters and digits of `s`, accents folded, lowercase ASCII.
fn ascii_word(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Title words too common to tell works apart.
const KEY_STOP_WORDS: [&str; 12] = [
    "the", "and", "for", "with", "from", "into", "of", "in", "on", "an", "a", "to",
];

fn base_key(record: &Record) -> String {
    let family = record
        .authors
        .first()
        .map(|a| a.split(',').next().unwrap_or(a))
        .map(|f| f.split_whitespace().last().unwrap_or(f))
        .map(ascii_word)
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "anon".to_owned());
    let year = record
        .pub_year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "nd".to_owned());
    let word = record
        .title
        .split(|c: char| !c.is_alphanumeric())
        .map(ascii_word)
        .find(|w| w.len() >= 3 && !KEY_STOP_WORDS.contains(&w.as_str()))
        .unwrap_or_default();
    format!("{family}{year}{word}")
}

/// One line of a field's value: RIS and CSV readers of the wild take a
/// line break as the end of a field.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RIS, one `TG  - value` line per field: the bibliographic fields in their
/// standard tags (`AN` the PMID, `KW` a category, `N1` the AI summary), and
/// the report's and curator's fields in the custom tags (`C1` ranking, `C2`
/// the summaries' sentences that cite it, `C3` decision, `C4` reason, `C5`
/// notes, `C6` original summary). Lines end in
/// CR LF, as the specification has them.
fn ris(entries: &[Entry]) -> String {
    let mut out = String::new();
    let mut line = |tag: &str, value: &str| {
        let value = one_line(value);
        if !value.is_empty() || tag == "ER" {
            out.push_str(tag);
            out.push_str("  - ");
            out.push_str(&value);
            out.push_str("\r\n");
        }
    };
    for e in entries {
        let r = &e.record;
        line("TY", "JOUR");
        line("ID", &e.key);
        line("TI", &r.title);
        for a in &r.authors {
            line("AU", a);
        }
        if let Some(y) = r.pub_year {
            line("PY", &y.to_string());
        }
        line("JO", r.journal.as_deref().unwrap_or_default());
        line("AB", r.r#abstract.as_deref().unwrap_or_default());
        line("DO", r.doi.as_deref().unwrap_or_default());
        line("AN", r.pmid.as_deref().unwrap_or_default());
        line("UR", r.url.as_deref().unwrap_or_default());
        for c in &e.categories {
            line("KW", c);
        }
        line("N1", e.summary.as_deref().unwrap_or_default());
        if let Some(rank) = e.ranking {
            line("C1", &rank.to_string());
        }
        line("C2", &cited_in_line(&e.cited_in));
        if let Some(c) = &e.curation {
            line("C3", c.decision.as_deref().unwrap_or_default());
            line("C4", c.reason.as_deref().unwrap_or_default());
            line("C5", c.notes.as_deref().unwrap_or_default());
            line("C6", c.original_summary.as_deref().unwrap_or_default());
        }
        line("ER", "");
    }
    out
}

/// A field's text as `biblatex` chunks: plain text is escaped by its
/// serializer.
fn chunks(text: &str) -> Vec<Spanned<Chunk>> {
    vec![Spanned::zero(Chunk::Normal(text.to_owned()))]
}

/// `author = {Family, Given and {Group Name}}`: a name without a comma is
/// a group's, kept whole by braces.
fn author_chunks(authors: &[String]) -> Vec<Spanned<Chunk>> {
    let mut out = Vec::new();
    for (i, a) in authors.iter().enumerate() {
        if i > 0 {
            out.push(Spanned::zero(Chunk::Normal(" and ".to_owned())));
        }
        // A name that holds " and " would split; braces keep it whole too.
        if a.contains(',') && !a.to_lowercase().contains(" and ") {
            out.push(Spanned::zero(Chunk::Normal(a.clone())));
        } else {
            out.push(Spanned::zero(Chunk::Verbatim(a.clone())));
        }
    }
    out
}

/// `biblatex` escapes `~` and `^` as `\~` and `\^`, which TeX (and every
/// BibTeX reader) takes for accents on the next letter; the commands that
/// print the characters themselves say what the text holds.
fn spelled_out_accents(bibtex: &str) -> String {
    bibtex
        .replace("\\~", "{\\textasciitilde}")
        .replace("\\^", "{\\textasciicircum}")
}

/// BibTeX `@article` entries: standard fields, `keywords` the categories,
/// `annote` the AI summary, and Curio's fields by their own names
/// (`ranking`, `cited_in`, `decision`, `reason`, `curator_notes`,
/// `original_summary`).
fn bibtex(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        let r = &e.record;
        let mut entry = biblatex::Entry::new(e.key.clone(), EntryType::Article);
        let mut set = |field: &str, value: Option<&str>| {
            if let Some(v) = value.map(one_line).filter(|v| !v.is_empty()) {
                entry.set(field, chunks(&v));
            }
        };
        set("title", Some(&r.title));
        set("journal", r.journal.as_deref());
        set("year", r.pub_year.map(|y| y.to_string()).as_deref());
        set("abstract", r.r#abstract.as_deref());
        set("doi", r.doi.as_deref());
        set("pmid", r.pmid.as_deref());
        set("url", r.url.as_deref());
        set("keywords", Some(&e.categories.join(", ")));
        set("annote", e.summary.as_deref());
        set("ranking", e.ranking.map(|n| n.to_string()).as_deref());
        set("cited_in", Some(&cited_in_line(&e.cited_in)));
        if let Some(c) = &e.curation {
            set("decision", c.decision.as_deref());
            set("reason", c.reason.as_deref());
            set("curator_notes", c.notes.as_deref());
            set("original_summary", c.original_summary.as_deref());
        }
        if !r.authors.is_empty() {
            entry.set("author", author_chunks(&r.authors));
        }
        // Only a malformed `date` field fails, and none is set.
        if let Ok(text) = entry.to_bibtex_string() {
            out.push_str(&spelled_out_accents(&text));
            out.push_str("\n\n");
        }
    }
    out
}

#[derive(Serialize)]
struct CslItem<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    author: Vec<CslName<'a>>,
    #[serde(rename = "container-title", skip_serializing_if = "Option::is_none")]
    container_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<CslDate>,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    abstract_: Option<&'a str>,
    #[serde(rename = "DOI", skip_serializing_if = "Option::is_none")]
    doi: Option<&'a str>,
    #[serde(rename = "PMID", skip_serializing_if = "Option::is_none")]
    pmid: Option<&'a str>,
    #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keyword: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    custom: CslCustom<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum CslName<'a> {
    Parts { family: &'a str, given: &'a str },
    Literal { literal: &'a str },
}

#[derive(Serialize)]
struct CslDate {
    #[serde(rename = "date-parts")]
    date_parts: [[i32; 1]; 1],
}

/// What Curio adds to an item, under the schema's `custom`.
#[derive(Serialize)]
struct CslCustom<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ranking: Option<i32>,
    categories: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    /// The summaries' sentences that cite the item.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    cited_in: &'a [CitingSentence],
    #[serde(skip_serializing_if = "Option::is_none")]
    curation: Option<&'a Curation>,
}

fn csl_name(author: &str) -> CslName<'_> {
    match author.split_once(',') {
        Some((family, given)) if !given.trim().is_empty() => CslName::Parts {
            family: family.trim(),
            given: given.trim(),
        },
        _ => CslName::Literal { literal: author },
    }
}

/// A CSL-JSON array of `article-journal` items; the categories also as the
/// comma-separated `keyword` CSL has, the AI summary as `note`.
fn csl_json(entries: &[Entry]) -> String {
    let items: Vec<CslItem<'_>> = entries
        .iter()
        .map(|e| {
            let r = &e.record;
            CslItem {
                id: &e.key,
                kind: "article-journal",
                title: &r.title,
                author: r.authors.iter().map(|a| csl_name(a)).collect(),
                container_title: r.journal.as_deref(),
                issued: r.pub_year.map(|y| CslDate { date_parts: [[y]] }),
                abstract_: r.r#abstract.as_deref(),
                doi: r.doi.as_deref(),
                pmid: r.pmid.as_deref(),
                url: r.url.as_deref(),
                keyword: (!e.categories.is_empty()).then(|| e.categories.join(", ")),
                note: e.summary.as_deref(),
                custom: CslCustom {
                    ranking: e.ranking,
                    categories: &e.categories,
                    summary: e.summary.as_deref(),
                    cited_in: &e.cited_in,
                    curation: e.curation.as_ref(),
                },
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab
/// or a carriage return first) starts with an apostrophe instead, as
/// OWASP advises for CSV exports opened in spreadsheets.
fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// CSV with a header row; lists (authors, categories) are joined by `; `,
/// the citing sentences (`cited_in`) by ` | `. Curator columns are there
/// only when an entry carries them.
fn csv(entries: &[Entry]) -> String {
    let curator = entries.iter().any(|e| e.curation.is_some());
    let mut header = vec![
        "ranking",
        "citation_key",
        "title",
        "authors",
        "journal",
        "year",
        "doi",
        "pmid",
        "url",
        "categories",
        "ai_summary",
        "abstract",
        "cited_in",
    ];
    if curator {
        header.extend(["decision", "reason", "curator_notes", "original_summary"]);
    }
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(entries.len());
    for e in entries {
        let r = &e.record;
        let text = |v: Option<&str>| v.map(one_line).unwrap_or_default();
        let mut row = vec![
            e.ranking.map(|n| n.to_string()).unwrap_or_default(),
            e.key.clone(),
            one_line(&r.title),
            r.authors.join("; "),
            text(r.journal.as_deref()),
            r.pub_year.map(|y| y.to_string()).unwrap_or_default(),
            text(r.doi.as_deref()),
            text(r.pmid.as_deref()),
            text(r.url.as_deref()),
            e.categories.join("; "),
            text(e.summary.as_deref()),
            text(r.r#abstract.as_deref()),
            one_line(&cited_in_line(&e.cited_in)),
        ];
        if curator {
            let c = e.curation.clone().unwrap_or_default();
            row.extend([
                text(c.decision.as_deref()),
                text(c.reason.as_deref()),
                text(c.notes.as_deref()),
                text(c.original_summary.as_deref()),
            ]);
        }
        rows.push(row.iter().map(|c| inert(c)).collect());
    }
    // Writing to a `Vec` fails only on a broken invariant of the crate.
    let _ = writer.write_record(&header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn entry(title: &str, authors: &[&str], year: i32) -> Entry {
        Entry {
            key: String::new(),
            record: Record {
                title: title.to_owned(),
                r#abstract: Some("Dose 5 mg/kg; 16 % & 50$ {braced}_x #1 ~ ^".to_owned()),
                authors: authors.iter().map(|a| (*a).to_owned()).collect(),
                journal: Some("Revue d'Épidémiologie".to_owned()),
                pub_year: Some(year),
                doi: Some("10.1000/xyz_1".to_owned()),
                pmid: Some("12345".to_owned()),
                url: Some("https://example.org/a?b=1&c=2".to_owned()),
            },
            ranking: Some(1),
            categories: vec!["Trials".to_owned(), "Reviews".to_owned()],
            summary: Some("Aspirin lowers risk.".to_owned()),
            cited_in: Vec::new(),
            curation: None,
        }
    }

    #[test]
    fn keys_are_author_year_word_and_collisions_follow_the_stable_order() {
        let mut entries = vec![
            entry("The effects of aspirin", &["Müller, Jörg"], 2021),
            entry("Effects of aspirin again", &["Müller, Anna"], 2021),
            entry("A study", &["World Health Organization"], 2020),
        ];
        assign_keys(&mut entries, &[9, 3, 1]);
        assert_eq!(entries[0].key, "muller2021effectsb");
        assert_eq!(entries[1].key, "muller2021effectsa");
        assert_eq!(entries[2].key, "organization2020study");
        assert_eq!(suffix(0), "a");
        assert_eq!(suffix(26), "aa");
    }

    #[test]
    fn what_curio_writes_it_reads_back_in_every_format_it_also_imports() {
        let mut entries = vec![
            entry(
                "Ünïcode títle: α-synuclein {and} 100% of it",
                &["Müller, Jörg", "WHO Study Group"],
                2021,
            ),
            entry("Second paper on aspirin", &["Smith, J."], 2019),
        ];
        assign_keys(&mut entries, &[1, 2]);
        for (format, import) in [
            (ExportFormat::Ris, Format::Ris),
            (ExportFormat::Bibtex, Format::Bibtex),
            (ExportFormat::CslJson, Format::CslJson),
        ] {
            let text = format.write(&entries);
            let parsed = import.parse(&text).expect("readable");
            assert!(
                parsed.rejected.is_empty(),
                "{format}: {:?}\n{text}",
                parsed.rejected
            );
            assert_eq!(parsed.records.len(), 2, "{format}");
            let first = &parsed.records[0].value;
            assert_eq!(first.title, entries[0].record.title, "{format}\n{text}");
            assert_eq!(first.authors, entries[0].record.authors, "{format}\n{text}");
            assert_eq!(first.journal, entries[0].record.journal, "{format}");
            assert_eq!(first.pub_year, Some(2021), "{format}");
            assert_eq!(first.doi.as_deref(), Some("10.1000/xyz_1"), "{format}");
            assert_eq!(
                first.r#abstract, entries[0].record.r#abstract,
                "{format}\n{text}"
            );
        }
    }

    #[test]
    fn csv_quotes_fields_and_defuses_formulas() {
        let mut e = entry("=HYPERLINK(\"x\")", &["Doe, \"Jay\""], 2020);
        e.curation = Some(Curation {
            decision: Some("included".to_owned()),
            notes: Some("line one\nline two".to_owned()),
            ..Curation::default()
        });
        let text = ExportFormat::Csv.write(&[e]);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(&header[12], "cited_in");
        assert_eq!(&header[13], "decision");
        let row = reader.records().next().expect("a row").expect("readable");
        assert_eq!(&row[2], "'=HYPERLINK(\"x\")");
        assert_eq!(&row[3], "Doe, \"Jay\"");
        assert_eq!(&row[9], "Trials; Reviews");
        assert_eq!(&row[15], "line one line two");
    }

    #[test]
    fn csv_without_curation_has_no_curator_columns() {
        let text = ExportFormat::Csv.write(&[entry("Plain", &[], 2020)]);
        let first = text.lines().next().unwrap_or_default();
        assert!(!first.contains("decision"), "{first}");
    }
}
