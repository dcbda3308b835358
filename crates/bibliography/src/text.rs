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

#[cfg(test)]
mod tests {
    use super::*;

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
