//! Research stream bodies.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamOut {
    pub id: i32,
    pub stream_name: String,
    pub purpose: String,
    pub scope: Scope,
    pub org_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    #[schema(value_type = Object)]
    pub presentation_config: Json,
    #[schema(value_type = Object)]
    pub enrichment_config: Json,
    #[schema(value_type = Object)]
    pub llm_config: Json,
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
            scope: s.scope.into(),
            org_id: s.org_id,
            owner_user_id: s.owner_user_id,
            presentation_config: s.presentation_config,
            enrichment_config: s.enrichment_config,
            llm_config: s.llm_config,
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
pub struct CreateStreamRequest {
    pub stream_name: String,
    pub purpose: String,
    /// Defaults to `personal`.
    pub scope: Option<Scope>,
    /// For `organization` streams; defaults to the caller's organization.
    #[serde(default, deserialize_with = "whole::optional")]
    pub org_id: Option<i32>,
    #[schema(value_type = Option<Object>)]
    pub presentation_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub enrichment_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub llm_config: Option<Json>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchStreamRequest {
    pub stream_name: Option<String>,
    pub purpose: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub presentation_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub enrichment_config: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub llm_config: Option<Json>,
    pub is_active: Option<bool>,
}
