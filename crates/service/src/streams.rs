//! Research streams: creation rules, configuration validation, listing.

use entity::enums::StreamScope;
use repository::reports::{self, Report, ReportFilter};
pub use repository::streams::Stream;
use repository::streams::{self, NewStream, StreamUpdate};
use repository::{Page, Paginated};
use sea_orm::DatabaseConnection;

use crate::access::{self, Actor};
use crate::limits;
use crate::{FieldError, LlmSettings, ServiceError};

/// A stream to create, as submitted.
#[derive(Debug, Clone)]
pub struct CreateStream {
    pub stream_name: String,
    pub purpose: String,
    pub scope: StreamScope,
    pub org_id: Option<i32>,
    pub presentation_config: Option<PresentationConfig>,
    pub enrichment_config: Option<EnrichmentConfig>,
    pub llm_config: Option<LlmConfig>,
    pub retrieval_config: Option<RetrievalConfig>,
}

/// A partial change, as submitted.
#[derive(Debug, Clone, Default)]
pub struct PatchStream {
    pub stream_name: Option<String>,
    pub purpose: Option<String>,
    pub presentation_config: Option<PresentationConfig>,
    pub enrichment_config: Option<EnrichmentConfig>,
    pub llm_config: Option<LlmConfig>,
    pub retrieval_config: Option<RetrievalConfig>,
    pub is_active: Option<bool>,
}

pub use crate::stream_config::{
    Category, EnrichmentConfig, ExclusionReason, LlmConfig, PresentationConfig, PromptOverride,
    RetrievalConfig, StageLlm,
};
use crate::stream_config::{
    RetrievalRules, validate_enrichment, validate_llm, validate_presentation, validate_retrieval,
};

/// `Forbidden` when a member sends an `llm_config` that sets anything:
/// models, token ceilings and concurrency spend the organization's money,
/// so only org admins and platform admins choose them.
fn require_llm_config_right(
    actor: &Actor,
    llm_config: Option<&LlmConfig>,
) -> Result<(), ServiceError> {
    let sets_something = llm_config.is_some_and(crate::stream_config::sets_llm);
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
    /// What the operator's source settings allow a `retrieval_config`.
    retrieval_rules: RetrievalRules,
}

impl StreamService {
    /// Over a pool (cheap to clone), with the operator's LLM limits.
    pub fn new(db: DatabaseConnection, llm: LlmSettings) -> Self {
        Self {
            db,
            llm: std::sync::Arc::new(llm),
            retrieval_rules: RetrievalRules::default(),
        }
    }

    /// The same service checking `retrieval_config` against `rules` (the
    /// `[sources]` settings).
    pub fn with_retrieval_rules(mut self, rules: RetrievalRules) -> Self {
        self.retrieval_rules = rules;
        self
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
        errors.extend(limits::check(
            "stream_name",
            limits::Name::refusal(&input.stream_name),
        ));
        errors.extend(limits::check(
            "purpose",
            limits::Purpose::refusal(&input.purpose),
        ));
        if input.scope == StreamScope::Organization && org_id.is_none() {
            errors.push(FieldError::new(
                "org_id",
                "is required for organization streams",
            ));
        }
        let presentation = input.presentation_config.unwrap_or_default();
        let enrichment = input.enrichment_config.unwrap_or_default();
        let llm = input.llm_config.unwrap_or_default();
        let retrieval = input.retrieval_config.unwrap_or_default();
        validate_presentation(&presentation, &mut errors);
        validate_enrichment(&enrichment, &mut errors);
        validate_llm(&llm, &self.llm, &mut errors);
        validate_retrieval(&retrieval, &self.retrieval_rules, &mut errors);
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
        let next = next_due(&retrieval);
        let txn = repository::database::begin_write(db).await?;
        let stream = streams::create(
            &txn,
            NewStream {
                stream_name: input.stream_name.trim().to_owned(),
                purpose: input.purpose,
                scope: input.scope,
                org_id,
                owner_user_id: (input.scope == StreamScope::Personal).then_some(actor.id),
                presentation_config: presentation,
                enrichment_config: enrichment,
                llm_config: llm,
                retrieval_config: retrieval,
            },
        )
        .await?;
        // The schedule's first due time, with the stream.
        repository::retrieval_runs::set_schedule(&txn, stream.id, next).await?;
        txn.commit().await?;
        Ok(stream)
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
            errors.extend(limits::check("stream_name", limits::Name::refusal(n)));
        }
        if let Some(p) = &patch.purpose {
            errors.extend(limits::check("purpose", limits::Purpose::refusal(p)));
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
        if let Some(c) = &patch.retrieval_config {
            validate_retrieval(c, &self.retrieval_rules, &mut errors);
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let next = patch.retrieval_config.as_ref().map(next_due);
        let txn = repository::database::begin_write(db).await?;
        let stream = streams::update(
            &txn,
            id,
            StreamUpdate {
                stream_name: patch.stream_name.map(|s| s.trim().to_owned()),
                purpose: patch.purpose,
                presentation_config: patch.presentation_config,
                enrichment_config: patch.enrichment_config,
                llm_config: patch.llm_config,
                retrieval_config: patch.retrieval_config,
                is_active: patch.is_active,
            },
        )
        .await?;
        // A new retrieval configuration sets the schedule anew: its next
        // due time from now, or none.
        if let Some(next) = next {
            repository::retrieval_runs::set_schedule(&txn, id, next).await?;
        }
        txn.commit().await?;
        Ok(stream)
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
pub(crate) async fn get_visible(
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

/// When a stream with this configuration is next due for a scheduled
/// retrieval: none without a schedule (or sources).
fn next_due(config: &RetrievalConfig) -> Option<chrono::DateTime<chrono::Utc>> {
    let schedule = config
        .schedule
        .as_ref()
        .filter(|_| !config.sources.is_empty())?;
    crate::schedules::Parsed::of(schedule, "schedule")
        .ok()?
        .next_after(chrono::Utc::now())
}
