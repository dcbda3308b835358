//! Organization and usage bodies.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: i32,
    pub name: String,
    pub is_active: bool,
    /// LLM calls allowed per UTC calendar month (`null`: no limit).
    pub monthly_llm_calls: Option<i32>,
    /// Prompt and completion tokens allowed per UTC calendar month.
    pub monthly_llm_tokens: Option<i64>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_count: Option<u64>,
}

impl From<service::organizations::Organization> for OrganizationOut {
    fn from(o: service::organizations::Organization) -> Self {
        OrganizationOut {
            id: o.id,
            name: o.name,
            is_active: o.is_active,
            monthly_llm_calls: o.monthly_llm_calls,
            monthly_llm_tokens: o.monthly_llm_tokens,
            created_at: o.created_at,
            member_count: None,
            stream_count: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(schema_with = limits::Name::schema)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrganizationRequest {
    #[schema(schema_with = limits::Name::nullable)]
    pub name: Option<String>,
    pub is_active: Option<bool>,
    /// LLM calls allowed per UTC calendar month; `null` removes the limit.
    #[serde(default, deserialize_with = "whole::nullable")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 2147483647)]
    pub monthly_llm_calls: Option<Option<i32>>,
    /// Prompt and completion tokens allowed per UTC calendar month; `null`
    /// removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807i64)]
    pub monthly_llm_tokens: Option<Option<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageOut {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub model: String,
    /// Calls made to the provider; a call retried by the client counts
    /// once (what budgets count).
    pub calls: i64,
    /// Requests sent to the provider, retries included: what a gateway's
    /// or provider's log counts.
    pub attempts: i64,
    pub failed_calls: i64,
    /// Article summaries reused instead of called for (no tokens).
    pub reused: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}
