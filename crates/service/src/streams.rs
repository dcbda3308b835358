//! Research streams: creation rules, configuration validation, listing.

use entity::enums::StreamScope;
use repository::reports::{self, Report, ReportFilter};
pub use repository::streams::Stream;
use repository::streams::{self, NewStream, StreamUpdate};
use repository::{Page, Paginated};
use sea_orm::DatabaseConnection;
use serde_json::{Value as Json, json};

use crate::access::{self, Actor};
use crate::limits;
use crate::summaries::templates::{self, PromptType};
use crate::{FieldError, LlmSettings, ServiceError};

/// A stream to create, as submitted.
#[derive(Debug, Clone)]
pub struct CreateStream {
    pub stream_name: String,
    pub purpose: String,
    pub scope: StreamScope,
    pub org_id: Option<i32>,
    pub presentation_config: Option<Json>,
    pub enrichment_config: Option<Json>,
    pub llm_config: Option<Json>,
}

/// A partial change, as submitted.
#[derive(Debug, Clone, Default)]
pub struct PatchStream {
    pub stream_name: Option<String>,
    pub purpose: Option<String>,
    pub presentation_config: Option<Json>,
    pub enrichment_config: Option<Json>,
    pub llm_config: Option<Json>,
    pub is_active: Option<bool>,
}

pub use crate::stream_config::Category;

/// The categories of a stream's `presentation_config`.
pub fn categories(stream: &Stream) -> Vec<Category> {
    crate::stream_config::Presentation::of(stream).categories
}

/// Whether a stream configuration is within [`limits::CONFIG_BYTES`] and
/// its numbers within [`limits::CONFIG_NUMBER_MAGNITUDE`];
/// records the error on `field` when it is not.
fn config_fits(field: &str, config: &Json, errors: &mut Vec<FieldError>) -> bool {
    if !limits::config_fits(config) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {} bytes of JSON", limits::CONFIG_BYTES),
        ));
        return false;
    }
    if !limits::config_numbers_fit(config) {
        errors.push(FieldError::new(
            field,
            format!(
                "numbers must be 0 or between {:e} and {:e} in magnitude",
                1.0 / limits::CONFIG_NUMBER_MAGNITUDE,
                limits::CONFIG_NUMBER_MAGNITUDE
            ),
        ));
        return false;
    }
    true
}

/// No new work (reports, summaries) on an inactive stream: a `Conflict`
/// that says how to `go_on`.
pub fn require_active(stream: &Stream, go_on: &str) -> Result<(), ServiceError> {
    if stream.is_active {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!(
            "the stream is inactive: reactivate it to {go_on}"
        )))
    }
}

fn text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if !limits::is_name(value, max) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
}

/// `presentation_config`: `{categories: [{id, name, topics: [..]}]}`, ids
/// unique and non-empty.
pub fn validate_presentation(config: &Json, errors: &mut Vec<FieldError>) {
    let Some(obj) = config.as_object() else {
        errors.push(FieldError::new("presentation_config", "must be an object"));
        return;
    };
    if !config_fits("presentation_config", config, errors) {
        return;
    }
    let Some(categories) = obj.get("categories") else {
        return;
    };
    let Some(items) = categories.as_array() else {
        errors.push(FieldError::new(
            "presentation_config.categories",
            "must be an array",
        ));
        return;
    };
    if items.len() > limits::CATEGORIES_PER_STREAM {
        errors.push(FieldError::new(
            "presentation_config.categories",
            format!("at most {} categories", limits::CATEGORIES_PER_STREAM),
        ));
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in items.iter().enumerate() {
        let field = format!("presentation_config.categories[{i}]");
        match c["id"].as_str() {
            Some(id) if !id.trim().is_empty() && id.len() <= 100 => {
                if !seen.insert(id) {
                    errors.push(FieldError::new(
                        format!("{field}.id"),
                        "duplicate category id",
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                format!("{field}.id"),
                "must be a non-empty string of at most 100 characters",
            )),
        }
        if !c["name"]
            .as_str()
            .is_some_and(|n| !n.trim().is_empty() && n.len() <= 200)
        {
            errors.push(FieldError::new(
                format!("{field}.name"),
                "must be a non-empty string",
            ));
        }
        validate_topics(&field, c.get("topics"), errors);
    }
}

/// A category's `topics`: an array of bounded length whose items are
/// bounded strings; an item's error names the item (`…topics[2]`).
fn validate_topics(category: &str, topics: Option<&Json>, errors: &mut Vec<FieldError>) {
    let Some(topics) = topics else {
        return;
    };
    match topics.as_array() {
        Some(items) if items.len() <= limits::TOPICS_PER_CATEGORY => {
            for (j, topic) in items.iter().enumerate() {
                if topic
                    .as_str()
                    .is_none_or(|t| t.chars().count() > limits::TOPIC_CHARS)
                {
                    errors.push(FieldError::new(
                        format!("{category}.topics[{j}]"),
                        format!(
                            "must be a string of at most {} characters",
                            limits::TOPIC_CHARS
                        ),
                    ));
                }
            }
        }
        _ => errors.push(FieldError::new(
            format!("{category}.topics"),
            format!(
                "must be an array of at most {} strings",
                limits::TOPICS_PER_CATEGORY
            ),
        )),
    }
}

/// `enrichment_config.prompts.{type}: {system_prompt, user_prompt_template}`
/// with only the placeholders of each type.
pub fn validate_enrichment(config: &Json, errors: &mut Vec<FieldError>) {
    let Some(obj) = config.as_object() else {
        errors.push(FieldError::new("enrichment_config", "must be an object"));
        return;
    };
    if !config_fits("enrichment_config", config, errors) {
        return;
    }
    let Some(prompts) = obj.get("prompts") else {
        return;
    };
    let Some(prompts) = prompts.as_object() else {
        errors.push(FieldError::new(
            "enrichment_config.prompts",
            "must be an object",
        ));
        return;
    };
    for (key, prompt) in prompts {
        let field = format!("enrichment_config.prompts.{key}");
        let Some(kind) = PromptType::parse(key) else {
            errors.push(FieldError::new(
                field,
                "unknown prompt type (article_summary, category_summary, executive_summary)",
            ));
            continue;
        };
        for part in ["system_prompt", "user_prompt_template"] {
            match prompt.get(part) {
                None => {}
                Some(Json::String(t)) if t.chars().count() <= limits::PROMPT_CHARS => {
                    if let Err(e) = templates::validate(kind, t) {
                        errors.push(FieldError::new(format!("{field}.{part}"), e.to_string()));
                    }
                }
                Some(_) => errors.push(FieldError::new(
                    format!("{field}.{part}"),
                    format!(
                        "must be a string of at most {} characters",
                        limits::PROMPT_CHARS
                    ),
                )),
            }
        }
    }
}

/// `llm_config.{type}: {model, temperature 0..=2, max_tokens,
/// max_concurrent}`: a model the operator allows, and at most the
/// operator's `max_tokens_limit` and `max_concurrent_limit`.
pub fn validate_llm(config: &Json, policy: &LlmSettings, errors: &mut Vec<FieldError>) {
    let Some(obj) = config.as_object() else {
        errors.push(FieldError::new("llm_config", "must be an object"));
        return;
    };
    if !config_fits("llm_config", config, errors) {
        return;
    }
    for (key, settings) in obj {
        let field = format!("llm_config.{key}");
        if PromptType::parse(key).is_none() {
            errors.push(FieldError::new(field, "unknown prompt type"));
            continue;
        }
        if !settings.is_object() {
            errors.push(FieldError::new(field, "must be an object"));
            continue;
        }
        if let Some(m) = settings.get("model")
            && !m.as_str().is_some_and(|m| policy.allows_model(m))
        {
            errors.push(FieldError::new(
                format!("{field}.model"),
                format!(
                    "must be an allowed model ({})",
                    policy.allowed_model_names()
                ),
            ));
        }
        if let Some(t) = settings.get("temperature")
            && !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t))
        {
            errors.push(FieldError::new(
                format!("{field}.temperature"),
                "must be between 0 and 2",
            ));
        }
        let max_tokens = u64::from(policy.max_tokens_limit.max(1));
        if let Some(t) = settings.get("max_tokens")
            && !t.as_u64().is_some_and(|t| (1..=max_tokens).contains(&t))
        {
            errors.push(FieldError::new(
                format!("{field}.max_tokens"),
                format!("must be between 1 and {max_tokens}"),
            ));
        }
        let max_concurrent = policy.max_concurrent_limit.max(1) as u64;
        if let Some(t) = settings.get("max_concurrent")
            && !t
                .as_u64()
                .is_some_and(|t| (1..=max_concurrent).contains(&t))
        {
            errors.push(FieldError::new(
                format!("{field}.max_concurrent"),
                format!("must be between 1 and {max_concurrent}"),
            ));
        }
    }
}

/// `Forbidden` when a member sends an `llm_config` that sets anything:
/// models, token ceilings and concurrency spend the organization's money,
/// so only org admins and platform admins choose them.
fn require_llm_config_right(actor: &Actor, llm_config: Option<&Json>) -> Result<(), ServiceError> {
    let sets_something = llm_config.is_some_and(|c| c.as_object().is_none_or(|o| !o.is_empty()));
    if sets_something && !access::may_configure_llm(actor) {
        return Err(ServiceError::Forbidden(
            "only org admins and platform admins set a stream's llm_config".into(),
        ));
    }
    Ok(())
}

/// Research streams and their reports, under the access rules.
#[derive(Clone)]
pub struct StreamService {
    db: DatabaseConnection,
    /// What a stream's `llm_config` may ask for.
    llm: std::sync::Arc<LlmSettings>,
}

impl StreamService {
    /// Over a pool (cheap to clone), with the operator's LLM limits.
    pub fn new(db: DatabaseConnection, llm: LlmSettings) -> Self {
        Self {
            db,
            llm: std::sync::Arc::new(llm),
        }
    }

    /// Creates a stream: personal for anyone (owned by the caller), organization
    /// for its org admins, global for platform admins.
    pub async fn create(&self, actor: &Actor, input: CreateStream) -> Result<Stream, ServiceError> {
        let db = &self.db;
        let org_id = match input.scope {
            StreamScope::Personal => actor.org_id,
            StreamScope::Organization => input.org_id.or(actor.org_id),
            StreamScope::Global => None,
        };
        if !access::can_create_stream(actor, input.scope, org_id) {
            return Err(ServiceError::Forbidden(
                "your role does not allow creating this kind of stream".into(),
            ));
        }
        require_llm_config_right(actor, input.llm_config.as_ref())?;
        let mut errors = Vec::new();
        text(
            "stream_name",
            &input.stream_name,
            limits::NAME_CHARS,
            &mut errors,
        );
        text(
            "purpose",
            &input.purpose,
            limits::PURPOSE_CHARS,
            &mut errors,
        );
        if input.scope == StreamScope::Organization && org_id.is_none() {
            errors.push(FieldError::new(
                "org_id",
                "is required for organization streams",
            ));
        }
        let presentation = input
            .presentation_config
            .unwrap_or_else(|| json!({"categories": []}));
        let enrichment = input.enrichment_config.unwrap_or_else(|| json!({}));
        let llm = input.llm_config.unwrap_or_else(|| json!({}));
        validate_presentation(&presentation, &mut errors);
        validate_enrichment(&enrichment, &mut errors);
        validate_llm(&llm, &self.llm, &mut errors);
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        // A reference to a missing organization is a 404, like its own URL.
        if let Some(org) = org_id
            && input.scope == StreamScope::Organization
            && repository::organizations::find(db, org).await?.is_none()
        {
            return Err(ServiceError::NotFound("organization"));
        }
        Ok(streams::create(
            db,
            NewStream {
                stream_name: input.stream_name.trim().to_owned(),
                purpose: input.purpose,
                scope: input.scope,
                org_id,
                owner_user_id: (input.scope == StreamScope::Personal).then_some(actor.id),
                presentation_config: presentation,
                enrichment_config: enrichment,
                llm_config: llm,
            },
        )
        .await?)
    }

    /// The streams the caller may see.
    pub async fn list(&self, actor: &Actor, page: Page) -> Result<Paginated<Stream>, ServiceError> {
        let db = &self.db;
        Ok(streams::list_visible(db, &actor.viewer(), page).await?)
    }

    /// A stream the caller may see.
    pub async fn get(&self, actor: &Actor, id: i32) -> Result<Stream, ServiceError> {
        get_visible(&self.db, actor, id).await
    }

    /// Changes a stream, validating any new configuration.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: PatchStream,
    ) -> Result<Stream, ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, id).await?;
        require_llm_config_right(actor, patch.llm_config.as_ref())?;
        let mut errors = Vec::new();
        if let Some(n) = &patch.stream_name {
            text("stream_name", n, limits::NAME_CHARS, &mut errors);
        }
        if let Some(p) = &patch.purpose {
            text("purpose", p, limits::PURPOSE_CHARS, &mut errors);
        }
        if let Some(c) = &patch.presentation_config {
            validate_presentation(c, &mut errors);
        }
        if let Some(c) = &patch.enrichment_config {
            validate_enrichment(c, &mut errors);
        }
        if let Some(c) = &patch.llm_config {
            validate_llm(c, &self.llm, &mut errors);
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        Ok(streams::update(
            db,
            id,
            StreamUpdate {
                stream_name: patch.stream_name.map(|s| s.trim().to_owned()),
                purpose: patch.purpose,
                presentation_config: patch.presentation_config,
                enrichment_config: patch.enrichment_config,
                llm_config: patch.llm_config,
                is_active: patch.is_active,
            },
        )
        .await?)
    }

    /// Deletes a stream with its reports.
    pub async fn delete(&self, actor: &Actor, id: i32) -> Result<(), ServiceError> {
        let db = &self.db;
        get_for_change(db, actor, id).await?;
        Ok(streams::delete(db, id).await?)
    }

    /// The stream's reports the caller may see, newest first, with counts.
    pub async fn reports(
        &self,
        actor: &Actor,
        id: i32,
        page: Page,
    ) -> Result<Paginated<(Report, u64)>, ServiceError> {
        let db = &self.db;
        get_visible(db, actor, id).await?;
        let filter = ReportFilter {
            stream_id: Some(id),
            approval_status: None,
        };
        Ok(reports::list_visible_with_counts(db, &actor.viewer(), filter, page).await?)
    }
}

/// A stream the caller may see.
async fn get_visible(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<Stream, ServiceError> {
    streams::find_visible(db, &actor.viewer(), id)
        .await?
        .ok_or(ServiceError::NotFound("stream"))
}

/// A stream the caller may see and change.
pub(crate) async fn get_for_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<Stream, ServiceError> {
    let stream = get_visible(db, actor, id).await?;
    access::require_stream_change(actor, &stream)?;
    Ok(stream)
}
