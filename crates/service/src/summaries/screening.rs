//! LLM screening of a stream's candidates: each one scored against the
//! stream's inclusion criteria, through the same calls as summaries (fair
//! share, stage settings, cache, ledger, budget). Retrieval runs call it a
//! batch at a time and store what it answers in one transaction with the
//! batch's ledger rows; no connection is held while the model works.

use std::collections::HashMap;

use entity::enums::LlmStage;
use entity::stream_config::Screening;
use futures::stream::{self, StreamExt};
use repository::articles::Article;
use repository::candidates::Screened;
use repository::streams::Stream;
use repository::summary_cache::{self, NewCachedSummary};
use repository::usage::NewUsage;

use super::estimate::tokens_of;
use super::{SummaryService, prompts};
use crate::ServiceError;

/// A batch's answers, to store together.
#[derive(Default)]
pub(crate) struct ScreenedBatch {
    pub screened: Vec<Screened>,
    /// One per request sent and per answer reused.
    pub rows: Vec<NewUsage>,
    /// New answers to keep for reuse (after the batch's transaction).
    pub cache: Vec<NewCachedSummary>,
    /// Candidates whose call failed, with the error's category: they stay
    /// unscreened.
    pub failed: Vec<(i32, &'static str)>,
}

/// What screening a batch takes: the cache's answers, and the calls to
/// make (candidate, prompt, cache key, the article's text).
struct Plan {
    config: super::StageConfig,
    org: Option<i32>,
    hits: Vec<(i32, repository::summary_cache::CachedSummary)>,
    calls: Vec<(i32, String, String, String)>,
}

impl Plan {
    /// Prompt and completion tokens at most, as budgets count them.
    fn tokens(&self) -> (u64, u64) {
        let prompt = self
            .calls
            .iter()
            .map(|c| tokens_of(self.config.system.len() + c.1.len()))
            .sum();
        let completion = self.calls.len() as u64 * u64::from(self.config.max_tokens);
        (prompt, completion)
    }
}

/// What screening the pool would cost now: nothing is called or stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScreeningEstimate {
    /// Candidates still to screen (undecided, never screened).
    pub candidates: u64,
    pub llm_calls: u64,
    /// Answers the cache holds for the same prompt: no call.
    pub reused: u64,
    /// Four characters a token.
    pub prompt_tokens: u64,
    pub max_completion_tokens: u64,
}

impl SummaryService {
    /// The prompts of a batch, and which of them the cache answers.
    async fn plan_screening(
        &self,
        stream: &Stream,
        screening: &Screening,
        batch: Vec<(i32, Article)>,
    ) -> Result<Plan, ServiceError> {
        let config = self.stage_config(stream, LlmStage::Screening);
        let org = super::billed_org(&self.db, stream).await?;
        let scope = format!("{}:screening", super::cache_scope(stream));
        let mut asks = Vec::with_capacity(batch.len());
        for (id, article) in batch {
            let mut values = prompts::article(stream, &article);
            values.insert("criteria", screening.criteria.clone());
            let prompt = prompts::render(LlmStage::Screening, &config.template, &values)?;
            let key = self.cache_key(&scope, &config, &prompt);
            let text = format!(
                "{}\n{}",
                article.title,
                article.r#abstract.as_deref().unwrap_or_default()
            );
            asks.push((id, prompt, key, text));
        }
        let keys: Vec<String> = asks.iter().map(|a| a.2.clone()).collect();
        let mut cached = summary_cache::find_many(&self.db, &keys).await?;
        let mut plan = Plan {
            config,
            org,
            hits: Vec::new(),
            calls: Vec::new(),
        };
        for (id, prompt, key, text) in asks {
            match cached.remove(&key) {
                Some(hit) => plan.hits.push((id, hit)),
                None => plan.calls.push((id, prompt, key, text)),
            }
        }
        Ok(plan)
    }

    /// What screening `batch` would cost now.
    pub(crate) async fn estimate_screening(
        &self,
        stream: &Stream,
        screening: &Screening,
        batch: Vec<(i32, Article)>,
    ) -> Result<ScreeningEstimate, ServiceError> {
        let candidates = batch.len() as u64;
        let plan = self.plan_screening(stream, screening, batch).await?;
        let (prompt_tokens, max_completion_tokens) = plan.tokens();
        Ok(ScreeningEstimate {
            candidates,
            llm_calls: plan.calls.len() as u64,
            reused: plan.hits.len() as u64,
            prompt_tokens,
            max_completion_tokens,
        })
    }

    /// Screens `batch` (candidate id, article) against `screening`: answers
    /// the cache holds are reused, the others asked for in parallel within
    /// the stage's concurrency. Refused before any call when the calls
    /// would take the stream's organization past its monthly budget.
    pub(crate) async fn screen(
        &self,
        stream: &Stream,
        screening: &Screening,
        batch: Vec<(i32, Article)>,
    ) -> Result<ScreenedBatch, ServiceError> {
        let plan = self.plan_screening(stream, screening, batch).await?;
        let org = plan.org;
        let mut out = ScreenedBatch::default();
        for (id, hit) in &plan.hits {
            out.screened
                .push(judged(*id, &hit.text, screening.threshold));
            out.rows.push(self.reused_row(
                LlmStage::Screening,
                (org, None, None),
                item(*id),
                &hit.model,
            ));
        }
        if let Some(org) = org
            && !plan.calls.is_empty()
        {
            let (prompt, completion) = plan.tokens();
            self.check_budget(
                org,
                (plan.calls.len() as u64, prompt + completion),
                "screening",
            )
            .await?;
        }
        let Plan { config, calls, .. } = plan;
        let criteria = screening.criteria.clone();
        let answers: Vec<(i32, String, super::Call)> = stream::iter(calls)
            .map(|(id, prompt, key, text)| {
                let config = &config;
                let task = llm::Task::Screen {
                    criteria: criteria.clone(),
                    article: text,
                };
                async move {
                    let call = self
                        .call_for(org, LlmStage::Screening, config, prompt, task)
                        .await;
                    (id, key, call)
                }
            })
            .buffer_unordered(config.max_concurrent)
            .collect()
            .await;
        for (id, key, call) in answers {
            let mut rows = self.usage_rows(&call, org, None);
            for row in &mut rows {
                row.item = Some(item(id));
            }
            out.rows.extend(rows);
            match &call.result {
                Ok(answer) => {
                    out.screened
                        .push(judged(id, &answer.text, screening.threshold));
                    out.cache.push(NewCachedSummary {
                        cache_key: key,
                        text: answer.text.clone(),
                        model: call.model.clone(),
                        prompt_tokens: i32::try_from(answer.prompt_tokens).unwrap_or(i32::MAX),
                        completion_tokens: i32::try_from(answer.completion_tokens)
                            .unwrap_or(i32::MAX),
                    });
                }
                Err(e) => out.failed.push((id, e.category())),
            }
        }
        Ok(out)
    }
}

/// The ledger's item of a candidate's screening.
fn item(candidate: i32) -> String {
    format!("candidate:{candidate}")
}

/// A candidate's screening from the model's answer.
fn judged(id: i32, answer: &str, threshold: f64) -> Screened {
    let (relevance, rationale) = read_answer(answer);
    Screened {
        id,
        relevance,
        rationale,
        // An answer with no score leaves the decision to the curators.
        screened_out: relevance.is_some_and(|r| r < threshold),
    }
}

/// Rationales kept, in characters: a model asked for one sentence may
/// write pages.
const RATIONALE_CHARS: usize = 2_000;

/// The relevance and rationale of an answer: the JSON object the prompt
/// asks for, found in the text (models wrap it in prose or a code fence);
/// a relevance outside 0 to 1 or absent is none, and the rationale is then
/// the whole text.
fn read_answer(answer: &str) -> (Option<f64>, String) {
    let object = answer
        .find('{')
        .zip(answer.rfind('}'))
        .filter(|(start, end)| start < end)
        .and_then(|(start, end)| {
            serde_json::from_str::<HashMap<String, serde_json::Value>>(&answer[start..=end]).ok()
        });
    let cut = |text: &str| {
        text.trim()
            .chars()
            .take(RATIONALE_CHARS)
            .collect::<String>()
    };
    match object {
        Some(fields) => {
            let relevance = fields
                .get("relevance")
                .and_then(|v| {
                    v.as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .filter(|r| (0.0..=1.0).contains(r));
            let rationale = fields
                .get("rationale")
                .and_then(|v| v.as_str())
                .map_or_else(|| cut(answer), cut);
            (relevance, rationale)
        }
        None => (None, cut(answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_from_its_json_wherever_the_model_put_it() {
        assert_eq!(
            read_answer(r#"{"relevance": 0.8, "rationale": "On topic."}"#),
            (Some(0.8), "On topic.".to_owned())
        );
        assert_eq!(
            read_answer(
                "Here you go:\n```json\n{\"relevance\": \"0.25\", \"rationale\": \"Barely.\"}\n```"
            ),
            (Some(0.25), "Barely.".to_owned())
        );
        let (score, rationale) = read_answer(r#"{"relevance": 7, "rationale": "Very!"}"#);
        assert_eq!(score, None, "out of range is no score");
        assert_eq!(rationale, "Very!");
        assert_eq!(
            read_answer("I think it is relevant."),
            (None, "I think it is relevant.".to_owned())
        );
        let unscored = judged(1, "no JSON here", 0.5);
        assert!(!unscored.screened_out, "no score, no exclusion");
        assert!(judged(1, r#"{"relevance": 0.49}"#, 0.5).screened_out);
        assert!(!judged(1, r#"{"relevance": 0.5}"#, 0.5).screened_out);
    }
}
