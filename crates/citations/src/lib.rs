//! Cited summaries. A category or executive summary is a list of
//! sentences, each with the report articles it cites; a model writes them
//! as text with numbered markers (`… in mice [3, 7].`), numbered as the
//! prompt listed the articles, and [`read`] turns that text back into
//! sentences, repairing markers written in other forms (`[Article 3]`,
//! `(3)`). [`check`] flags what a curator should look at before approving:
//! a citation of no article the summary may cite, a sentence citing
//! nothing, a number that no cited article's title or abstract holds.
//!
//! The numbering is the caller's: the article ids in the order the prompt
//! listed them, marker `n` naming the `n`-th. Sentences store ids, so a
//! summary keeps its citations when the report's order changes and is
//! rendered again with the numbers of the day ([`render`]).

mod numbers;
mod sentences;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use numbers::{Mention, mentions};

/// One sentence and what it cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedSentence {
    /// The sentence without its markers.
    pub text: String,
    /// The articles its markers name, in the order they appear.
    #[serde(default)]
    pub cites: Vec<i32>,
    /// Marker numbers that name no article of the numbering (kept, so that
    /// the flag can say what the model wrote).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<u32>,
}

/// A summary read from a model's (or a curator's) text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedText {
    pub sentences: Vec<CitedSentence>,
    /// Whether some marker was in another form than `[n]` / `[n, m]`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repaired: bool,
}

/// Reads `text` as cited sentences, marker `n` naming `numbering[n - 1]`.
pub fn read(text: &str, numbering: &[i32]) -> CitedText {
    sentences::read(text, numbering)
}

/// The text with each sentence's citations as `[n, m]` before its final
/// punctuation, numbered by `numbering` (a cited article no longer in it
/// keeps no number and is left out; unknown markers keep theirs).
pub fn render(cited: &CitedText, numbering: &[i32]) -> String {
    let position: HashMap<i32, usize> = numbering
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i + 1))
        .collect();
    let mut out = String::new();
    for sentence in &cited.sentences {
        let mut numbers: Vec<String> = sentence
            .cites
            .iter()
            .filter_map(|id| position.get(id))
            .map(usize::to_string)
            .collect();
        numbers.extend(sentence.unknown.iter().map(u32::to_string));
        let text = sentence.text.trim();
        if !out.is_empty() {
            out.push(' ');
        }
        if numbers.is_empty() {
            out.push_str(text);
            continue;
        }
        let marker = format!("[{}]", numbers.join(", "));
        match text.char_indices().last() {
            Some((i, c)) if matches!(c, '.' | '!' | '?') => {
                out.push_str(&text[..i]);
                out.push(' ');
                out.push_str(&marker);
                out.push(c);
            }
            _ => {
                out.push_str(text);
                out.push(' ');
                out.push_str(&marker);
            }
        }
    }
    out
}

/// What a check found wrong with a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// A marker names no article the summary may cite.
    UnknownCitation,
    /// The sentence cites nothing.
    Uncited,
    /// A number of the sentence is in no cited article's title or abstract.
    UnsupportedNumber,
    /// A model asked found the claim unsupported by the cited abstracts.
    UnsupportedClaim,
}

impl FlagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::UnknownCitation => "unknown_citation",
            FlagKind::Uncited => "uncited",
            FlagKind::UnsupportedNumber => "unsupported_number",
            FlagKind::UnsupportedClaim => "unsupported_claim",
        }
    }
}

/// A flag and what it is about (the marker, the number as written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    pub detail: String,
}

/// The checks of one sentence. `citable` holds the articles the summary may
/// cite (a category summary: that category's visible articles; the
/// executive summary: the report's), each with its title and abstract.
pub fn check(sentence: &CitedSentence, citable: &HashMap<i32, String>) -> Vec<Flag> {
    let mut flags = Vec::new();
    for n in &sentence.unknown {
        flags.push(Flag {
            kind: FlagKind::UnknownCitation,
            detail: format!("[{n}] names no article of the report"),
        });
    }
    let mut sources = Vec::new();
    for id in &sentence.cites {
        match citable.get(id) {
            Some(text) => sources.push(text.as_str()),
            None => flags.push(Flag {
                kind: FlagKind::UnknownCitation,
                detail: format!("article {id} is not one this summary may cite"),
            }),
        }
    }
    if sentence.cites.is_empty() && sentence.unknown.is_empty() {
        flags.push(Flag {
            kind: FlagKind::Uncited,
            detail: "cites no article".into(),
        });
    }
    let supported: Vec<Mention> = sources
        .iter()
        .flat_map(|text| numbers::source_mentions(text))
        .collect();
    let mut seen = Vec::new();
    for mention in mentions(&sentence.text) {
        if supported.iter().any(|s| s.supports(&mention)) || seen.contains(&mention.written) {
            continue;
        }
        seen.push(mention.written.clone());
        flags.push(Flag {
            kind: FlagKind::UnsupportedNumber,
            detail: mention.written,
        });
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citable() -> HashMap<i32, String> {
        HashMap::from([
            (
                10,
                "Blockade restored T cell function. Response rose to 16% in 120 patients (p < 0.05)."
                    .to_owned(),
            ),
            (
                20,
                "Five days of 5 mg/kg dosing expanded progenitor cells 3.5-fold.".to_owned(),
            ),
        ])
    }

    fn flags(text: &str) -> Vec<Vec<(FlagKind, String)>> {
        let cited = read(text, &[10, 20]);
        cited
            .sentences
            .iter()
            .map(|s| {
                check(s, &citable())
                    .into_iter()
                    .map(|f| (f.kind, f.detail))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn supported_sentences_carry_no_flag() {
        let got = flags(
            "Response rose to 16 percent in 120 patients [1]. Dosing at 5 mg/kg for 5 days expanded progenitors 3.5-fold [2]. Both held at p < .05 [1, 2].",
        );
        assert_eq!(got, vec![vec![], vec![], vec![]]);
    }

    #[test]
    fn each_planted_error_is_flagged() {
        let got = flags(
            "Response rose to 18% [1]. Blockade restored function [3]. Progenitors expanded. Dosing was 5 mg [2].",
        );
        assert_eq!(
            got[0],
            vec![(FlagKind::UnsupportedNumber, "18%".to_owned())],
            "a changed number"
        );
        assert_eq!(
            got[1],
            vec![(
                FlagKind::UnknownCitation,
                "[3] names no article of the report".to_owned()
            )]
        );
        assert_eq!(
            got[2],
            vec![(FlagKind::Uncited, "cites no article".to_owned())]
        );
        assert_eq!(
            got[3],
            vec![(FlagKind::UnsupportedNumber, "5 mg".to_owned())],
            "the source's dose is 5 mg/kg: the unit is part of the number"
        );
    }

    #[test]
    fn a_citation_outside_what_may_be_cited_is_unknown() {
        let cited = read("Blockade restored function [1].", &[10, 30]);
        let mut only_ten = citable();
        only_ten.remove(&20);
        let got = check(&cited.sentences[0], &only_ten);
        assert!(got.is_empty(), "{got:?}");
        let cited = read("Progenitors expanded [2].", &[10, 30]);
        let got = check(&cited.sentences[0], &only_ten);
        assert_eq!(got[0].kind, FlagKind::UnknownCitation, "{got:?}");
    }

    #[test]
    fn rendering_numbers_citations_by_the_current_order() {
        let cited = read(
            "Blockade restored function [1]. Progenitors expanded [2, 1].",
            &[10, 20],
        );
        assert_eq!(
            render(&cited, &[20, 10]),
            "Blockade restored function [2]. Progenitors expanded [1, 2]."
        );
    }

    #[test]
    fn stored_form_round_trips_through_json() {
        let cited = read(
            "Blockade restored function (Article 1). No marker here.",
            &[10],
        );
        assert!(cited.repaired);
        let json = serde_json::to_string(&cited).unwrap();
        let back: CitedText = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cited);
    }
}
