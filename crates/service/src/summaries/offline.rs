//! The offline extractive summarizer: no network, deterministic, fast.
//!
//! It scores the sentences of the prompt's content by the frequency of their
//! content words (a classic frequency-based extractive method) and returns
//! the best ones in their original order. Prompt scaffolding lines such as
//! `Title:` or `Research stream:` are not content and are skipped.

use std::collections::HashMap;

use futures::future::BoxFuture;

use super::provider::{LlmError, LlmProvider, LlmRequest, LlmResponse};

/// Sentences kept in a summary.
const KEEP: usize = 3;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "for", "from", "has", "have", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "these", "this", "to",
    "was", "were", "which", "with", "we", "our", "not", "but", "can", "than", "also", "may",
    "using", "used", "between", "after", "both", "all",
];

/// Prefixes of the prompt's scaffolding lines (not summarized).
const SCAFFOLD: &[&str] = &[
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
        let keep = if sentences.len() > KEEP {
            KEEP.min(sentences.len() - 1)
        } else {
            sentences.len().saturating_sub(1).max(1)
        };
        let mut chosen: Vec<usize> = scored.into_iter().take(keep).map(|(i, _)| i).collect();
        chosen.sort_unstable();
        let summary: Vec<&str> = chosen.into_iter().map(|i| sentences[i].as_str()).collect();
        let summary = summary.join(" ");
        if summary.len() >= text.trim().len() {
            // Never longer than the input: trim to the first sentence.
            return sentences[0].clone();
        }
        summary
    }
}

fn content_lines(text: &str) -> impl Iterator<Item = &str> {
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
            _ => Some(
                trimmed
                    .strip_prefix("Title:")
                    .map(str::trim)
                    .unwrap_or(trimmed),
            ),
        }
    })
}

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in content_lines(text) {
        let line = line.trim_start_matches(['-', '*', ' ']);
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            current.push(c);
            let end =
                matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if end && current.trim().chars().count() > 3 {
                out.push(current.trim().to_owned());
                current.clear();
            }
        }
        if current.trim().chars().count() > 3 {
            let mut s = current.trim().to_owned();
            if !s.ends_with(['.', '!', '?']) {
                s.push('.');
            }
            out.push(s);
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

    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Result<LlmResponse, LlmError>> {
        Box::pin(async move {
            let mut text = Self::summarize(&request.user);
            if text.is_empty() {
                // No content sentences (a template of scaffolding only): say
                // so plainly rather than fail like a broken provider.
                text = "No content to summarize.".into();
            }
            Ok(LlmResponse {
                prompt_tokens: (request.system.split_whitespace().count()
                    + request.user.split_whitespace().count())
                    as u32,
                completion_tokens: text.split_whitespace().count() as u32,
                text,
                model: "extractive-v1".into(),
                attempts: 1,
            })
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
}
