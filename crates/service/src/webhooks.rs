//! Organizations' webhooks: endpoints their admins register for events
//! (`report.approved`, `report.reopened`, `retrieval.completed`), and the
//! events queued as deliveries in the transaction of what caused them.
//!
//! A request says that something happened and where to read it
//! (identifiers, names, counts), never a report's content: whoever reads it
//! does so through the API, as who they are. An organization's endpoints
//! hear of the streams that organization reads, nothing else.

use chrono::Utc;
use entity::enums::{DeliveryChannel, StreamScope};
use rand::RngCore;
use repository::deliveries::{self, NewDelivery};
pub use repository::webhooks::Webhook;
use repository::webhooks::{self, WebhookUpdate};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use crate::access::Actor;
use crate::reports::Report;
use crate::streams::Stream;
use crate::{FieldError, ServiceError};

/// The events an endpoint may take.
pub const EVENTS: [&str; 3] = ["report.approved", "report.reopened", "retrieval.completed"];

/// URLs of endpoints are at most this long.
pub const URL_CHARS: usize = 2048;

/// Endpoints one organization may register.
pub const PER_ORG: usize = 20;

/// An endpoint as created: `secret` is shown this once.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// Endpoints of organizations.
#[derive(Clone)]
pub struct WebhookService {
    db: DatabaseConnection,
    allow_private: bool,
}

fn check_url(field: &str, url: &str, allow_private: bool) -> Result<String, FieldError> {
    let url = url.trim();
    if url.chars().count() > URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("at most {URL_CHARS} characters"),
        ));
    }
    let parsed =
        url::Url::parse(url).map_err(|e| FieldError::new(field, format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(FieldError::new(field, "must be an http or https URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(FieldError::new(field, "may not carry credentials"));
    }
    match parsed.host() {
        None => return Err(FieldError::new(field, "names no host")),
        // A name no resolver could look up (RFC 1035: at most 253
        // characters, labels of at most 63) is refused here rather than
        // failing at every delivery.
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            if name.len() > 253
                || name
                    .split('.')
                    .any(|label| label.is_empty() || label.len() > 63)
            {
                return Err(FieldError::new(
                    field,
                    "names a host of at most 253 characters in labels of 1 to 63",
                ));
            }
        }
        Some(_) => {}
    }
    // The check every outbound request makes on an address; a name is
    // checked when it is resolved, at each request.
    sources::outbound::check_literal(&parsed, allow_private)
        .map_err(|e| FieldError::new(field, e.to_string()))?;
    // Normalizing percent-encodes and punycodes: the stored form is the
    // one bounded by the column.
    let normalized = parsed.to_string();
    if normalized.len() > URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("at most {URL_CHARS} characters once normalized"),
        ));
    }
    Ok(normalized)
}

fn check_events(field: &str, events: &[String]) -> Result<Vec<String>, FieldError> {
    if events.is_empty() {
        return Err(FieldError::new(field, "names at least one event"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !EVENTS.contains(&e.as_str()) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                format!("must be one of {}", EVENTS.join(", ")),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

impl WebhookService {
    pub fn new(db: DatabaseConnection, allow_private: bool) -> Self {
        Self { db, allow_private }
    }

    fn require_admin(actor: &Actor, org_id: i32) -> Result<(), ServiceError> {
        if actor.administers_org(org_id) {
            Ok(())
        } else if actor.org_id == Some(org_id) {
            Err(ServiceError::Forbidden(
                "only the organization's admins manage its webhooks".into(),
            ))
        } else {
            Err(ServiceError::NotFound("organization"))
        }
    }

    /// The organization's endpoints (its admins).
    pub async fn list(&self, actor: &Actor, org_id: i32) -> Result<Vec<Webhook>, ServiceError> {
        Self::require_admin(actor, org_id)?;
        Ok(webhooks::of_org(&self.db, org_id).await?)
    }

    /// Registers an endpoint with a new secret (its admins).
    pub async fn create(
        &self,
        actor: &Actor,
        org_id: i32,
        url: &str,
        events: &[String],
    ) -> Result<CreatedWebhook, ServiceError> {
        Self::require_admin(actor, org_id)?;
        repository::organizations::get(&self.db, org_id)
            .await
            .map_err(|_| ServiceError::NotFound("organization"))?;
        let mut errors = Vec::new();
        let url = check_url("url", url, self.allow_private)
            .map_err(|e| errors.push(e))
            .ok();
        let events = check_events("events", events)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(url), Some(events)) = (url, events) else {
            return Err(ServiceError::Validation(errors));
        };
        if webhooks::of_org(&self.db, org_id).await?.len() >= PER_ORG {
            return Err(crate::error::ConflictKind::LimitReached.because(format!(
                "at most {PER_ORG} webhooks per organization: delete one first"
            )));
        }
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret = delivery::webhook::secret_from(&bytes);
        let webhook = webhooks::create(&self.db, org_id, url, events, secret.clone()).await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    /// Changes an endpoint's URL, events or whether it is enabled.
    pub async fn update(
        &self,
        actor: &Actor,
        org_id: i32,
        id: i32,
        url: Option<&str>,
        events: Option<&[String]>,
        enabled: Option<bool>,
    ) -> Result<Webhook, ServiceError> {
        Self::require_admin(actor, org_id)?;
        let hook = webhooks::find(&self.db, org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("webhook"))?;
        let mut errors = Vec::new();
        let url = url.and_then(|u| {
            check_url("url", u, self.allow_private)
                .map_err(|e| errors.push(e))
                .ok()
        });
        let events =
            events.and_then(|e| check_events("events", e).map_err(|e| errors.push(e)).ok());
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        Ok(webhooks::update(
            &self.db,
            hook,
            WebhookUpdate {
                url,
                events,
                enabled,
            },
        )
        .await?)
    }

    /// Deletes an endpoint; what it had not been sent goes with it.
    pub async fn delete(&self, actor: &Actor, org_id: i32, id: i32) -> Result<(), ServiceError> {
        Self::require_admin(actor, org_id)?;
        if webhooks::delete(&self.db, org_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("webhook"))
        }
    }
}

/// The organizations that read a stream: its own (an organization stream),
/// the subscribed ones (a global stream); a personal stream's reader is one
/// user, no organization.
async fn reader_orgs<C: ConnectionTrait>(
    db: &C,
    stream: &Stream,
) -> Result<Vec<i32>, ServiceError> {
    Ok(match stream.scope {
        StreamScope::Personal => Vec::new(),
        StreamScope::Organization => stream.org_id.into_iter().collect(),
        StreamScope::Global => repository::organizations::subscribed_to(db, stream.id).await?,
    })
}

/// Queues `event` for every enabled endpoint of the organizations that
/// read `stream`, in the caller's transaction; each endpoint gets the same
/// body, fixed now.
pub(crate) async fn enqueue<C: ConnectionTrait>(
    db: &C,
    stream: &Stream,
    event: &str,
    report: Option<&Report>,
    data: serde_json::Value,
) -> Result<(), ServiceError> {
    let orgs = reader_orgs(db, stream).await?;
    let hooks = webhooks::listening(db, &orgs, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let body = json!({
        "type": event,
        "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string();
    let new = hooks
        .into_iter()
        .map(|h| NewDelivery {
            report_id: report.map(|r| r.id),
            report_version: report.map_or(0, |r| r.version),
            stream_id: stream.id,
            channel: DeliveryChannel::Webhook,
            user_id: None,
            recipient: format!("webhook:{}", h.id),
            event: Some(event.to_owned()),
            payload: Some(body.clone()),
            changes: None,
            due_at: None,
        })
        .collect();
    deliveries::enqueue(db, new).await?;
    Ok(())
}

/// What a report event says of its report.
pub(crate) fn report_data(report: &Report, stream: &Stream) -> serde_json::Value {
    json!({
        "report_id": report.id,
        "report_name": report.report_name,
        "report_date": report.report_date.to_string(),
        "version": report.version,
        "approval_status": report.approval_status.to_string(),
        "stream_id": stream.id,
        "stream_name": stream.stream_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_literal_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
        ] {
            assert!(check_url("url", url, false).is_err(), "{url}");
            assert!(check_url("url", url, true).is_ok(), "{url}");
        }
        assert!(check_url("url", "https://hooks.example.org/curio", false).is_ok());
        assert!(check_url("url", "ftp://example.org/", false).is_err());
        assert!(check_url("url", "https://user:pw@example.org/", false).is_err());
    }

    #[test]
    fn events_are_the_known_ones_once_each() {
        let e = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_events("events", &e(&["report.approved", "report.approved"])).unwrap(),
            ["report.approved"]
        );
        assert_eq!(
            check_events("events", &e(&["report.approved", "nope"]))
                .unwrap_err()
                .field,
            "events[1]"
        );
        assert!(check_events("events", &[]).is_err());
    }
}
