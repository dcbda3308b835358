//! What a summarize would cost, before it starts: the dry run, and the
//! budget check of a new run.

use std::collections::HashSet;

use repository::associations;

use super::pipeline::Input;
use super::{StageConfig, SummaryService};
use crate::ServiceError;
use crate::access::Actor;
use entity::enums::LlmStage;

/// The LLM calls and tokens a summarize of a report would cost now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Estimate {
    /// Calls it would make: article, category and executive.
    pub llm_calls: u32,
    /// Article summaries it would call for.
    pub article_calls: u32,
    /// Article summaries the summary cache would answer at no cost.
    pub reused: u32,
    /// Prompt tokens, estimated at four characters a token; category and
    /// executive prompts counted as if every article summary used its
    /// stage's `max_tokens`.
    pub prompt_tokens: u64,
    /// The most completion tokens the calls may produce (their
    /// `max_tokens`).
    pub max_completion_tokens: u64,
}

impl Estimate {
    /// Prompt and completion tokens at most, as budgets count them.
    pub fn tokens(&self) -> u64 {
        self.prompt_tokens + self.max_completion_tokens
    }
}

/// Tokens of a text, roughly: four characters each.
pub(super) fn tokens_of(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

impl SummaryService {
    /// What summarizing the report would cost now (`force` as a summarize
    /// would take it), under the same checks as a summarize; nothing is
    /// called or stored.
    pub async fn estimate(
        &self,
        actor: &Actor,
        report_id: i32,
        force: bool,
    ) -> Result<Estimate, ServiceError> {
        self.summarizable(actor, report_id).await?;
        let input = self.read(report_id).await?;
        if input.loaded.articles.is_empty() {
            return Err(super::requests::nothing_to_summarize());
        }
        self.estimate_input(&input, force).await
    }

    pub(super) async fn estimate_input(
        &self,
        input: &Input,
        force: bool,
    ) -> Result<Estimate, ServiceError> {
        let article = self.stage_config(&input.stream, LlmStage::ArticleSummary);
        let plan = self
            .plan_articles(input, &article, force, &HashSet::new())
            .await?;
        let mut estimate = Estimate {
            article_calls: plan.calls.len() as u32,
            reused: plan.hits.len() as u32,
            ..Estimate::default()
        };
        for (_, prompt) in &plan.calls {
            estimate.prompt_tokens += tokens_of(article.system.len() + prompt.len());
            estimate.max_completion_tokens += u64::from(article.max_tokens);
        }
        // After the article stage every visible article has a summary: a
        // line of its title and (at most) `max_tokens` of text.
        let articles = &input.loaded.articles;
        let line = |a: &associations::ReportArticle| {
            tokens_of(a.article.title.len() + 4) + u64::from(article.max_tokens)
        };
        let category = self.stage_config(&input.stream, LlmStage::CategorySummary);
        let mut category_calls = 0u32;
        for c in &input.stream.presentation_config.categories {
            let inside: Vec<_> = articles
                .iter()
                .filter(|a| a.association.presentation_categories.contains(&c.id))
                .collect();
            if inside.is_empty() {
                continue;
            }
            category_calls += 1;
            estimate.prompt_tokens +=
                fixed(&category) + inside.iter().map(|a| line(a)).sum::<u64>();
            estimate.max_completion_tokens += u64::from(category.max_tokens);
        }
        let executive = self.stage_config(&input.stream, LlmStage::ExecutiveSummary);
        estimate.prompt_tokens += fixed(&executive)
            + articles.iter().map(line).sum::<u64>()
            + u64::from(category_calls) * u64::from(category.max_tokens);
        estimate.max_completion_tokens += u64::from(executive.max_tokens);
        estimate.llm_calls = estimate.article_calls + category_calls + 1;
        Ok(estimate)
    }
}

/// Tokens of a stage's system prompt and template.
fn fixed(config: &StageConfig) -> u64 {
    tokens_of(config.system.len() + config.template.len())
}
