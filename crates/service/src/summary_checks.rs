//! The citations of a report's summaries and the checks of each sentence:
//! what readers get (sentences with the articles they cite) and what
//! curators look at before approving (the flags).
//!
//! Both are read from the stored text each time a report is read, with the
//! numbering the prompts used (`ReportEnrichments::numbering`) and the
//! report's visible articles as they are then: a curator's edit, a hidden
//! article or a category change shows at once, and there is no second copy
//! of a summary to keep in step with its text. Reading and checking a
//! report's summaries is string work on a few kilobytes (see
//! `docs/benchmarks.md`).

use std::collections::{BTreeMap, HashMap};

pub use citations::{Flag, FlagKind};
pub use entity::enrichments::Acknowledgement;
use entity::enrichments::ReportEnrichments;
use repository::associations::ReportArticle;
use repository::reports::ReportWithArticles;

/// The key of the executive summary among a report's summaries.
pub const EXECUTIVE: &str = "executive";

/// A sentence of a summary, the articles it cites, and (for curators) what
/// the checks found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSentence {
    pub text: String,
    pub article_ids: Vec<i32>,
    pub flags: Vec<Flag>,
    /// A curator let this flagged sentence stand (curators only).
    pub acknowledged: Option<Acknowledgement>,
}

/// Every summary of a report as checked sentences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryCitations {
    pub executive: Vec<CheckedSentence>,
    /// By category id.
    pub categories: BTreeMap<String, Vec<CheckedSentence>>,
}

/// A flagged sentence: which summary (`executive` or a category id), its
/// place in it, and the sentence.
#[derive(Debug, Clone, Copy)]
pub struct Flagged<'a> {
    pub summary: &'a str,
    pub index: usize,
    pub sentence: &'a CheckedSentence,
}

impl SummaryCitations {
    /// The report's summaries read and checked against its visible
    /// articles.
    pub fn of(loaded: &ReportWithArticles) -> Self {
        let Some(enrichments) = &loaded.report.enrichments else {
            return Self::default();
        };
        let visible: Vec<&ReportArticle> = loaded
            .articles
            .iter()
            .filter(|a| !a.association.is_hidden)
            .collect();
        let numbering = numbering(enrichments, visible.iter().map(|a| a.article.id));
        let source = |a: &ReportArticle| {
            format!(
                "{} {}",
                a.article.title,
                a.article.r#abstract.as_deref().unwrap_or_default()
            )
        };
        let all: HashMap<i32, String> = visible.iter().map(|a| (a.article.id, source(a))).collect();
        let executive = enrichments
            .executive_summary
            .as_deref()
            .map(|text| checked(text, &numbering, &all, &all))
            .unwrap_or_default();
        let categories = enrichments
            .category_summaries
            .iter()
            .map(|(id, text)| {
                let citable: HashMap<i32, String> = visible
                    .iter()
                    .filter(|a| a.association.presentation_categories.contains(id))
                    .map(|a| (a.article.id, source(a)))
                    .collect();
                (id.clone(), checked(text, &numbering, &citable, &all))
            })
            .collect();
        let mut citations = SummaryCitations {
            executive,
            categories,
        };
        citations.attach(&enrichments.acknowledged);
        citations
    }

    /// Each acknowledgement to the flagged sentence it names, if that
    /// sentence still reads as it did.
    fn attach(&mut self, acknowledged: &[Acknowledgement]) {
        for ack in acknowledged {
            let list = if ack.summary == EXECUTIVE {
                Some(&mut self.executive)
            } else {
                self.categories.get_mut(&ack.summary)
            };
            let sentence = list.and_then(|l| {
                l.iter_mut()
                    .find(|s| s.text == ack.text && !s.flags.is_empty())
            });
            if let Some(sentence) = sentence {
                sentence.acknowledged = Some(ack.clone());
            }
        }
    }

    /// The flagged sentences no curator acknowledged: what
    /// `require_checked_summaries` holds an approval back for.
    pub fn unresolved(&self) -> Vec<Flagged<'_>> {
        self.flagged()
            .into_iter()
            .filter(|f| f.sentence.acknowledged.is_none())
            .collect()
    }

    /// The sentence at `index` of `summary` (`executive` or a category id).
    pub fn sentence(&self, summary: &str, index: usize) -> Option<&CheckedSentence> {
        let list = if summary == EXECUTIVE {
            Some(&self.executive)
        } else {
            self.categories.get(summary)
        };
        list.and_then(|l| l.get(index))
    }

    /// The sentences with at least one flag, the executive summary's first.
    pub fn flagged(&self) -> Vec<Flagged<'_>> {
        let summaries = std::iter::once((EXECUTIVE, &self.executive)).chain(
            self.categories
                .iter()
                .map(|(id, sentences)| (id.as_str(), sentences)),
        );
        summaries
            .flat_map(|(summary, sentences)| {
                sentences
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.flags.is_empty())
                    .map(move |(index, sentence)| Flagged {
                        summary,
                        index,
                        sentence,
                    })
            })
            .collect()
    }

    /// What readers get: the citations without the flags.
    pub fn without_flags(mut self) -> Self {
        let sentences = std::iter::once(&mut self.executive).chain(self.categories.values_mut());
        for list in sentences {
            for s in list.iter_mut() {
                s.flags.clear();
                s.acknowledged = None;
            }
        }
        self
    }
}

/// The articles as the summaries' markers number them: as the prompts
/// listed them, or (for summaries written before prompts numbered
/// articles) in the report's order, `in_order`.
pub fn numbering(enrichments: &ReportEnrichments, in_order: impl Iterator<Item = i32>) -> Vec<i32> {
    if enrichments.numbering.is_empty() {
        in_order.collect()
    } else {
        enrichments.numbering.clone()
    }
}

/// `text`'s sentences checked against `citable`; a sentence names only the
/// report's visible articles (`visible`), whatever its markers say.
fn checked(
    text: &str,
    numbering: &[i32],
    citable: &HashMap<i32, String>,
    visible: &HashMap<i32, String>,
) -> Vec<CheckedSentence> {
    citations::read(text, numbering)
        .sentences
        .into_iter()
        .map(|s| CheckedSentence {
            flags: citations::check(&s, citable),
            article_ids: s
                .cites
                .into_iter()
                .filter(|id| visible.contains_key(id))
                .collect(),
            text: s.text,
            acknowledged: None,
        })
        .collect()
}
