//! Webhook endpoints.

use super::*;
use service::webhooks::{CreatedWebhook, Webhook};

/// An organization's webhook endpoint (its secret is shown only once).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: i32,
    pub org_id: i32,
    pub url: String,
    /// `report.approved`, `report.reopened`, `retrieval.completed`.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookOut {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            org_id: w.org_id,
            url: w.url,
            events: w.events.0,
            enabled: w.enabled,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A new endpoint with the secret its requests are signed with.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookOut {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// `whsec_…` (Standard Webhooks): verify each request's
    /// `webhook-signature` with it. Shown this once.
    pub secret: String,
}

impl From<CreatedWebhook> for CreatedWebhookOut {
    fn from(c: CreatedWebhook) -> Self {
        Self {
            webhook: c.webhook.into(),
            secret: c.secret,
        }
    }
}

/// An organization's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhooksOut {
    pub data: Vec<WebhookOut>,
}

/// An endpoint to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An http(s) URL of a public address.
    #[schema(
        min_length = 1,
        max_length = 2048,
        format = "uri",
        pattern = r"^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[^\s]*)?$"
    )]
    pub url: String,
    #[schema(min_items = 1, max_items = 3, inline)]
    pub events: Vec<WebhookEvent>,
}

/// A change to an endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchWebhookRequest {
    #[schema(
        min_length = 1,
        max_length = 2048,
        format = "uri",
        pattern = r"^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[^\s]*)?$"
    )]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 3)]
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// An event an endpoint takes.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum WebhookEvent {
    #[serde(rename = "report.approved")]
    ReportApproved,
    #[serde(rename = "report.reopened")]
    ReportReopened,
    #[serde(rename = "retrieval.completed")]
    RetrievalCompleted,
}

impl WebhookEvent {
    pub fn name(self) -> String {
        match self {
            WebhookEvent::ReportApproved => "report.approved",
            WebhookEvent::ReportReopened => "report.reopened",
            WebhookEvent::RetrievalCompleted => "retrieval.completed",
        }
        .to_owned()
    }
}
