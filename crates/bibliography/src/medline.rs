//! MEDLINE (PubMed's `.nbib` export): `TAG - value` lines, the tag padded
//! to four characters, continuation lines indented by six spaces, records
//! apart by a blank line.
//!
//! Written here: there is no maintained Rust parser of the format, and it
//! is a tag per line. Tags as NLM documents them in "MEDLINE/PubMed Data
//! Element (Field) Descriptions": `PMID`, `TI` (or `BTI` for books), `AB`,
//! `FAU` (full author names; `AU` when absent), `JT` (or `TA`), `DP`, and
//! `LID`/`AID` whose value ends in `[doi]`.

use crate::text::{clean_or_empty, year_of};
use crate::{Parsed, Record};

/// The tag and value of a `TAG - value` line.
fn tag_line(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 5 || bytes[4] != b'-' || !bytes[0].is_ascii_uppercase() {
        return None;
    }
    let tag = line[..4].trim_end();
    if !tag
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    Some((tag, line[5..].trim()))
}

#[derive(Default)]
struct Fields {
    pmid: Option<String>,
    title: Option<String>,
    abstract_: Option<String>,
    full_authors: Vec<String>,
    authors: Vec<String>,
    journal: Option<String>,
    journal_abbreviated: Option<String>,
    year: Option<i32>,
    doi: Option<String>,
    /// The tag a continuation line extends, and the text it extends.
    last: Option<(String, String)>,
}

impl Fields {
    /// Ends the field being read: its text is complete.
    fn finish(&mut self) {
        let Some((tag, value)) = self.last.take() else {
            return;
        };
        let value = clean_or_empty(&value);
        if value.is_empty() {
            return;
        }
        match tag.as_str() {
            "PMID" => {
                self.pmid.get_or_insert(value);
            }
            "TI" | "BTI" => {
                self.title.get_or_insert(value);
            }
            "AB" => {
                self.abstract_.get_or_insert(value);
            }
            "FAU" => self.full_authors.push(value),
            "AU" => self.authors.push(value),
            "JT" => {
                self.journal.get_or_insert(value);
            }
            "TA" => {
                self.journal_abbreviated.get_or_insert(value);
            }
            "DP" if self.year.is_none() => self.year = year_of(&value),
            "LID" | "AID" => {
                if let Some(doi) = value.strip_suffix("[doi]") {
                    self.doi.get_or_insert(doi.trim().to_owned());
                }
            }
            _ => {}
        }
    }

    fn into_record(mut self) -> Record {
        self.finish();
        let authors = if self.full_authors.is_empty() {
            self.authors
        } else {
            self.full_authors
        };
        Record {
            title: self.title.unwrap_or_default(),
            r#abstract: self.abstract_,
            authors,
            journal: self.journal.or(self.journal_abbreviated),
            pub_year: self.year,
            doi: self.doi,
            url: self
                .pmid
                .as_ref()
                .map(|p| format!("https://pubmed.ncbi.nlm.nih.gov/{p}/")),
            pmid: self.pmid,
        }
    }
}

pub(crate) fn parse(input: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut open: Option<(usize, usize, Fields)> = None;
    // A rejected record's remaining lines are skipped up to the blank line.
    let mut skipping = false;
    let mut count = 0;
    for (i, raw) in input.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            if let Some((n, start, fields)) = open.take() {
                parsed.push(n, start, fields.into_record());
            }
            skipping = false;
            continue;
        }
        if skipping {
            continue;
        }
        let (n, start, fields) = open.get_or_insert_with(|| {
            count += 1;
            (count, i + 1, Fields::default())
        });
        match tag_line(line) {
            Some((tag, value)) => {
                fields.finish();
                fields.last = Some((tag.to_owned(), value.to_owned()));
            }
            None if line.starts_with("      ") && fields.last.is_some() => {
                if let Some((_, text)) = fields.last.as_mut() {
                    text.push(' ');
                    text.push_str(line.trim());
                }
            }
            None => {
                let reason = format!(
                    "line {} is neither a `TAG - value` line nor indented to continue one",
                    i + 1
                );
                parsed.reject(*n, *start, reason);
                open = None;
                skipping = true;
            }
        }
    }
    if let Some((n, start, fields)) = open {
        parsed.push(n, start, fields.into_record());
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "PMID- 31978945\nOWN - NLM\nTI  - A Novel Coronavirus from Patients with Pneumonia in China,\n      2019.\nAB  - In December 2019, a cluster of patients with pneumonia of unknown cause was\n      linked to a seafood wholesale market in Wuhan, China.\nFAU - Zhu, Na\nAU  - Zhu N\nFAU - Zhang, Dingyu\nAU  - Zhang D\nLID - 10.1056/NEJMoa2001017 [doi]\nDP  - 2020 Feb 20\nTA  - N Engl J Med\nJT  - The New England journal of medicine\n\nPMID- 2\nTI  - Broken record of some title length\nthis line belongs to nothing\nAB  - skipped\n\nPMID- 3\nAU  - Only An Author\n";

    #[test]
    fn reads_continued_fields_full_author_names_and_the_doi() {
        let parsed = parse(SAMPLE);
        assert_eq!(parsed.records.len(), 1);
        let r = &parsed.records[0].value;
        assert_eq!(r.pmid.as_deref(), Some("31978945"));
        assert_eq!(
            r.title,
            "A Novel Coronavirus from Patients with Pneumonia in China, 2019."
        );
        assert!(
            r.r#abstract
                .as_deref()
                .unwrap()
                .ends_with("market in Wuhan, China.")
        );
        assert_eq!(r.authors, ["Zhu, Na", "Zhang, Dingyu"]);
        assert_eq!(r.doi.as_deref(), Some("10.1056/NEJMoa2001017"));
        assert_eq!(r.pub_year, Some(2020));
        assert_eq!(
            r.journal.as_deref(),
            Some("The New England journal of medicine")
        );
    }

    #[test]
    fn a_malformed_record_is_rejected_whole_and_the_next_one_read() {
        let parsed = parse(SAMPLE);
        let rejected: Vec<(usize, usize)> =
            parsed.rejected.iter().map(|r| (r.record, r.line)).collect();
        assert_eq!(rejected, [(2, 16), (3, 21)]);
        assert!(parsed.rejected[0].reason.contains("line 18"));
        assert!(parsed.rejected[1].reason.contains("no title"));
    }
}
