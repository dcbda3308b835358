//! The offline extractive summarizer: no network, deterministic, fast.
//!
//! It scores the sentences of the prompt's content by the frequency of their
//! content words (a classic frequency-based extractive method) and returns
//! the best ones in their original order, each once, within
//! [`MAX_CHARS`]. Prompt scaffolding lines such as `Title:` or `Research
//! stream:` are not content and are skipped; a listed line (`- head: text`,
//! how category and executive prompts list articles and categories)
//! contributes its text, not its head, so a title is never offered as its
//! own summary. A listed article's number (`- [3] head: text`) ends each
//! sentence taken from it as its citation (`… in mice [3].`); sentences of
//! listed category summaries keep the markers they have.

use std::collections::HashMap;

use futures::future::BoxFuture;

use crate::provider::{Attempt, Completion, LlmProvider, LlmRequest, LlmResponse, Task};

/// Sentences kept in a summary.
const KEEP: usize = 3;

/// The longest summary, in characters: three ordinary sentences fit; one
/// run-on sentence is cut at a word.
pub const MAX_CHARS: usize = 600;

/// What an article prompt without any content sentence (no abstract) gets.
const NOTHING: &str = "No abstract is available to summarize.";

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "these", "this", "to",
    "was", "were", "which", "with", "we", "our", "not", "but", "can", "than", "also", "may",
    "using", "used", "between", "after", "both", "all",
];

/// Prefixes of the prompt's scaffolding lines (not summarized).
const SCAFFOLD: &[&str] = &[
    "title:",
    "research stream:",
    "purpose:",
    "journal:",
    "authors:",
    "report:",
    "category:",
    "abstract:",
    "article summaries:",
    "category summaries:",
];

/// The offline provider.
#[derive(Debug, Default, Clone)]
pub struct OfflineProvider;

impl OfflineProvider {
    /// The extractive summary of `text`.
    pub fn summarize(text: &str) -> String {
        let sentences = sentences(text);
        if sentences.is_empty() {
            return String::new();
        }
        let mut freq: HashMap<String, f64> = HashMap::new();
        for s in &sentences {
            for w in words(s) {
                *freq.entry(w).or_default() += 1.0;
            }
        }
        let max = freq.values().copied().fold(1.0, f64::max);
        let mut scored: Vec<(usize, f64)> = sentences
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ws: Vec<String> = words(s).collect();
                let score = if ws.is_empty() {
                    0.0
                } else {
                    ws.iter().map(|w| freq[w] / max).sum::<f64>() / (ws.len() as f64).sqrt()
                };
                (i, score)
            })
            .collect();
        // Highest score first; ties keep document order, so output is stable.
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let best = scored[0].0;
        let keep = if sentences.len() > KEEP {
            KEEP.min(sentences.len() - 1)
        } else {
            sentences.len().saturating_sub(1).max(1)
        };
        let mut chosen: Vec<usize> = scored.into_iter().take(keep).map(|(i, _)| i).collect();
        chosen.sort_unstable();
        let mut summary = String::new();
        for i in chosen {
            let sentence = &sentences[i];
            let len = summary.chars().count() + usize::from(!summary.is_empty());
            if len + sentence.chars().count() > MAX_CHARS {
                continue;
            }
            if !summary.is_empty() {
                summary.push(' ');
            }
            summary.push_str(sentence);
        }
        if summary.is_empty() {
            // Every chosen sentence alone is too long: the best one, cut.
            summary = cut(&sentences[best], MAX_CHARS);
        }
        summary
    }
}

impl OfflineProvider {
    /// A screening answer as a model would give it: the share of the
    /// criteria's content words (a plural counted as its singular) that
    /// the article mentions, and which.
    pub fn screen(criteria: &str, article: &str) -> String {
        let stem = |w: String| match w.strip_suffix('s') {
            Some(singular) if singular.chars().count() > 3 => singular.to_owned(),
            _ => w,
        };
        let mut wanted: Vec<String> = words(criteria).map(stem).collect();
        wanted.sort();
        wanted.dedup();
        let present: std::collections::HashSet<String> = words(article).map(stem).collect();
        let matched: Vec<&str> = wanted
            .iter()
            .filter(|w| present.contains(*w))
            .map(String::as_str)
            .collect();
        let relevance = if wanted.is_empty() {
            0.0
        } else {
            // Two decimals, as a model would write it.
            (matched.len() as f64 / wanted.len() as f64 * 100.0).round() / 100.0
        };
        let rationale = if matched.is_empty() {
            "The article mentions none of the criteria's terms.".to_owned()
        } else {
            format!(
                "The article mentions {} of the criteria's {} terms: {}.",
                matched.len(),
                wanted.len(),
                matched.join(", ")
            )
        };
        serde_json::json!({ "relevance": relevance, "rationale": rationale }).to_string()
    }
}

/// `text` cut at the last word that fits in `max` characters, with an
/// ellipsis.
fn cut(text: &str, max: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

/// The content lines, each with the citation marker of the article it
/// lists, if it lists one.
fn content_lines(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    text.lines().filter_map(|line| {
        let trimmed = line.trim();
        let lower = trimmed.to_lowercase();
        if trimmed.is_empty() {
            return None;
        }
        match SCAFFOLD.iter().find(|p| lower.starts_with(*p)) {
            Some(p)
                if lower.len() > p.len()
                    && !["abstract:", "article summaries:", "category summaries:"].contains(p) =>
            {
                None
            }
            Some(_) if trimmed.ends_with(':') => None,
            _ => Some(listed_text(trimmed)),
        }
    })
}

/// The text of a listed line (`- head: text`) with the marker its head
/// starts with (`[3]`), or the line itself.
fn listed_text(line: &str) -> (&str, Option<&str>) {
    let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) else {
        return (line, None);
    };
    let marker = item
        .split_once("] ")
        .filter(|(n, _)| {
            n.strip_prefix('[')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|(n, _)| &item[..n.len() + 1]);
    match item.split_once(": ") {
        Some((_, text)) if !text.trim().is_empty() => (text.trim(), marker),
        _ => (item.trim(), None),
    }
}

/// `sentence` with `marker` before its final punctuation.
fn cite(sentence: String, marker: Option<&str>) -> String {
    let Some(marker) = marker else {
        return sentence;
    };
    match sentence.strip_suffix(['.', '!', '?']) {
        Some(body) => format!("{body} {marker}{}", &sentence[body.len()..]),
        None => format!("{sentence} {marker}"),
    }
}

/// The content's sentences in order, each once (compared without case or
/// spacing differences).
fn sentences(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut all = split_sentences(text);
    all.retain(|s| {
        let key: Vec<String> = s
            .split_whitespace()
            .map(|w| w.trim_end_matches(['.', '!', '?']).to_lowercase())
            .collect();
        seen.insert(key)
    });
    all
}

fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (line, marker) in content_lines(text) {
        let line = line.trim_start_matches(['-', '*', ' ']);
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            current.push(c);
            let end =
                matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if end && current.trim().chars().count() > 3 {
                out.push(cite(current.trim().to_owned(), marker));
                current.clear();
            }
        }
        if current.trim().chars().count() > 3 {
            let mut s = current.trim().to_owned();
            if !s.ends_with(['.', '!', '?']) {
                s.push('.');
            }
            out.push(cite(s, marker));
        }
    }
    out
}

fn words(sentence: &str) -> impl Iterator<Item = String> + '_ {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
}

impl LlmProvider for OfflineProvider {
    fn name(&self) -> &'static str {
        "offline"
    }

    fn default_model(&self) -> &str {
        "extractive-v1"
    }

    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Completion> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let mut text = match &request.task {
                Task::Summarize => Self::summarize(&request.user),
                Task::Screen { criteria, article } => Self::screen(criteria, article),
            };
            if text.is_empty() {
                // No content sentences (an article without an abstract, a
                // template of scaffolding only): say so plainly rather than
                // echo the title or fail like a broken provider.
                text = NOTHING.into();
            }
            let answer = LlmResponse {
                prompt_tokens: (request.system.split_whitespace().count()
                    + request.user.split_whitespace().count())
                    as u32,
                completion_tokens: text.split_whitespace().count() as u32,
                text,
                model: "extractive-v1".into(),
            };
            let attempt = Attempt {
                latency: started.elapsed(),
                ..Attempt::default()
            };
            Completion::at_once(attempt, Ok(answer))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABSTRACT: &str = "Research stream: Oncology\nPurpose: Track tumour immunology.\n\nTitle: PD-1 blockade in organoids\nJournal: Nature (2026)\nAuthors: A. B\n\nAbstract:\nTumour organoids were exposed to PD-1 blockade. Organoids from responders showed T cell activation within days. Non-responders lacked activated T cells. The organoid response predicted patient response in 80% of cases. We discuss limits of the model.";

    #[test]
    fn offline_summaries_are_deterministic_shorter_and_made_of_input_sentences() {
        let a = OfflineProvider::summarize(ABSTRACT);
        let b = OfflineProvider::summarize(ABSTRACT);
        assert_eq!(a, b);
        assert!(!a.is_empty());
        assert!(a.len() < ABSTRACT.len());
        let input_sentences = sentences(ABSTRACT);
        for s in sentences(&a) {
            assert!(input_sentences.contains(&s), "{s} is not from the input");
        }
        assert!(!a.contains("Research stream"), "scaffolding is not content");
        assert!(a.contains("organoid"), "keeps the central sentences: {a}");
    }

    fn sentence_list(summary: &str) -> Vec<String> {
        split_sentences(summary)
    }

    #[tokio::test]
    async fn an_article_summary_is_taken_from_the_abstract_never_from_the_title() {
        let summary = OfflineProvider::summarize(ABSTRACT);
        assert!(!summary.contains("PD-1 blockade in organoids"), "{summary}");
        let untitled = "Research stream: Oncology\nPurpose: Track.\n\nTitle: A title that is all there is\nJournal: Cell (2026)\nAuthors: C. D\n\nAbstract:\n";
        assert_eq!(
            OfflineProvider::summarize(untitled),
            "",
            "nothing to summarize without an abstract"
        );
        let answered = OfflineProvider
            .complete(LlmRequest {
                system: String::new(),
                user: untitled.into(),
                model: "extractive-v1".into(),
                temperature: 0.0,
                max_tokens: 100,
                task: Task::Summarize,
            })
            .await
            .result
            .unwrap();
        assert_eq!(answered.text, NOTHING);
    }

    #[test]
    fn each_sentence_taken_from_a_numbered_article_cites_it() {
        let prompt = "Category: Immunology (topics: T cells)\n\nArticle summaries:\n- [2] PD-1 blockade: Exhausted T cells recover under PD-1 blockade. Responses lasted 12 months.\n- [5] Organoid atlas: Organoids predict the response of T cells to blockade.";
        let summary = OfflineProvider::summarize(prompt);
        let sentences = sentence_list(&summary);
        assert!(!sentences.is_empty());
        for s in &sentences {
            let cited = (s.contains("recover") || s.contains("lasted")) && s.ends_with(" [2].")
                || s.contains("Organoids") && s.ends_with(" [5].");
            assert!(cited, "{s} cites the article it came from");
        }
        // A listed category summary's sentences keep their markers.
        let executive = "Category summaries:\n- Immunology: Exhausted T cells recover under PD-1 blockade [2]. Organoids predict the response [5].\n\nArticle summaries:\n- [2] PD-1 blockade: Exhausted T cells recover under PD-1 blockade.";
        for s in sentence_list(&OfflineProvider::summarize(executive)) {
            assert!(s.ends_with(" [2].") || s.ends_with(" [5]."), "{s}");
        }
    }

    #[test]
    fn no_sentence_is_repeated_and_listed_heads_are_not_content() {
        // As the demo's executive prompt reads when summaries quote each other.
        let prompt = "Report: Week 1\nResearch stream: Oncology\nPurpose: Track.\n\nCategory summaries:\n- Immunotherapy: Exhausted T cells recover under PD-1 blockade. Organoids predict response.\n\nArticle summaries:\n- PD-1 blockade reinvigorates T cells: Exhausted T cells recover under PD-1 blockade.\n- Organoid atlas: Organoids predict response. Exhausted T cells recover under PD-1 blockade.\n- Colorectal atlas: Microsatellite-stable tumours lack infiltrating T cells.";
        let summary = OfflineProvider::summarize(prompt);
        let listed = sentence_list(&summary);
        let mut unique = listed.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "a sentence repeated: {summary}");
        for head in [
            "Immunotherapy",
            "PD-1 blockade reinvigorates",
            "Organoid atlas",
            "Colorectal atlas",
        ] {
            assert!(
                !summary.contains(head),
                "{head} is a heading, not content: {summary}"
            );
        }
        assert!(summary.contains("Exhausted T cells recover"), "{summary}");
    }

    #[test]
    fn a_screening_scores_the_share_of_the_criterias_terms_the_article_mentions() {
        let criteria = "Trials of PD-1 checkpoint inhibitors in melanoma";
        let on_topic =
            "PD-1 blockade in melanoma. A trial of checkpoint inhibitors in 120 patients.";
        let answer: serde_json::Value =
            serde_json::from_str(&OfflineProvider::screen(criteria, on_topic)).unwrap();
        assert_eq!(answer["relevance"], 1.0, "{answer}");
        let off_topic = "Soil bacteria of alpine meadows.";
        let answer: serde_json::Value =
            serde_json::from_str(&OfflineProvider::screen(criteria, off_topic)).unwrap();
        assert_eq!(answer["relevance"], 0.0, "{answer}");
        assert!(answer["rationale"].as_str().unwrap().contains("none"));
        let half = "Melanoma incidence in Europe, and PD-1 expression.";
        let answer: serde_json::Value =
            serde_json::from_str(&OfflineProvider::screen(criteria, half)).unwrap();
        let score = answer["relevance"].as_f64().unwrap();
        assert!(score > 0.0 && score < 1.0, "{answer}");
    }

    #[test]
    fn summaries_stay_within_their_length_bound() {
        let long_sentences: String = (0..40)
            .map(|i| format!("Finding number {i} concerns tumour organoids and exhausted T cells in a long and detailed way that goes on. "))
            .collect();
        let one_run_on = "word ".repeat(2_000);
        for abstract_ in [long_sentences.as_str(), one_run_on.as_str()] {
            let prompt = format!("Title: T\n\nAbstract:\n{abstract_}");
            let summary = OfflineProvider::summarize(&prompt);
            assert!(!summary.is_empty());
            assert!(
                summary.chars().count() <= MAX_CHARS,
                "{} characters",
                summary.chars().count()
            );
            assert_eq!(
                summary,
                OfflineProvider::summarize(&prompt),
                "deterministic"
            );
        }
    }
}
