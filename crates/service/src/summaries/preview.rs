//! Previews: one prompt type rendered and sent with an ad-hoc prompt, the
//! same values a run would use; nothing is saved but the ledger row.

use entity::enums::LlmStage;
use repository::associations::ReportArticle;
use repository::reports::ReportWithArticles;
use repository::streams::Stream;
use repository::usage;
use serde::Serialize;

use super::templates;
use super::{SummaryService, billed_org, prompts};
use crate::access::Actor;
use crate::error::FailedItem;
use crate::{FieldError, ServiceError, limits};

/// What a prompt produced in a preview.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub prompt_type: LlmStage,
    pub system_prompt: String,
    pub user_prompt: String,
    pub text: String,
    pub provider: String,
    pub model: String,
}

/// The prompts of a preview request: the stream's, unless given.
#[derive(Debug, Clone, Default)]
pub struct PreviewPrompts {
    pub system_prompt: Option<String>,
    pub user_prompt_template: Option<String>,
}

impl PreviewPrompts {
    fn check(&self, prompt: LlmStage) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("system_prompt", &self.system_prompt),
            ("user_prompt_template", &self.user_prompt_template),
        ] {
            let Some(text) = value else { continue };
            if let Some(e) = limits::check(field, limits::PromptText::refusal(text)) {
                errors.push(e);
            } else if let Err(e) = templates::validate(prompt, text) {
                errors.push(FieldError::new(field, e.to_string()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(errors))
        }
    }
}

impl SummaryService {
    /// Generates one prompt type for a report (or one of its articles) with
    /// an ad-hoc prompt; nothing is saved.
    pub async fn preview(
        &self,
        actor: &Actor,
        report_id: i32,
        prompt: LlmStage,
        prompts_given: PreviewPrompts,
        article_id: Option<i32>,
    ) -> Result<Preview, ServiceError> {
        let (report, stream) =
            crate::report_guards::get_for_change(&self.db, actor, report_id).await?;
        crate::report_guards::require_active(&stream, "summarize its reports")?;
        let ad_hoc =
            prompts_given.system_prompt.is_some() || prompts_given.user_prompt_template.is_some();
        if ad_hoc && !crate::access::may_configure_llm(actor) {
            return Err(ServiceError::Forbidden(
                "only org admins and platform admins preview prompts of their own; preview the stream's prompts without system_prompt and user_prompt_template".into(),
            ));
        }
        prompts_given.check(prompt)?;
        let mut config = self.stage_config(&stream, prompt);
        config.system = prompts_given.system_prompt.unwrap_or(config.system);
        config.template = prompts_given
            .user_prompt_template
            .unwrap_or(config.template);
        let loaded = repository::reports::load_with_articles(&self.db, report, false).await?;
        let values = preview_values(&stream, &loaded, prompt, article_id)?;
        let user = templates::render(&config.template, &values)
            .map_err(|e| ServiceError::invalid("user_prompt_template", e.to_string()))?;
        // A preview is paid for like any call: on the ledger of the
        // organization that owns the stream, within its budget, and at most
        // `llm.previews_per_minute` a user.
        let org_id = billed_org(&self.db, &stream).await?;
        crate::rate_limit::take(
            &self.db,
            &format!("preview:user:{}", actor.id),
            self.settings.previews_per_minute.max(1),
            std::time::Duration::from_secs(60),
            "previews",
        )
        .await?;
        if let Some(org_id) = org_id {
            // Counted as a run's estimate counts a call.
            let tokens = super::estimate::tokens_of(config.system.len() + user.len())
                + u64::from(config.max_tokens);
            self.check_budget(org_id, (1, tokens), "preview").await?;
        }
        let task = match prompt {
            LlmStage::Screening => llm::Task::Screen {
                criteria: values.get("criteria").cloned().unwrap_or_default(),
                article: format!(
                    "{}\n{}",
                    values.get("title").map_or("", String::as_str),
                    values.get("abstract").map_or("", String::as_str)
                ),
            },
            _ => llm::Task::Summarize,
        };
        let call = {
            let _sharing = self.global.enter(org_id);
            self.call_for(org_id, prompt, &config, user.clone(), task)
                .await
        };
        let rows = self.usage_rows(&call, org_id, Some(report_id));
        usage::record_many(&self.db, rows).await?;
        match call.result {
            Ok(r) => Ok(Preview {
                prompt_type: prompt,
                system_prompt: config.system,
                user_prompt: user,
                text: r.text,
                provider: self.provider.name().to_owned(),
                model: r.model,
            }),
            Err(e) => Err(ServiceError::LlmFailed {
                run_id: None,
                timeout: e.is_timeout(),
                failed: vec![FailedItem {
                    stage: prompt.to_string(),
                    item: article_id.map(|a| a.to_string()),
                    error: e.category().to_owned(),
                }],
            }),
        }
    }
}

/// The values a preview fills its prompt with. Articles without a summary
/// are listed with their abstract, so that a later stage can be tried
/// before the first has run.
fn preview_values(
    stream: &Stream,
    loaded: &ReportWithArticles,
    prompt: LlmStage,
    article_id: Option<i32>,
) -> Result<prompts::Values, ServiceError> {
    // Numbered by the report's order, as a run numbers them.
    let listed = |(i, a): (usize, &ReportArticle)| {
        let summary = a.association.ai_summary.as_deref();
        prompts::listed(
            i + 1,
            &a.article.title,
            summary.unwrap_or(a.article.r#abstract.as_deref().unwrap_or_default()),
        )
    };
    Ok(match prompt {
        LlmStage::ArticleSummary | LlmStage::Screening => {
            let chosen = match article_id {
                Some(id) => loaded
                    .articles
                    .iter()
                    .find(|a| a.article.id == id)
                    .ok_or(ServiceError::NotFound("report article"))?,
                None => loaded.articles.first().ok_or_else(|| {
                    ServiceError::invalid("article_id", "the report has no visible article")
                })?,
            };
            let mut values = prompts::article(stream, &chosen.article);
            if prompt == LlmStage::Screening {
                let Some(screening) = &stream.retrieval_config.screening else {
                    return Err(ServiceError::invalid(
                        "prompt_type",
                        "the stream does not screen candidates (retrieval_config.screening)",
                    ));
                };
                values.insert("criteria", screening.criteria.clone());
            }
            values
        }
        LlmStage::CategorySummary => {
            let first = stream.presentation_config.categories.first();
            let lines: Vec<String> = loaded
                .articles
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    first
                        .as_ref()
                        .is_none_or(|c| a.association.presentation_categories.contains(&c.id))
                })
                .map(listed)
                .collect();
            prompts::category(stream, &first.cloned().unwrap_or_default(), &lines)
        }
        LlmStage::ExecutiveSummary => {
            let lines: Vec<String> = loaded.articles.iter().enumerate().map(listed).collect();
            let stored = loaded
                .report
                .enrichments
                .as_ref()
                .map(|e| &e.category_summaries);
            prompts::executive(
                stream,
                &stream.presentation_config.categories,
                &loaded.report.report_name,
                &lines,
                stored
                    .into_iter()
                    .flatten()
                    .map(|(id, text)| (id.as_str(), text.as_str())),
            )
        }
    })
}
