//! BibTeX and BibLaTeX, read by `biblatex` (macros from `@string` and LaTeX
//! escapes such as `{\"u}` resolved, BibLaTeX's `journaltitle` and `date`
//! read as BibTeX's `journal` and `year`).
//!
//! `biblatex` reads a file whole and stops at its first error. So that one
//! malformed entry costs that entry alone, a file it refuses is read again
//! entry by entry (each with the file's `@string` definitions), and the
//! entries it still refuses are rejected with their line.

use biblatex::{Bibliography, ChunksExt, Entry, RawBibliography};

use crate::text::{clean, clean_or_empty, year_of};
use crate::{Parsed, Record, line_of};

fn record_of(entry: &Entry) -> Record {
    let text = |field: &str| {
        entry
            .get(field)
            .map(|chunks| chunks.format_verbatim())
            .and_then(|t| clean(&t))
    };
    let authors = entry
        .author()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let family = clean(&format!("{} {}", p.prefix, p.name))?;
            let suffix = clean(&p.suffix)
                .map(|s| format!(", {s}"))
                .unwrap_or_default();
            Some(match clean(&p.given_name) {
                Some(given) => format!("{family}, {given}{suffix}"),
                None => format!("{family}{suffix}"),
            })
        })
        .collect();
    Record {
        title: clean_or_empty(&text("title").unwrap_or_default()),
        r#abstract: text("abstract"),
        authors,
        journal: text("journal").or_else(|| text("journaltitle")),
        pub_year: text("year")
            .or_else(|| text("date"))
            .as_deref()
            .and_then(year_of),
        // An arXiv preprint (`eprint` with `archiveprefix` or `eprinttype`
        // arXiv) is known by the DOI arXiv gives it.
        doi: text("doi").or_else(|| {
            let prefix = text("archiveprefix").or_else(|| text("eprinttype"))?;
            prefix
                .eq_ignore_ascii_case("arxiv")
                .then(|| text("eprint").as_deref().and_then(crate::arxiv_doi))?
        }),
        pmid: text("pmid"),
        url: text("url"),
    }
}

/// A whole file `biblatex` accepts: its entries, in order, with where each
/// starts.
fn whole(input: &str) -> Result<Vec<(usize, Record)>, biblatex::ParseError> {
    let raw = RawBibliography::parse(input)?;
    let starts: Vec<usize> = raw.entries.iter().map(|e| e.span.start).collect();
    let bibliography = Bibliography::from_raw(raw)?;
    Ok(starts
        .into_iter()
        .zip(bibliography.iter())
        .map(|(start, entry)| (line_of(input, start), record_of(entry)))
        .collect())
}

/// The file cut where a line starts with `@`: each piece is one entry (or a
/// `@string`, `@preamble`, `@comment`), with its first line.
fn pieces(input: &str) -> Vec<(usize, &str)> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('@') {
            starts.push((i + 1, offset));
        }
        offset += line.len();
    }
    let ends = starts.iter().skip(1).map(|&(_, o)| o).chain([input.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&(line, start), end)| (line, &input[start..end]))
        .collect()
}

fn is_macro(piece: &str) -> bool {
    piece
        .trim_start()
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("@string"))
}

pub(crate) fn parse(input: &str) -> Parsed {
    let mut parsed = Parsed::default();
    if let Ok(records) = whole(input) {
        for (i, (line, record)) in records.into_iter().enumerate() {
            parsed.push(i + 1, line, record);
        }
        return parsed;
    }
    let pieces = pieces(input);
    let macros: String = pieces
        .iter()
        .filter(|(_, p)| is_macro(p))
        .map(|(_, p)| *p)
        .collect();
    let mut count = 0;
    for (line, piece) in pieces.iter().filter(|(_, p)| !is_macro(p)) {
        let source = format!("{macros}{piece}");
        match Bibliography::parse(&source) {
            Ok(bibliography) => {
                for entry in bibliography.iter() {
                    count += 1;
                    parsed.push(count, *line, record_of(entry));
                }
            }
            Err(e) => {
                count += 1;
                parsed.reject(count, *line, format!("not a BibTeX entry: {}", e.kind));
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"@string{nejm = "The New England Journal of Medicine"}

@article{zhu2020,
  title = {A Novel Coronavirus from Patients with {Pneumonia} in China, 2019},
  author = {Zhu, Na and M{\"u}ller, J{\"u}rgen and van Beethoven, Ludwig and {World Health Organization}},
  journal = nejm,
  year = 2020,
  doi = {10.1056/NEJMoa2001017},
  abstract = {In December 2019, a cluster of patients.},
}

@article{broken,
  title = {Missing brace,
  year = 2021

@article{second,
  title = {Another article with a long title},
  journaltitle = {Nature},
  date = {2019-03-04},
}
"#;

    #[test]
    fn reads_entries_with_macros_and_escapes_and_rejects_a_broken_one() {
        let parsed = parse(SAMPLE);
        let titles: Vec<&str> = parsed
            .records
            .iter()
            .map(|r| r.value.title.as_str())
            .collect();
        assert_eq!(
            titles,
            [
                "A Novel Coronavirus from Patients with Pneumonia in China, 2019",
                "Another article with a long title"
            ]
        );
        let first = &parsed.records[0];
        assert_eq!(first.line, 3);
        assert_eq!(
            first.value.authors,
            [
                "Zhu, Na",
                "Müller, Jürgen",
                "van Beethoven, Ludwig",
                "World Health Organization"
            ]
        );
        assert_eq!(
            first.value.journal.as_deref(),
            Some("The New England Journal of Medicine")
        );
        assert_eq!(first.value.pub_year, Some(2020));
        assert_eq!(first.value.doi.as_deref(), Some("10.1056/NEJMoa2001017"));
        let second = &parsed.records[1];
        assert_eq!((second.record, second.line), (3, 16));
        assert_eq!(second.value.journal.as_deref(), Some("Nature"));
        assert_eq!(second.value.pub_year, Some(2019));
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(
            (parsed.rejected[0].record, parsed.rejected[0].line),
            (2, 12)
        );
    }

    #[test]
    fn a_whole_valid_file_is_read_in_one_pass_with_lines() {
        let parsed = parse(
            "@article{a, title={A title long enough to keep}}\n\n@book{b, title={Book title of some length}, year={1999}}\n",
        );
        assert!(parsed.rejected.is_empty());
        let lines: Vec<usize> = parsed.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 3]);
    }
}
