//! A model's text read as sentences with their citation markers.
//!
//! Hand-written on purpose: the sentence splitters on crates.io
//! (unicode-segmentation's sentence bounds, punkt ports) split at every
//! period followed by a space, inside `[3].` markers, after `e.g.` and
//! `et al.`, and know nothing of markers that follow a sentence's period;
//! what is read here is short, model-written English with markers, and
//! the rules below are the whole of it.

use std::sync::LazyLock;

use regex::Regex;

use crate::{CitedSentence, CitedText};

/// Stands in a block's text for the marker it replaced, so that splitting
/// sees one character where the marker was.
const PLACEHOLDER: char = '\u{E000}';

/// Words that end with a period without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "al", "vs", "fig", "figs", "cf", "ca", "approx", "no", "ref", "refs", "art",
    "dr", "resp",
];

/// `[3]`, `[3, 7]`, `[3-5]`, `[Article 3]`, `[Art. 3; 7]`, `[ref 3]`, `[#3]`,
/// and the same in parentheses.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    let prefix = r"(?:articles?|art\.?|refs?\.?|references?|#)\s*";
    let item = r"\d{1,4}(?:\s*[-–]\s*\d{1,4})?";
    Regex::new(&format!(
        r"(?i)(?P<open>[\[(])\s*(?P<prefix>{prefix})?(?P<list>{item}(?:\s*[,;]\s*(?:{prefix})?{item})*)\s*(?P<close>[\])])"
    ))
    .expect("marker pattern")
});

static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<from>\d{1,4})(?:\s*[-–]\s*(?P<to>\d{1,4}))?").expect("item pattern")
});

/// A marker found in a block.
struct Marker {
    numbers: Vec<u32>,
    repaired: bool,
}

pub fn read(text: &str, numbering: &[i32]) -> CitedText {
    let mut cited = CitedText::default();
    for block in blocks(text) {
        read_block(&block, numbering, &mut cited);
    }
    cited
}

/// The text's paragraphs and list items, each on one line and without its
/// bullet: a blank line or a line that starts a list item begins a block.
fn blocks(text: &str) -> Vec<String> {
    static BULLET: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:[-*•]|\d{1,2}[.)])\s+").expect("bullet pattern"));
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        let bullet = BULLET.find(line);
        if line.is_empty() || bullet.is_some() {
            if !current.trim().is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            current.clear();
        }
        let line = bullet.map_or(line, |b| &line[b.end()..]);
        if !line.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.trim().is_empty() {
        blocks.push(current);
    }
    blocks
}

fn read_block(block: &str, numbering: &[i32], cited: &mut CitedText) {
    let mut markers = Vec::new();
    let mut flat = String::with_capacity(block.len());
    let mut last = 0;
    for found in MARKER.captures_iter(block) {
        let whole = found.get(0).expect("match");
        let (open, close) = (&found["open"], &found["close"]);
        if (open == "[") != (close == "]") {
            continue;
        }
        let prefixed =
            found.name("prefix").is_some() || found["list"].contains(['a', 'A', 'r', 'R', '#']);
        let numbers = numbers_of(&found["list"]);
        let in_range = |n: &u32| (1..=numbering.len()).contains(&(*n as usize));
        // A parenthesis of bare numbers is a marker only when each names an
        // article: `(2019)` and `(n = 12)` are the sentence's own.
        if open == "(" && !prefixed && !numbers.iter().all(in_range) {
            continue;
        }
        flat.push_str(&block[last..whole.start()]);
        flat.push(PLACEHOLDER);
        last = whole.end();
        markers.push(Marker {
            numbers,
            repaired: open == "(" || prefixed || found["list"].contains(';'),
        });
    }
    flat.push_str(&block[last..]);

    let chars: Vec<char> = flat.chars().collect();
    let mut markers = markers.into_iter();
    let mut start = 0;
    for end in boundaries(&chars) {
        let piece = &chars[start..end];
        start = end;
        let mut sentence = CitedSentence {
            text: clean(piece),
            cites: Vec::new(),
            unknown: Vec::new(),
        };
        for _ in piece.iter().filter(|c| **c == PLACEHOLDER) {
            let marker = markers.next().expect("one marker per placeholder");
            cited.repaired |= marker.repaired;
            for n in marker.numbers {
                match numbering.get((n as usize).wrapping_sub(1)) {
                    Some(id) if n > 0 => push_new(&mut sentence.cites, *id),
                    _ => push_new(&mut sentence.unknown, n),
                }
            }
        }
        match (sentence.text.is_empty(), cited.sentences.last_mut()) {
            // Markers alone (a list item of `[3]`) cite for the sentence
            // before them.
            (true, Some(previous)) => {
                for id in sentence.cites {
                    push_new(&mut previous.cites, id);
                }
                for n in sentence.unknown {
                    push_new(&mut previous.unknown, n);
                }
            }
            (true, None) if sentence.cites.is_empty() && sentence.unknown.is_empty() => {}
            _ => cited.sentences.push(sentence),
        }
    }
}

/// Citations keep the order of their first marker, each once.
fn push_new<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The numbers of a marker's list: items, ranges (at most 50 long) and the
/// prefixes between them left out.
fn numbers_of(list: &str) -> Vec<u32> {
    let mut numbers = Vec::new();
    for item in ITEM.captures_iter(list) {
        let from: u32 = item["from"].parse().unwrap_or(0);
        let to: u32 = item
            .name("to")
            .and_then(|t| t.as_str().parse().ok())
            .unwrap_or(from);
        let to = if to >= from && to - from < 50 {
            to
        } else {
            from
        };
        numbers.extend(from..=to);
    }
    numbers
}

/// Where each sentence of `chars` ends (exclusive), the last at its end.
/// A sentence ends at `.`, `!` or `?` (with closing quotes or brackets)
/// followed by white space, a marker or the end, when what comes next does
/// not start in lower case and the word before is no abbreviation; markers
/// after the period are the sentence's.
fn boundaries(chars: &[char]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !matches!(chars[i], '.' | '!' | '?') {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && matches!(chars[j], '"' | '\'' | '”' | '’' | ')' | ']') {
            j += 1;
        }
        let separated = j == chars.len() || chars[j].is_whitespace() || chars[j] == PLACEHOLDER;
        let mut k = j;
        while k < chars.len() && (chars[k].is_whitespace() || chars[k] == PLACEHOLDER) {
            k += 1;
        }
        let next_is_lower = k < chars.len() && chars[k].is_lowercase();
        if separated && !next_is_lower && !(chars[i] == '.' && abbreviation_before(chars, i)) {
            ends.push(k);
            i = k;
        } else {
            i += 1;
        }
    }
    if ends.last() != Some(&chars.len()) {
        ends.push(chars.len());
    }
    ends
}

fn abbreviation_before(chars: &[char], period: usize) -> bool {
    let mut s = period;
    while s > 0 && (chars[s - 1].is_alphabetic() || chars[s - 1] == '.') {
        s -= 1;
    }
    let word: String = chars[s..period].iter().collect::<String>().to_lowercase();
    ABBREVIATIONS.contains(&word.as_str())
}

/// The sentence's text: markers out, white space collapsed, no space left
/// before punctuation where a marker stood.
fn clean(piece: &[char]) -> String {
    let mut out = String::new();
    for c in piece.iter().filter(|c| **c != PLACEHOLDER) {
        if c.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
        } else {
            if matches!(c, '.' | ',' | ';' | ':' | '!' | '?') && out.ends_with(' ') {
                out.pop();
            }
            out.push(*c);
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ids(text: &str) -> Vec<(String, Vec<i32>, Vec<u32>)> {
        read(text, &[10, 20, 30, 40, 50])
            .sentences
            .into_iter()
            .map(|s| (s.text, s.cites, s.unknown))
            .collect()
    }

    #[test]
    fn markers_before_and_after_the_period_cite_for_their_sentence() {
        let got = read_ids("Blockade helped [1, 3]. It lasted. [2] Doses rose [4-5]!");
        assert_eq!(
            got,
            vec![
                ("Blockade helped.".to_owned(), vec![10, 30], vec![]),
                ("It lasted.".to_owned(), vec![20], vec![]),
                ("Doses rose!".to_owned(), vec![40, 50], vec![]),
            ]
        );
    }

    #[test]
    fn abbreviations_decimals_and_lower_case_do_not_split() {
        let got = read_ids(
            "Smith et al. reported 3.5-fold gains, e.g. in mice [1]. Fig. 2 shows it vs. controls [2].",
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1, vec![10]);
        assert_eq!(got[1].0, "Fig. 2 shows it vs. controls.");
    }

    #[test]
    fn other_marker_forms_are_repaired_and_own_numbers_are_left() {
        let cited = read(
            "Gains held [Article 2]. Seen in 2019 (2019) and (n = 12) [ref 1; #3]. Both (1, 2).",
            &[10, 20, 30],
        );
        assert!(cited.repaired);
        let got: Vec<_> = cited
            .sentences
            .iter()
            .map(|s| (s.text.as_str(), s.cites.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Gains held.", vec![20]),
                ("Seen in 2019 (2019) and (n = 12).", vec![10, 30]),
                ("Both.", vec![10, 20]),
            ]
        );
        assert!(!read("Plain [1].", &[10]).repaired);
    }

    #[test]
    fn numbers_beyond_the_list_are_kept_as_unknown() {
        assert_eq!(
            read_ids("Invented [9, 2, 9]."),
            vec![("Invented.".to_owned(), vec![20], vec![9])]
        );
    }

    #[test]
    fn bullets_and_blank_lines_are_boundaries_and_bullets_go() {
        let got = read_ids("Overview\n\n- First finding [1]\n- Second\n  continued [2]\n[3]");
        assert_eq!(
            got,
            vec![
                ("Overview".to_owned(), vec![], vec![]),
                ("First finding".to_owned(), vec![10], vec![]),
                ("Second continued".to_owned(), vec![20, 30], vec![]),
            ]
        );
    }
}
