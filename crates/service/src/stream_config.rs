//! A stream's three configurations: the typed values its columns hold
//! (defined in `entity`), what the service checks on them beyond their shape
//! (bounds, allowed models, template placeholders), and lookups by prompt
//! type.

pub use entity::stream_config::{
    EnrichmentConfig, ExclusionReason, LlmConfig, PresentationConfig, PromptOverride, Prompts,
    PubmedDateField, RetrievalConfig, Schedule, Screening, Source, StageLlm,
    StreamCategory as Category,
};
use repository::streams::Stream;

use crate::templates;
use crate::{FieldError, LlmSettings, limits};
use entity::enums::LlmStage;
use sea_orm::Iterable;

/// The stream's own prompts for `prompt`.
fn prompts_of(prompts: &Prompts, prompt: LlmStage) -> Option<&PromptOverride> {
    match prompt {
        LlmStage::ArticleSummary => prompts.article_summary.as_ref(),
        LlmStage::CategorySummary => prompts.category_summary.as_ref(),
        LlmStage::ExecutiveSummary => prompts.executive_summary.as_ref(),
        LlmStage::Screening => prompts.screening.as_ref(),
    }
}

/// The stream's LLM settings for `prompt`.
fn llm_of(llm: &LlmConfig, prompt: LlmStage) -> Option<&StageLlm> {
    match prompt {
        LlmStage::ArticleSummary => llm.article_summary.as_ref(),
        LlmStage::CategorySummary => llm.category_summary.as_ref(),
        LlmStage::ExecutiveSummary => llm.executive_summary.as_ref(),
        LlmStage::Screening => llm.screening.as_ref(),
    }
}

/// Every prompt type that `of` has a value for, with the value.
fn each<'a, T: 'a>(
    of: impl Fn(LlmStage) -> Option<&'a T>,
) -> impl Iterator<Item = (LlmStage, &'a T)> {
    LlmStage::iter().filter_map(move |prompt| of(prompt).map(|value| (prompt, value)))
}

/// Whether a stream's `llm_config` sets anything.
pub fn sets_llm(llm: &LlmConfig) -> bool {
    LlmStage::iter().any(|p| llm_of(llm, p).is_some())
}

/// The stream's own prompts for `prompt`, if any.
pub fn prompts(stream: &Stream, prompt: LlmStage) -> Option<&PromptOverride> {
    prompts_of(&stream.enrichment_config.prompts, prompt)
}

/// The stream's LLM settings for `prompt`, if any.
pub fn stage_llm(stream: &Stream, prompt: LlmStage) -> Option<&StageLlm> {
    llm_of(&stream.llm_config, prompt)
}

/// Whether `config` serializes to at most [`limits::CONFIG_BYTES`]; records
/// the error on `field` when it does not.
fn fits(field: &str, config: &impl serde::Serialize, errors: &mut Vec<FieldError>) -> bool {
    let fits = serde_json::to_vec(config).is_ok_and(|v| v.len() <= limits::CONFIG_BYTES);
    if !fits {
        errors.push(FieldError::new(
            field,
            format!("must be at most {} bytes of JSON", limits::CONFIG_BYTES),
        ));
    }
    fits
}

/// Category ids unique and non-blank, names non-blank, topics bounded.
pub fn validate_presentation(config: &PresentationConfig, errors: &mut Vec<FieldError>) {
    if !fits("presentation_config", config, errors) {
        return;
    }
    if let Some(send_at) = &config.send_at
        && let Err(e) = crate::schedules::next_send_time(
            send_at,
            "presentation_config.send_at",
            chrono::Utc::now(),
        )
    {
        errors.extend(e);
    }
    if let Some(e) = limits::check(
        "presentation_config.categories",
        limits::Categories::refusal(config.categories.len()),
    ) {
        errors.push(e);
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, category) in config.categories.iter().enumerate() {
        let field = format!("presentation_config.categories[{i}]");
        if let Some(e) = limits::check(
            format!("{field}.id"),
            limits::CategoryId::refusal(&category.id),
        ) {
            errors.push(e);
        } else if !seen.insert(category.id.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.id"),
                "duplicate category id",
            ));
        }
        errors.extend(limits::check(
            format!("{field}.name"),
            limits::CategoryName::refusal(&category.name),
        ));
        if let Some(e) = limits::check(
            format!("{field}.topics"),
            limits::Topics::refusal(category.topics.len()),
        ) {
            errors.push(e);
            continue;
        }
        for (j, topic) in category.topics.iter().enumerate() {
            errors.extend(limits::check(
                format!("{field}.topics[{j}]"),
                limits::Topic::refusal(topic),
            ));
        }
    }
}

/// What the operator's settings allow a stream's `retrieval_config`.
#[derive(Debug, Clone, Copy)]
pub struct RetrievalRules {
    /// How often a schedule may be due at most
    /// (`sources.min_schedule_interval_secs`).
    pub min_schedule_secs: u64,
    /// Whether `feed_file` sources are read (`sources.feed_files_dir`).
    pub feed_files: bool,
}

impl Default for RetrievalRules {
    fn default() -> Self {
        crate::SourceSettings::default().retrieval_rules()
    }
}

/// Exclusion reasons bounded, their codes unique and of lowercase letters,
/// digits and `_` (what a filter or an export names them by).
pub fn validate_retrieval(
    config: &RetrievalConfig,
    rules: &RetrievalRules,
    errors: &mut Vec<FieldError>,
) {
    let min_schedule_secs = rules.min_schedule_secs;
    if !fits("retrieval_config", config, errors) {
        return;
    }
    if let Some(schedule) = &config.schedule {
        let bounds = [
            limits::check(
                "retrieval_config.schedule.cron",
                limits::CronText::refusal(&schedule.cron),
            ),
            limits::check(
                "retrieval_config.schedule.time_zone",
                limits::TimeZoneName::refusal(&schedule.time_zone),
            ),
        ];
        let refused = bounds.iter().any(Option::is_some);
        errors.extend(bounds.into_iter().flatten());
        if !refused {
            crate::schedules::check(
                schedule,
                "retrieval_config.schedule",
                min_schedule_secs,
                errors,
            );
        }
    }
    errors.extend(limits::check(
        "retrieval_config.lookback_days",
        limits::LookbackDays::refusal(config.lookback_days),
    ));
    if let Some(e) = limits::check(
        "retrieval_config.sources",
        limits::Sources::refusal(config.sources.len()),
    ) {
        errors.push(e);
    } else {
        for (i, source) in config.sources.iter().enumerate() {
            match source {
                Source::Pubmed { query, .. } => errors.extend(limits::check(
                    format!("retrieval_config.sources[{i}].query"),
                    limits::SourceQuery::refusal(query),
                )),
                Source::Feed { url } => errors.extend(limits::check(
                    format!("retrieval_config.sources[{i}].url"),
                    limits::FeedUrl::refusal(url),
                )),
                Source::FeedFile { path } => errors.extend(limits::check(
                    format!("retrieval_config.sources[{i}].path"),
                    limits::FeedFilePath::refusal(path).or_else(|| {
                        (!rules.feed_files).then(|| {
                            "names a feed file, and this server reads none \
                             (sources.feed_files_dir is not set)"
                                .to_owned()
                        })
                    }),
                )),
            }
        }
    }
    if let Some(screening) = &config.screening {
        errors.extend(limits::check(
            "retrieval_config.screening.criteria",
            limits::Criteria::refusal(&screening.criteria),
        ));
        if !(0.0..=1.0).contains(&screening.threshold) {
            errors.push(FieldError::new(
                "retrieval_config.screening.threshold",
                "must be between 0 and 1",
            ));
        }
    }
    if let Some(e) = limits::check(
        "retrieval_config.exclusion_reasons",
        limits::ExclusionReasons::refusal(config.exclusion_reasons.len()),
    ) {
        errors.push(e);
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, reason) in config.exclusion_reasons.iter().enumerate() {
        let field = format!("retrieval_config.exclusion_reasons[{i}]");
        if let Some(e) = limits::check(
            format!("{field}.code"),
            limits::ReasonCode::refusal(&reason.code),
        ) {
            errors.push(e);
        } else if !reason
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            errors.push(FieldError::new(
                format!("{field}.code"),
                "must be lowercase letters, digits and `_`",
            ));
        } else if !seen.insert(reason.code.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.code"),
                "duplicate reason code",
            ));
        }
        errors.extend(limits::check(
            format!("{field}.label"),
            limits::ReasonLabel::refusal(&reason.label),
        ));
    }
}

/// Each prompt bounded and with only the placeholders of its type.
pub fn validate_enrichment(config: &EnrichmentConfig, errors: &mut Vec<FieldError>) {
    if !fits("enrichment_config", config, errors) {
        return;
    }
    for (prompt, parts) in each(|p| prompts_of(&config.prompts, p)) {
        let field = format!("enrichment_config.prompts.{}", prompt);
        for (part, text) in [
            ("system_prompt", &parts.system_prompt),
            ("user_prompt_template", &parts.user_prompt_template),
        ] {
            let Some(text) = text else { continue };
            if let Some(e) =
                limits::check(format!("{field}.{part}"), limits::PromptText::refusal(text))
            {
                errors.push(e);
            } else if let Err(e) = templates::validate(prompt, text) {
                errors.push(FieldError::new(format!("{field}.{part}"), e.to_string()));
            }
        }
    }
}

/// A model the operator allows, temperature 0 to 2, and at most the
/// operator's `max_tokens_limit` and `max_concurrent_limit`.
pub fn validate_llm(config: &LlmConfig, policy: &LlmSettings, errors: &mut Vec<FieldError>) {
    if !fits("llm_config", config, errors) {
        return;
    }
    let max_tokens = policy.max_tokens_limit.max(1);
    let max_concurrent = u32::try_from(policy.max_concurrent_limit.max(1)).unwrap_or(u32::MAX);
    for (prompt, settings) in each(|p| llm_of(config, p)) {
        let field = format!("llm_config.{}", prompt);
        if let Some(model) = &settings.model
            && !policy.allows_model(model)
        {
            errors.push(FieldError::new(
                format!("{field}.model"),
                format!(
                    "must be an allowed model ({})",
                    policy.allowed_model_names()
                ),
            ));
        }
        if settings
            .temperature
            .is_some_and(|t| !(0.0..=2.0).contains(&t))
        {
            errors.push(FieldError::new(
                format!("{field}.temperature"),
                "must be between 0 and 2",
            ));
        }
        if settings
            .max_tokens
            .is_some_and(|t| !(1..=max_tokens).contains(&t))
        {
            errors.push(FieldError::new(
                format!("{field}.max_tokens"),
                format!("must be between 1 and {max_tokens}"),
            ));
        }
        if settings
            .max_concurrent
            .is_some_and(|n| !(1..=max_concurrent).contains(&n))
        {
            errors.push(FieldError::new(
                format!("{field}.max_concurrent"),
                format!("must be between 1 and {max_concurrent}"),
            ));
        }
    }
}
