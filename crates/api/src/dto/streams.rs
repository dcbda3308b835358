//! Research stream bodies.

use service::enums::StreamScope;
use service::streams::{
    CreateStream, EnrichmentConfig, LlmConfig, PatchStream, PresentationConfig, RetrievalConfig,
};

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamOut {
    pub id: i32,
    pub stream_name: String,
    pub purpose: String,
    pub scope: Scope,
    pub org_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    pub presentation_config: PresentationConfig,
    pub enrichment_config: EnrichmentConfig,
    pub llm_config: LlmConfig,
    pub retrieval_config: RetrievalConfig,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<service::streams::Stream> for StreamOut {
    fn from(s: service::streams::Stream) -> Self {
        StreamOut {
            id: s.id,
            stream_name: s.stream_name,
            purpose: s.purpose,
            scope: s.scope,
            org_id: s.org_id,
            owner_user_id: s.owner_user_id,
            presentation_config: s.presentation_config,
            enrichment_config: s.enrichment_config,
            llm_config: s.llm_config,
            retrieval_config: s.retrieval_config,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stream_name": "Gene therapy watch", "purpose": "New clinical results in gene therapy", "scope": "personal",
    "presentation_config": {"categories": [{"id": "clinical", "name": "Clinical trials", "topics": ["phase 3"]}]}}))]
/// A new stream; `org_id`, for `organization` streams, defaults to the
/// caller's organization.
pub struct CreateStreamRequest {
    #[schema(schema_with = limits::Name::schema)]
    pub stream_name: String,
    #[schema(schema_with = limits::Purpose::schema)]
    pub purpose: String,
    /// Defaults to `personal`.
    pub scope: Option<Scope>,
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::Id::nullable)]
    pub org_id: Option<i32>,
    pub presentation_config: Option<PresentationConfig>,
    pub enrichment_config: Option<EnrichmentConfig>,
    /// Only org admins and platform admins may set anything here.
    pub llm_config: Option<LlmConfig>,
    pub retrieval_config: Option<RetrievalConfig>,
}

impl From<CreateStreamRequest> for CreateStream {
    fn from(b: CreateStreamRequest) -> Self {
        CreateStream {
            stream_name: b.stream_name,
            purpose: b.purpose,
            scope: b.scope.unwrap_or(StreamScope::Personal),
            org_id: b.org_id,
            presentation_config: b.presentation_config,
            enrichment_config: b.enrichment_config,
            llm_config: b.llm_config,
            retrieval_config: b.retrieval_config,
        }
    }
}

/// A partial change: an absent or `null` field stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchStreamRequest {
    #[schema(schema_with = limits::Name::nullable)]
    pub stream_name: Option<String>,
    #[schema(schema_with = limits::Purpose::nullable)]
    pub purpose: Option<String>,
    pub presentation_config: Option<PresentationConfig>,
    pub enrichment_config: Option<EnrichmentConfig>,
    pub llm_config: Option<LlmConfig>,
    pub retrieval_config: Option<RetrievalConfig>,
    pub is_active: Option<bool>,
}

impl From<PatchStreamRequest> for PatchStream {
    fn from(b: PatchStreamRequest) -> Self {
        PatchStream {
            stream_name: b.stream_name,
            purpose: b.purpose,
            presentation_config: b.presentation_config,
            enrichment_config: b.enrichment_config,
            llm_config: b.llm_config,
            retrieval_config: b.retrieval_config,
            is_active: b.is_active,
        }
    }
}
