//! RIS: one `TG  - value` line per field, a record from `TY` to `ER`.
//!
//! Written here: RIS has no maintained Rust parser, and the format is a tag
//! per line. Tags follow the RIS specification's reference types, with the
//! aliases exporters use in practice (`T1` for `TI`, `N2` for `AB`, `JF`/`JO`
//! /`T2` for the journal). A line that is not a tag continues the field
//! before it, as long abstracts are wrapped by some exporters.

use crate::text::{clean, clean_or_empty, year_of};
use crate::{Parsed, Record};

/// The tag and value of a `TG  - value` line.
fn tag_line(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let is_tag = bytes.len() >= 5
        && bytes[0].is_ascii_uppercase()
        && (bytes[1].is_ascii_uppercase() || bytes[1].is_ascii_digit())
        && &bytes[2..5] == b"  -";
    if !is_tag {
        return None;
    }
    Some((&line[..2], line[5..].trim()))
}

/// The fields of one record as read, tag by tag.
#[derive(Default)]
struct Fields {
    title: Vec<String>,
    abstract_: Vec<String>,
    authors: Vec<String>,
    journal_full: Option<String>,
    journal_secondary: Option<String>,
    journal_abbreviated: Option<String>,
    year: Option<i32>,
    doi: Option<String>,
    urls: Vec<String>,
    /// Which of the above a continuation line extends.
    last: Option<&'static str>,
}

impl Fields {
    fn set(&mut self, tag: &str, value: &str) {
        self.last = None;
        if value.is_empty() {
            return;
        }
        let value = value.to_owned();
        match tag {
            "TI" | "T1" => {
                self.title.push(value);
                self.last = Some("title");
            }
            "AB" | "N2" => {
                self.abstract_.push(value);
                self.last = Some("abstract");
            }
            "AU" | "A1" => self.authors.push(value),
            "JF" | "JO" => {
                self.journal_full.get_or_insert(value);
            }
            "T2" => {
                self.journal_secondary.get_or_insert(value);
            }
            "JA" | "J2" => {
                self.journal_abbreviated.get_or_insert(value);
            }
            "PY" | "Y1" | "DA" if self.year.is_none() => self.year = year_of(&value),
            "DO" => {
                self.doi.get_or_insert(value);
            }
            "UR" | "L2" => self.urls.push(value),
            _ => {}
        }
    }

    fn extend(&mut self, line: &str) {
        let target = match self.last {
            Some("title") => self.title.last_mut(),
            Some("abstract") => self.abstract_.last_mut(),
            _ => None,
        };
        if let Some(text) = target {
            text.push(' ');
            text.push_str(line.trim());
        }
    }

    fn into_record(self) -> Record {
        // A DOI given only as its resolver link is still the DOI.
        let doi = self.doi.or_else(|| {
            self.urls
                .iter()
                .find(|u| u.contains("doi.org/"))
                .and_then(|u| u.split_once("doi.org/"))
                .map(|(_, d)| d.to_owned())
        });
        Record {
            title: clean_or_empty(&self.title.join(" ")),
            r#abstract: {
                // Each `AB` is a paragraph.
                let paragraphs: Vec<String> =
                    self.abstract_.iter().filter_map(|p| clean(p)).collect();
                (!paragraphs.is_empty()).then(|| paragraphs.join("\n\n"))
            },
            authors: self.authors.iter().filter_map(|a| clean(a)).collect(),
            journal: self
                .journal_full
                .or(self.journal_secondary)
                .or(self.journal_abbreviated)
                .and_then(|j| clean(&j)),
            pub_year: self.year,
            doi: doi.and_then(|d| clean(&d)),
            pmid: None,
            url: self.urls.into_iter().next(),
        }
    }
}

pub(crate) fn parse(input: &str) -> Parsed {
    let mut parsed = Parsed::default();
    // The record being read: its number, first line and fields.
    let mut open: Option<(usize, usize, Fields)> = None;
    let mut count = 0;
    // The first line of text found outside any record, until a record
    // starts (reported once per stretch).
    let mut stray: Option<usize> = None;
    for (i, raw) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        match (tag_line(line), open.as_mut()) {
            (Some(("TY", _)), _) => {
                if let Some(start) = stray.take() {
                    count += 1;
                    parsed.reject(
                        count,
                        start,
                        "text outside a record (a record starts with `TY  - `)",
                    );
                }
                if let Some((n, start, _)) = open.take() {
                    parsed.reject(
                        n,
                        start,
                        "the record does not end with `ER  - ` before the next `TY`",
                    );
                }
                count += 1;
                open = Some((count, line_no, Fields::default()));
            }
            (Some(("ER", _)), Some(_)) => {
                let (n, start, fields) = open.take().expect("a record is open");
                parsed.push(n, start, fields.into_record());
            }
            (Some((tag, value)), Some((_, _, fields))) => fields.set(tag, value),
            (None, Some((_, _, fields))) if !line.trim().is_empty() => fields.extend(line),
            (_, None) if !line.trim().is_empty() => {
                stray.get_or_insert(line_no);
            }
            _ => {}
        }
    }
    if let Some(start) = stray {
        count += 1;
        parsed.reject(
            count,
            start,
            "text outside a record (a record starts with `TY  - `)",
        );
    }
    if let Some((n, start, _)) = open {
        parsed.reject(n, start, "the file ends inside the record (no `ER  - `)");
    }
    parsed.rejected.sort_by_key(|r| r.record);
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "TY  - JOUR\r\nTI  - Aspirin and the heart:\r\n  a randomized trial\r\nAU  - Müller, Jürgen\r\nAU  - O'Brien, Siobhán\r\nJO  - The Lancet\r\nPY  - 2021/03/04/\r\nAB  - Background text.\r\nUR  - https://doi.org/10.1016/S0140-6736(21)00001-1\r\nER  - \r\n\r\nTY  - JOUR\r\nAU  - Nobody\r\nER  - \r\n";

    #[test]
    fn reads_fields_continuations_and_a_doi_from_its_link() {
        let parsed = parse(SAMPLE);
        assert_eq!(parsed.records.len(), 1);
        let r = &parsed.records[0];
        assert_eq!((r.record, r.line), (1, 1));
        assert_eq!(r.value.title, "Aspirin and the heart: a randomized trial");
        assert_eq!(r.value.authors, ["Müller, Jürgen", "O'Brien, Siobhán"]);
        assert_eq!(r.value.journal.as_deref(), Some("The Lancet"));
        assert_eq!(r.value.pub_year, Some(2021));
        assert_eq!(
            r.value.doi.as_deref(),
            Some("10.1016/S0140-6736(21)00001-1")
        );
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].record, 2);
        assert_eq!(parsed.rejected[0].line, 12);
        assert!(parsed.rejected[0].reason.contains("no title"));
    }

    #[test]
    fn an_unterminated_record_and_stray_text_are_rejected() {
        let input = "junk\nTY  - JOUR\nTI  - First title of some length\nTY  - JOUR\nTI  - Second title of some length\nER  -\nTY  - JOUR\nTI  - Cut";
        let parsed = parse(input);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].value.title, "Second title of some length");
        let lines: Vec<(usize, usize)> =
            parsed.rejected.iter().map(|r| (r.record, r.line)).collect();
        assert_eq!(lines, [(1, 1), (2, 2), (4, 7)]);
    }
}
