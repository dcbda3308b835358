//! Text clean-up shared by the formats, and the title key that matches
//! records which carry no identifier.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Trimmed, with every run of white space one space; `None` when empty.
pub(crate) fn clean(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

/// [`clean`], or the empty string (titles: a record without one is
/// rejected by the caller).
pub(crate) fn clean_or_empty(s: &str) -> String {
    clean(s).unwrap_or_default()
}

/// The first four-digit run of a date as a year (`2021`, `2021 Mar 4`,
/// `2021/03/04/`, `Spring 2019`), if one is plausible.
pub(crate) fn year_of(date: &str) -> Option<i32> {
    let bytes = date.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                let year: i32 = date[start..i].parse().ok()?;
                return (1000..=2999).contains(&year).then_some(year);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Characters of a title that the key keeps (a key is at most this long).
const KEY_CHARS: usize = 200;
/// Shorter titles ("Editorial", "Correction") are too common to match on.
const KEY_MIN_CHARS: usize = 12;

/// The key that finds the same work in two records without a shared
/// identifier: the title's letters and digits, lowercase, accents folded,
/// then the year (`effectsofaspirin…:2021`). A title too short to tell works
/// apart, or a record without a year, has no key.
pub fn title_key(title: &str, year: Option<i32>) -> Option<String> {
    let year = year?;
    let folded: String = title
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .take(KEY_CHARS)
        .collect();
    (folded.chars().count() >= KEY_MIN_CHARS).then(|| format!("{folded}:{year}"))
}

/// The DOI arXiv registers for the preprint named in `text` (DataCite's
/// `10.48550/arXiv.<id>`, the version left out: every version is one work),
/// when `text` names one: an abstract or PDF link (`arxiv.org/abs/2401.01234v2`),
/// an `arXiv:` identifier, or a bare identifier. New-style identifiers are
/// `YYMM.NNNN` or `YYMM.NNNNN`; old-style ones `archive(.SUBJECT)/YYMMNNN`.
pub fn arxiv_doi(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let id = ["arxiv.org/abs/", "arxiv.org/pdf/", "arxiv:"]
        .iter()
        .find_map(|marker| {
            lower
                .find(marker)
                .map(|at| &text.trim()[at + marker.len()..])
        })
        .unwrap_or(text.trim());
    let id = id
        .split(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | ',' | ';'))
        .next()?
        .trim_end_matches(".pdf");
    // The version (`v2`) is not part of the work's identity.
    let id = match id.rsplit_once('v') {
        Some((head, version))
            if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => id,
    };
    let new_style = id.split_once('.').is_some_and(|(yymm, number)| {
        yymm.len() == 4
            && yymm.bytes().all(|b| b.is_ascii_digit())
            && (4..=5).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
    });
    let old_style = id.split_once('/').is_some_and(|(archive, number)| {
        let name = archive.split('.').next().unwrap_or_default();
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            && number.len() == 7
            && number.bytes().all(|b| b.is_ascii_digit())
    });
    (new_style || old_style).then(|| format!("10.48550/arXiv.{id}"))
}

/// DOI prefixes of preprint servers: bioRxiv and medRxiv (Cold Spring
/// Harbor), arXiv, Research Square, Preprints.org, SSRN, OSF Preprints,
/// Authorea.
const PREPRINT_PREFIXES: &[&str] = &[
    "10.1101/",
    "10.48550/",
    "10.21203/",
    "10.20944/",
    "10.2139/",
    "10.31219/",
    "10.22541/",
];

/// Whether `doi` (normalized: lowercase, no resolver) is a preprint
/// server's. A bioRxiv DOI names its preprint (`10.1101/2024.01.02.573829`);
/// Cold Spring Harbor's journals use the same prefix with other suffixes,
/// so a 10.1101 DOI counts only with bioRxiv's dated suffix.
pub fn is_preprint_doi(doi: &str) -> bool {
    let doi = doi.trim().to_ascii_lowercase();
    match doi.strip_prefix("10.1101/") {
        Some(suffix) => suffix
            .split('.')
            .next()
            .is_some_and(|year| year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())),
        None => PREPRINT_PREFIXES.iter().any(|p| doi.starts_with(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprint_servers_dois_are_told_from_journals() {
        for preprint in [
            "10.1101/2024.01.02.573829",
            "10.48550/arxiv.2401.01234",
            "10.21203/rs.3.rs-123/v1",
            "10.2139/ssrn.4500000",
        ] {
            assert!(is_preprint_doi(preprint), "{preprint}");
        }
        for journal in [
            "10.1056/nejmoa2001017",
            "10.1101/gr.123456.110",
            "10.1038/s41586-024-07487-w",
        ] {
            assert!(!is_preprint_doi(journal), "{journal}");
        }
    }

    #[test]
    fn an_arxiv_identifier_is_read_wherever_it_is_written_as_arxivs_doi() {
        for text in [
            "http://arxiv.org/abs/2401.01234v2",
            "https://arxiv.org/pdf/2401.01234v1.pdf",
            "arXiv:2401.01234",
            "2401.01234",
        ] {
            assert_eq!(
                arxiv_doi(text).as_deref(),
                Some("10.48550/arXiv.2401.01234"),
                "{text}"
            );
        }
        assert_eq!(
            arxiv_doi("http://arxiv.org/abs/hep-th/9901001v3").as_deref(),
            Some("10.48550/arXiv.hep-th/9901001")
        );
        assert_eq!(
            arxiv_doi("arXiv:math.GT/0309136").as_deref(),
            Some("10.48550/arXiv.math.GT/0309136")
        );
        for not_arxiv in [
            "https://www.nejm.org/doi/full/10.1056/NEJMoa2001017",
            "2021.5",
            "",
            "https://example.org/abs/12345",
        ] {
            assert_eq!(arxiv_doi(not_arxiv), None, "{not_arxiv}");
        }
    }

    #[test]
    fn clean_collapses_white_space_and_drops_blank() {
        assert_eq!(clean("  a \n\t b  ").as_deref(), Some("a b"));
        assert_eq!(clean(" \n "), None);
    }

    #[test]
    fn year_of_takes_the_first_four_digit_run() {
        assert_eq!(year_of("2021 Mar 4"), Some(2021));
        assert_eq!(year_of("2021/03/04/"), Some(2021));
        assert_eq!(year_of("Spring 2019"), Some(2019));
        assert_eq!(year_of("12 May"), None);
        assert_eq!(year_of("0123"), None);
    }

    #[test]
    fn title_key_ignores_case_punctuation_and_accents() {
        let a = title_key("Effects of Aspirin on Café-Goers: a Trial.", Some(2021));
        let b = title_key("effects of aspirin on cafe goers — A TRIAL", Some(2021));
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("effectsofaspirinoncafegoersatrial:2021"));
        assert_ne!(
            a,
            title_key("Effects of aspirin on cafe goers: a trial", Some(2022))
        );
    }

    #[test]
    fn title_key_needs_a_year_and_a_telling_title() {
        assert_eq!(title_key("A long enough title here", None), None);
        assert_eq!(title_key("Editorial", Some(2020)), None);
    }
}
