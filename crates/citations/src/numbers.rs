//! Numbers with their units, as a sentence and an abstract write them:
//! `16 %`, `16%` and `16 percent` are one mention; `CD8`, `IL-6` and
//! `COVID-19` are names, not numbers.

use std::sync::LazyLock;

use regex::Regex;

/// A number of a text, with its unit where one follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub value: f64,
    /// The unit in one spelling (`%`, `mg/kg`, `µg`, `h`, `d`, `fold`…).
    pub unit: Option<&'static str>,
    /// As the text wrote it.
    pub written: String,
}

impl Mention {
    /// Whether this mention (of a source) supports `claimed`: the same
    /// value, and the same unit unless one of them has none (`in 120
    /// patients` supports `120`).
    pub fn supports(&self, claimed: &Mention) -> bool {
        (self.value - claimed.value).abs() <= 1e-9 * self.value.abs().max(1.0)
            && (self.unit == claimed.unit || self.unit.is_none() || claimed.unit.is_none())
    }
}

/// Spellings of each unit, longest first within a unit; the first group
/// whose spelling follows a number names its unit.
const UNITS: &[(&str, &[&str])] = &[
    ("%", &["%", "percent", "per cent"]),
    ("mg/kg", &["mg/kg"]),
    ("mg/dl", &["mg/dl"]),
    ("mmol", &["mmol"]),
    ("nmol", &["nmol"]),
    ("µmol", &["µmol", "μmol", "umol"]),
    ("mg", &["mg"]),
    ("µg", &["µg", "μg", "mcg", "ug"]),
    ("kg", &["kg"]),
    ("ml", &["ml"]),
    ("mm", &["mm"]),
    ("cm", &["cm"]),
    ("nm", &["nm"]),
    ("µm", &["µm", "μm"]),
    ("fold", &["-fold", "fold"]),
    ("h", &["hours", "hour", "hrs", "hr", "h"]),
    ("d", &["days", "day", "d"]),
    ("wk", &["weeks", "week", "wks", "wk"]),
    ("mo", &["months", "month", "mo"]),
    ("y", &["years", "year", "yrs", "yr", "y"]),
    ("g", &["g"]),
    ("l", &["l"]),
];

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+").expect("number pattern")
});

static NUMBER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b")
        .expect("number word pattern")
});

/// The numbers a sentence states, in digits.
pub fn mentions(text: &str) -> Vec<Mention> {
    let mut found = Vec::new();
    for m in NUMBER.find_iter(text) {
        if glued_to_a_name(text, m.start()) {
            continue;
        }
        let digits = m.as_str();
        let Ok(value) = digits.replace(',', "").parse::<f64>() else {
            continue;
        };
        let rest = &text[m.end()..];
        let (unit, unit_len) = unit_after(rest);
        // `5th`, `3D`: a number run into a word that is no unit.
        if unit.is_none() && rest.starts_with(|c: char| c.is_alphabetic()) {
            continue;
        }
        found.push(Mention {
            value,
            unit,
            written: text[m.start()..m.end() + unit_len].trim_end().to_owned(),
        });
    }
    found
}

/// What a source (an article's title and abstract) states: its numbers in
/// digits and the small ones in words (`Five days`).
pub fn source_mentions(text: &str) -> Vec<Mention> {
    let mut found = mentions(text);
    for m in NUMBER_WORD.find_iter(text) {
        let value = match m.as_str().to_lowercase().as_str() {
            "one" => 1.0,
            "two" => 2.0,
            "three" => 3.0,
            "four" => 4.0,
            "five" => 5.0,
            "six" => 6.0,
            "seven" => 7.0,
            "eight" => 8.0,
            "nine" => 9.0,
            "ten" => 10.0,
            "eleven" => 11.0,
            _ => 12.0,
        };
        let (unit, unit_len) = unit_after(&text[m.end()..]);
        found.push(Mention {
            value,
            unit,
            written: text[m.start()..m.end() + unit_len].trim_end().to_owned(),
        });
    }
    found
}

/// Whether the number starting at `start` belongs to a name: right after a
/// letter (`CD8`) or after a hyphen that follows one (`IL-6`, `COVID-19`).
fn glued_to_a_name(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    match before.next() {
        Some(c) if c.is_alphabetic() => true,
        Some('-') => before.next().is_some_and(char::is_alphabetic),
        _ => false,
    }
}

/// The unit right after a number (after at most one space) and how many
/// bytes of `rest` it takes.
fn unit_after(rest: &str) -> (Option<&'static str>, usize) {
    let space = if rest.starts_with(' ') { 1 } else { 0 };
    let candidate = &rest[space..];
    for (unit, spellings) in UNITS {
        for spelling in *spellings {
            let Some(head) = candidate.get(..spelling.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(spelling) {
                continue;
            }
            // A spelling ends where the word ends: `5 mg` but not `5 mgs`,
            // `12 d` but not `12 dogs`. `%` needs no end.
            let ends = *spelling == "%"
                || !candidate[spelling.len()..].starts_with(|c: char| c.is_alphanumeric());
            // `-fold` only directly after the number.
            if ends && !(spelling.starts_with('-') && space == 1) {
                return (Some(unit), space + spelling.len());
            }
        }
    }
    (None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> Vec<(f64, Option<&'static str>)> {
        mentions(text)
            .into_iter()
            .map(|m| (m.value, m.unit))
            .collect()
    }

    #[test]
    fn units_are_read_in_any_of_their_spellings() {
        assert_eq!(
            written("16 %, 16% and 16 percent; 5 mg/kg for 3 days, 2.5-fold, 10 mcg"),
            vec![
                (16.0, Some("%")),
                (16.0, Some("%")),
                (16.0, Some("%")),
                (5.0, Some("mg/kg")),
                (3.0, Some("d")),
                (2.5, Some("fold")),
                (10.0, Some("µg")),
            ]
        );
    }

    #[test]
    fn names_ordinals_and_words_that_only_start_like_units_are_not_misread() {
        assert_eq!(
            written("CD8 and IL-6 in COVID-19, the 5th of 12 dogs, p < .05, 1,200 cells"),
            vec![(12.0, None), (0.05, None), (1200.0, None)]
        );
    }

    #[test]
    fn a_source_states_small_numbers_in_words_too() {
        let source = source_mentions("Five days of dosing in twelve mice.");
        let claimed = &mentions("for 5 days")[0];
        assert!(source.iter().any(|s| s.supports(claimed)));
        assert!(source.iter().any(|s| s.value == 12.0));
    }

    #[test]
    fn a_unit_must_agree_when_both_have_one() {
        let source = &mentions("5 mg/kg")[0];
        assert!(!source.supports(&mentions("5 mg")[0]));
        assert!(source.supports(&mentions("a dose of 5")[0]));
        assert!(mentions("120 patients")[0].supports(&mentions("120")[0]));
    }
}
