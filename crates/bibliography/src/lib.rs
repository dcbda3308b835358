//! The bibliographic file formats Curio reads, parsed into one [`Record`]
//! shape, and those it writes ([`export`]).
//!
//! A file is parsed record by record: a record that cannot be read is
//! [`Rejected`] with its position and the reason, and the others are kept,
//! so that one bad entry in an export of thousands costs that entry alone.
//! A file that is not the format at all (XML that is not well formed, JSON
//! that is not an array) is an [`Unreadable`] error instead.
//!
//! Which crate reads what, and why:
//! - PubMed XML: `quick-xml`'s streaming reader, so that a large `efetch`
//!   page never becomes a tree in memory.
//! - BibTeX: `biblatex`, which resolves `@string` macros and LaTeX escapes.
//! - CSL-JSON: `serde_json` into the fields of the CSL schema Curio uses.
//! - RIS and MEDLINE (`.nbib`): written here. Both are line-based tag
//!   formats with no maintained Rust parser; each is a loop over lines.

mod bibtex;
mod csl_json;
pub mod export;
mod medline;
mod pubmed_xml;
mod ris;
mod text;

use std::fmt;
use std::str::FromStr;

pub use text::{arxiv_doi, is_preprint_doi, title_key};

/// A file format Curio imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Ris,
    Bibtex,
    CslJson,
    PubmedXml,
    Nbib,
}

impl Format {
    /// Every format, in the order the API lists them.
    pub const ALL: [Format; 5] = [
        Format::Ris,
        Format::Bibtex,
        Format::CslJson,
        Format::PubmedXml,
        Format::Nbib,
    ];

    /// The name of the `format` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ris => "ris",
            Format::Bibtex => "bibtex",
            Format::CslJson => "csljson",
            Format::PubmedXml => "pubmed-xml",
            Format::Nbib => "nbib",
        }
    }

    /// The format a `Content-Type` names, if it names one unambiguously
    /// (the media types these formats are served with in the wild).
    pub fn from_media_type(media_type: &str) -> Option<Format> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-research-info-systems" => Some(Format::Ris),
            "application/x-bibtex" | "text/x-bibtex" => Some(Format::Bibtex),
            "application/vnd.citationstyles.csl+json" => Some(Format::CslJson),
            "application/x-pubmed+xml" => Some(Format::PubmedXml),
            "application/nbib" | "application/x-medline" => Some(Format::Nbib),
            _ => None,
        }
    }

    /// Parses a whole file of this format.
    pub fn parse(self, input: &str) -> Result<Parsed, Unreadable> {
        // A byte-order mark is not part of the first record.
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        match self {
            Format::Ris => Ok(ris::parse(input)),
            Format::Bibtex => Ok(bibtex::parse(input)),
            Format::CslJson => csl_json::parse(input),
            Format::PubmedXml => pubmed_xml::parse(input),
            Format::Nbib => Ok(medline::parse(input)),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

/// One bibliographic record, with the fields Curio stores for an article.
/// Text is trimmed, with runs of white space made one space; empty is
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub title: String,
    /// Labelled sections (PubMed's structured abstracts) are kept as
    /// paragraphs that start with their label: `BACKGROUND: …`.
    pub r#abstract: Option<String>,
    /// Author names as the file gives them, in order: `Family, Given` where
    /// the format separates the parts, a group's name as it is.
    pub authors: Vec<String>,
    pub journal: Option<String>,
    pub pub_year: Option<i32>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
}

/// A record as it was read, with where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1 for the first record of the file.
    pub record: usize,
    /// The line the record starts on, from 1.
    pub line: usize,
    pub value: Record,
}

/// A record that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub record: usize,
    pub line: usize,
    pub reason: String,
}

/// What a file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub records: Vec<Located>,
    pub rejected: Vec<Rejected>,
}

impl Parsed {
    /// Keeps a record that has a title, and rejects one that has none: an
    /// article is its title first.
    fn push(&mut self, record: usize, line: usize, value: Record) {
        if value.title.is_empty() {
            self.reject(record, line, "the record has no title");
        } else {
            self.records.push(Located {
                record,
                line,
                value,
            });
        }
    }

    fn reject(&mut self, record: usize, line: usize, reason: impl Into<String>) {
        self.rejected.push(Rejected {
            record,
            line,
            reason: reason.into(),
        });
    }

    /// How many records the file held, read or not.
    pub fn total(&self) -> usize {
        self.records.len() + self.rejected.len()
    }
}

/// A file that is not of the format it was said to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct Unreadable {
    pub line: usize,
    pub reason: String,
}

/// The 1-based line of a byte offset of `input`.
fn line_of(input: &str, offset: usize) -> usize {
    let end = offset.min(input.len());
    1 + input.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
