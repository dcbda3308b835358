//! Reports going out by mail: users' subscriptions, the outbox written in
//! the approval's transaction, the workers that send it, one-click
//! unsubscribing, and what curators see of it.
//!
//! Nothing is sent twice on purpose and nothing is lost: a delivery is a
//! row before it is a message, claimed under a lease, and marked sent the
//! moment the relay took it. A process that dies between the relay's answer
//! and that mark leaves the delivery to be sent again once its lease
//! expires, with the same Message-ID, so a repeat is recognisable as the
//! same message; that window is one message wide per worker. Nobody
//! receives what they may not read: the recipients are those who may read
//! the report when it is approved, and each is checked again (active,
//! still a reader, still subscribed, the report still at that version)
//! just before their message is sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use delivery::{Mail, Mailer, SendError};
use entity::enums::{ApprovalStatus, CurationEventType, DeliveryChannel, RunStatus};
use hmac::{Hmac, KeyInit, Mac};
use repository::associations;
pub use repository::deliveries::Delivery;
use repository::deliveries::{self, NewDelivery};
use repository::{Page, Paginated, curation_events, reports, streams, users};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use secrecy::ExposeSecret;
use sha2::Sha256;
use tokio::sync::{Notify, Semaphore};

use crate::access::Actor;
use crate::error::ConflictKind;
use crate::reports::Report;
use crate::streams::Stream;
use crate::{DeliverySettings, ServiceError};

/// A caller's subscription to a stream's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub subscribed: bool,
    /// Whether the caller chose it (otherwise it is the default).
    pub chosen: bool,
}

/// A report rendered once per version for all its recipients.
struct Rendered {
    subject: String,
    title: String,
    /// The report as an HTML fragment; each reader's footer goes under it.
    html: String,
    text: String,
}

struct Inner {
    db: DatabaseConnection,
    settings: DeliverySettings,
    mailer: Mailer,
    /// Webhook requests: public addresses only unless allowed, no
    /// redirects, bounded answers.
    outbound: sources::outbound::Outbound,
    /// Scheme and host links in mail point to.
    base_url: String,
    /// Its host, the right-hand side of every Message-ID.
    mail_host: String,
    /// The key unsubscribe links are signed with; none, no mail is sent.
    unsubscribe_key: Option<Vec<u8>>,
    owner: String,
    wake: Notify,
    stopping: AtomicBool,
    slots: Arc<Semaphore>,
    rendered: Mutex<HashMap<(i32, i32), Arc<Rendered>>>,
}

/// Subscriptions, the outbox and its workers.
#[derive(Clone)]
pub struct DeliveryService {
    inner: Arc<Inner>,
}

/// The key of unsubscribe links, derived from the token secret so that
/// neither can stand for the other.
pub fn unsubscribe_key(jwt_secret: &secrecy::SecretString) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(jwt_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"curio unsubscribe links v1");
    mac.finalize().into_bytes().to_vec()
}

/// The MAC of one user's opt-out of one stream.
fn opt_out_mac(key: &[u8], user_id: i32, stream_id: i32) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("unsubscribe:{user_id}:{stream_id}").as_bytes());
    mac
}

/// Bytes of a signature kept in a link: the MAC's first 128 bits.
const SIGNATURE_BYTES: usize = 16;

/// `{user}.{stream}.{signature}`: opens nothing but this one opt-out.
fn unsubscribe_token(key: &[u8], user_id: i32, stream_id: i32) -> String {
    let signature: String = opt_out_mac(key, user_id, stream_id).finalize().into_bytes()
        [..SIGNATURE_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{user_id}.{stream_id}.{signature}")
}

fn read_token(key: &[u8], token: &str) -> Option<(i32, i32)> {
    let mut parts = token.trim().splitn(3, '.');
    let user_id: i32 = parts.next()?.parse().ok()?;
    let stream_id: i32 = parts.next()?.parse().ok()?;
    let hex = parts.next()?;
    // Lowercase hex, as the link was written.
    if hex.len() != SIGNATURE_BYTES * 2
        || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let given: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    // The MAC crate compares in constant time: the signature is the secret.
    opt_out_mac(key, user_id, stream_id)
        .verify_truncated_left(&given)
        .ok()?;
    Some((user_id, stream_id))
}

/// Queues the mail of a report being approved, in the approval's
/// transaction: to every current reader who has not opted out, or — when
/// an earlier version of the report was mailed — to those who got it,
/// saying what changed.
pub(crate) async fn enqueue_approval(
    txn: &DatabaseTransaction,
    report: &Report,
    stream: &Stream,
) -> Result<usize, ServiceError> {
    let readers = deliveries::mail_recipients(txn, stream).await?;
    let mailed = deliveries::mailed_users(txn, report.id).await?;
    // The stream's send time, if it has one (checked when it was set).
    let due_at = match &stream.presentation_config.send_at {
        Some(send_at) => crate::schedules::next_send_time(send_at, "send_at", Utc::now()).ok(),
        None => None,
    };
    let changes = if mailed.is_empty() {
        None
    } else {
        Some(what_changed(txn, report.id).await?)
    };
    let new: Vec<NewDelivery> = readers
        .into_iter()
        .filter(|r| mailed.is_empty() || mailed.contains(&r.user_id))
        .map(|r| NewDelivery {
            report_id: Some(report.id),
            report_version: report.version,
            stream_id: stream.id,
            channel: DeliveryChannel::Email,
            user_id: Some(r.user_id),
            recipient: r.email,
            event: None,
            payload: None,
            changes: changes.clone(),
            due_at,
        })
        .collect();
    let count = new.len();
    deliveries::enqueue(txn, new).await?;
    let data = crate::webhooks::report_data(report, stream);
    crate::webhooks::enqueue(txn, stream, "report.approved", Some(report), data).await?;
    Ok(count)
}

/// Cancels the mail a report reopened had not sent yet, and tells the
/// webhooks it was reopened.
pub(crate) async fn reopened(
    txn: &DatabaseTransaction,
    report: &Report,
    reason: &str,
) -> Result<(), ServiceError> {
    deliveries::cancel_queued(txn, report.id).await?;
    if let Some(stream) = streams::find(txn, report.stream_id).await? {
        let mut data = crate::webhooks::report_data(report, &stream);
        data["reason"] = serde_json::Value::from(reason);
        crate::webhooks::enqueue(txn, &stream, "report.reopened", Some(report), data).await?;
    }
    Ok(())
}

/// What curators did since the report's previous approval, in a sentence
/// or two: the reasons it was reopened, then the changes by kind.
async fn what_changed(txn: &DatabaseTransaction, report_id: i32) -> Result<String, ServiceError> {
    let events = curation_events::since_latest(txn, report_id, CurationEventType::Approve).await?;
    let reasons: Vec<String> = events
        .iter()
        .filter(|e| e.event_type == CurationEventType::Reopen)
        .filter_map(|e| e.notes.clone())
        .collect();
    let count = |kind: CurationEventType| events.iter().filter(|e| e.event_type == kind).count();
    let mut changes = Vec::new();
    for (kind, one, many) in [
        (
            CurationEventType::AddArticles,
            "articles were added",
            "articles were added",
        ),
        (
            CurationEventType::ExcludeArticle,
            "an article was removed",
            "articles were removed",
        ),
        (
            CurationEventType::IncludeArticle,
            "an article was brought back",
            "articles were brought back",
        ),
        (
            CurationEventType::EditArticle,
            "an article's summary or place was edited",
            "articles' summaries or places were edited",
        ),
        (
            CurationEventType::Reorder,
            "the ranking changed",
            "the ranking changed",
        ),
        (
            CurationEventType::EditSummaries,
            "the summaries were edited",
            "the summaries were edited",
        ),
        (
            CurationEventType::UpdateArticle,
            "an article's details were corrected",
            "articles' details were corrected",
        ),
    ] {
        match count(kind) {
            0 => {}
            1 => changes.push(one.to_owned()),
            n if one == many => changes.push(format!("{many} ({n} times)")),
            n => changes.push(format!(
                "{n} {}",
                many.split_once(' ').map_or(many, |(_, rest)| rest)
            )),
        }
    }
    let mut text = String::from("This report was updated after you received it.");
    if !reasons.is_empty() {
        text.push_str(&format!(
            " Why: {}.",
            reasons.join("; ").trim_end_matches('.')
        ));
    }
    if !changes.is_empty() {
        text.push_str(&format!(" Since then {}.", changes.join(", ")));
    }
    Ok(text)
}

impl DeliveryService {
    /// Over a pool, sending as `settings` say; `base_url` is what links in
    /// mail point to (`https://curio.example`), and `unsubscribe_key` signs
    /// their unsubscribe links (none: this process sends no mail).
    pub fn new(
        db: DatabaseConnection,
        settings: DeliverySettings,
        base_url: String,
        unsubscribe_key: Option<Vec<u8>>,
    ) -> Result<Self, crate::StartupError> {
        let mailer = match settings
            .smtp_url
            .as_ref()
            .map(|u| u.expose_secret().trim().to_owned())
        {
            Some(url) if !url.is_empty() => Mailer::smtp(
                &url,
                Duration::from_secs_f64(settings.smtp_timeout_secs.clamp(1.0, 600.0)),
                settings.workers,
            )
            .map_err(|e| crate::StartupError::Config(format!("delivery.smtp_url: {e}")))?,
            _ => Mailer::files(settings.outbox_dir.clone()),
        };
        delivery::check_mailbox(&settings.from)
            .map_err(|e| crate::StartupError::Config(format!("delivery.from: {e}")))?;
        let outbound = sources::outbound::Outbound::new(sources::outbound::Policy {
            allow_private: settings.webhooks_allow_private,
            timeout: Duration::from_secs_f64(settings.webhook_timeout_secs.clamp(0.1, 300.0)),
            max_bytes: 64 * 1024,
        })
        .map_err(|e| crate::StartupError::Config(format!("delivery: {e}")))?;
        let slots = Arc::new(Semaphore::new(settings.workers));
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                mailer,
                outbound,
                mail_host: url::Url::parse(&base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| "curio.invalid".to_owned()),
                base_url: base_url.trim_end_matches('/').to_owned(),
                unsubscribe_key,
                owner: format!(
                    "deliveries-{}",
                    crate::auth::generate_secret()[..12].to_owned()
                ),
                wake: Notify::new(),
                stopping: AtomicBool::new(false),
                slots,
                rendered: Mutex::new(HashMap::new()),
                settings,
            }),
        })
    }

    fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The caller's subscription to a stream they may see.
    pub async fn subscription(
        &self,
        actor: &Actor,
        stream_id: i32,
    ) -> Result<Subscription, ServiceError> {
        let stream = crate::streams::get_visible(self.db(), actor, stream_id).await?;
        let chosen = deliveries::subscription(self.db(), actor.id, stream.id).await?;
        Ok(Subscription {
            subscribed: chosen.unwrap_or(!actor.is_platform_admin()),
            chosen: chosen.is_some(),
        })
    }

    /// Records the caller's choice for a stream they may see.
    pub async fn subscribe(
        &self,
        actor: &Actor,
        stream_id: i32,
        subscribed: bool,
    ) -> Result<Subscription, ServiceError> {
        let stream = crate::streams::get_visible(self.db(), actor, stream_id).await?;
        deliveries::set_subscription(self.db(), actor.id, stream.id, subscribed).await?;
        Ok(Subscription {
            subscribed,
            chosen: true,
        })
    }

    /// A one-click unsubscribe: the token's user no longer receives the
    /// token's stream. The stream's id.
    pub async fn unsubscribe(&self, token: &str) -> Result<i32, ServiceError> {
        let refused = || ServiceError::Unauthorized("the unsubscribe link is not valid".into());
        let key = self.inner.unsubscribe_key.as_deref().ok_or_else(refused)?;
        let (user_id, stream_id) = read_token(key, token).ok_or_else(refused)?;
        // A user or stream deleted since: there is nothing left to send.
        if users::credentials(self.db(), user_id).await?.is_none()
            || streams::find(self.db(), stream_id).await?.is_none()
        {
            return Ok(stream_id);
        }
        deliveries::set_subscription(self.db(), user_id, stream_id, false).await?;
        Ok(stream_id)
    }

    /// The report's deliveries (the stream's curators).
    pub async fn of_report(
        &self,
        actor: &Actor,
        report_id: i32,
        page: Page,
    ) -> Result<Paginated<Delivery>, ServiceError> {
        crate::report_guards::get_for_change(self.db(), actor, report_id).await?;
        Ok(deliveries::of_report(self.db(), report_id, page).await?)
    }

    /// Queues a failed delivery again (the report's curators); 409 unless it
    /// failed.
    pub async fn retry(&self, actor: &Actor, delivery_id: i32) -> Result<Delivery, ServiceError> {
        let found = deliveries::find(self.db(), delivery_id)
            .await?
            .ok_or(ServiceError::NotFound("delivery"))?;
        let allowed = match found.report_id {
            Some(report_id) => crate::report_guards::get_for_change(self.db(), actor, report_id)
                .await
                .map(drop),
            None => crate::streams::get_for_change(self.db(), actor, found.stream_id)
                .await
                .map(drop),
        };
        allowed.map_err(|e| match e {
            ServiceError::NotFound(_) => ServiceError::NotFound("delivery"),
            other => other,
        })?;
        if !deliveries::requeue_failed(self.db(), delivery_id).await? {
            return Err(ConflictKind::ReportStatus.because(format!(
                "only a failed delivery can be retried; this one is {}",
                status_name(found.status)
            )));
        }
        self.inner.wake.notify_one();
        deliveries::find(self.db(), delivery_id)
            .await?
            .ok_or(ServiceError::NotFound("delivery"))
    }

    /// The report's mail as its readers would get it (the stream's
    /// curators), whatever its state.
    pub async fn email_preview(
        &self,
        actor: &Actor,
        report_id: i32,
    ) -> Result<String, ServiceError> {
        let (report, stream) =
            crate::report_guards::get_for_change(self.db(), actor, report_id).await?;
        let rendered = self.render(&report, &stream).await?;
        Ok(publishing::digest::html_document(
            &rendered.title,
            &rendered.html,
            &publishing::digest::mail_footer(None, None),
        ))
    }

    /// Wakes this process's workers: a delivery was queued here.
    pub fn notify(&self) {
        self.inner.wake.notify_one();
    }

    async fn render(
        &self,
        report: &Report,
        stream: &Stream,
    ) -> Result<Arc<Rendered>, ServiceError> {
        let key = (report.id, report.version);
        if let Some(done) = self.cached(key) {
            return Ok(done);
        }
        let articles = associations::load_for_report(self.db(), report.id, false).await?;
        let digest = crate::feeds::digest_of(stream, report, &articles);
        let rendered = Arc::new(Rendered {
            subject: format!("{}: {}", stream.stream_name, report.report_name),
            title: digest.title.clone(),
            html: digest.html_fragment(),
            text: digest.text(),
        });
        let mut cache = self
            .inner
            .rendered
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // A handful of reports go out at once; older renderings go.
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.insert(key, rendered.clone());
        Ok(rendered)
    }

    fn cached(&self, key: (i32, i32)) -> Option<Arc<Rendered>> {
        self.inner
            .rendered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
    }

    fn unsubscribe_url(&self, user_id: i32, stream_id: i32) -> Option<String> {
        let key = self.inner.unsubscribe_key.as_deref()?;
        Some(format!(
            "{}/api/v1/unsubscribe?token={}",
            self.inner.base_url,
            unsubscribe_token(key, user_id, stream_id)
        ))
    }

    /// Starts this process's delivery workers: deliveries queued here go at
    /// once, and every second they take due ones and ones whose lease
    /// expired.
    pub fn start_workers(&self) -> DeliveryWorkers {
        let this = self.clone();
        let poller = tokio::spawn(async move {
            loop {
                this.send_due().await;
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), this.inner.wake.notified()).await;
            }
        });
        DeliveryWorkers {
            service: self.clone(),
            poller,
        }
    }

    fn lease_until(&self) -> chrono::DateTime<Utc> {
        // A message takes a relay seconds; a lease of a few minutes lets a
        // dead process's messages go again soon.
        let secs = self.inner.settings.lease_secs.clamp(1, 86_400) as i64;
        Utc::now() + chrono::Duration::seconds(secs)
    }

    async fn send_due(&self) {
        if self.inner.unsubscribe_key.is_none() {
            return;
        }
        loop {
            if self.inner.stopping.load(Ordering::Relaxed) {
                return;
            }
            let free = self.inner.slots.available_permits();
            if free == 0 {
                return;
            }
            let now = Utc::now();
            let ids = match deliveries::claimable(self.db(), now, free as u64 * 4).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "looking for deliveries failed");
                    return;
                }
            };
            if ids.is_empty() {
                return;
            }
            let mut started = 0;
            for id in ids {
                let Ok(slot) = self.inner.slots.clone().try_acquire_owned() else {
                    break;
                };
                match deliveries::claim(self.db(), id, &self.inner.owner, now, self.lease_until())
                    .await
                {
                    Ok(Some(d)) => {
                        started += 1;
                        let this = self.clone();
                        tokio::spawn(async move {
                            this.deliver(d).await;
                            drop(slot);
                            this.inner.wake.notify_one();
                        });
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, delivery_id = id, "claiming a delivery failed");
                        return;
                    }
                }
            }
            if started == 0 {
                return;
            }
        }
    }

    /// Sends one claimed delivery and stores how it went.
    async fn deliver(&self, d: Delivery) {
        let owner = &self.inner.owner;
        let outcome = self.attempt(&d).await;
        let stored = match outcome {
            Attempt::Sent => deliveries::mark_sent(self.db(), d.id, owner).await,
            Attempt::Void(why) => {
                deliveries::mark_ended(self.db(), d.id, owner, RunStatus::Cancelled, &why).await
            }
            Attempt::Failed(SendError::Permanent(why)) => {
                deliveries::mark_ended(self.db(), d.id, owner, RunStatus::Failed, &why).await
            }
            Attempt::Failed(SendError::Transient(why)) => {
                let attempts = u32::try_from(d.attempt).unwrap_or(u32::MAX);
                let webhook_deadline = chrono::Duration::milliseconds(
                    (self.inner.settings.webhook_retry_hours.max(0.0) * 3_600_000.0) as i64,
                );
                let give_up = match d.channel {
                    DeliveryChannel::Email => attempts >= self.inner.settings.max_attempts.max(1),
                    DeliveryChannel::Webhook => Utc::now() - d.created_at >= webhook_deadline,
                };
                if give_up {
                    let why = format!("{why} (gave up after {attempts} attempts)");
                    deliveries::mark_ended(self.db(), d.id, owner, RunStatus::Failed, &why).await
                } else {
                    let base = self.inner.settings.retry_base_secs.max(0.01);
                    let wait =
                        (base * 2f64.powi(attempts.saturating_sub(1) as i32)).min(6.0 * 3600.0);
                    let at = Utc::now() + chrono::Duration::milliseconds((wait * 1000.0) as i64);
                    deliveries::retry_at(self.db(), d.id, owner, at, &why).await
                }
            }
        };
        match stored {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery_id = d.id,
                "a delivery's lease was lost before its outcome was stored"
            ),
            Err(e) => {
                tracing::warn!(delivery_id = d.id, error = %e, "storing a delivery's outcome failed")
            }
        }
    }

    async fn attempt(&self, d: &Delivery) -> Attempt {
        if d.channel == DeliveryChannel::Webhook {
            return self.call_webhook(d).await;
        }
        match self.prepare(d).await {
            Ok(Ok(mail)) => match self.inner.mailer.send(&mail).await {
                Ok(()) => Attempt::Sent,
                Err(e) => Attempt::Failed(e),
            },
            Ok(Err(void)) => Attempt::Void(void),
            Err(e) => Attempt::Failed(SendError::Transient(format!(
                "reading the report failed: {e}"
            ))),
        }
    }

    /// Posts a webhook event, signed per Standard Webhooks; the same
    /// `webhook-id` and body on every attempt.
    async fn call_webhook(&self, d: &Delivery) -> Attempt {
        let Some(id) = d
            .recipient
            .strip_prefix("webhook:")
            .and_then(|s| s.parse::<i32>().ok())
        else {
            return Attempt::Void("not a webhook endpoint".into());
        };
        let hook = match repository::webhooks::get(self.db(), id).await {
            Ok(Some(hook)) => hook,
            Ok(None) => return Attempt::Void("the webhook was deleted".into()),
            Err(e) => {
                return Attempt::Failed(SendError::Transient(format!(
                    "reading the webhook failed: {e}"
                )));
            }
        };
        if !hook.enabled {
            return Attempt::Void("the webhook is disabled".into());
        }
        let Ok(url) = url::Url::parse(&hook.url) else {
            return Attempt::Failed(SendError::Permanent(
                "the webhook's URL is not a URL".into(),
            ));
        };
        let body = d.payload.clone().unwrap_or_default().into_bytes();
        let message_id = format!("msg_curio_{}", d.id);
        let timestamp = Utc::now().timestamp();
        let signature =
            match delivery::webhook::signature(&hook.secret, &message_id, timestamp, &body) {
                Ok(s) => s,
                Err(e) => return Attempt::Failed(SendError::Permanent(e)),
            };
        let headers = [
            ("webhook-id", message_id),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        use sources::outbound::OutboundError;
        match self
            .inner
            .outbound
            .post(&url, "application/json", &headers, body)
            .await
        {
            Ok(answer) if (200..300).contains(&answer.status) => Attempt::Sent,
            // Gone: the receiver says it will never take this endpoint's events.
            Ok(answer) if answer.status == 410 => Attempt::Failed(SendError::Permanent(
                "the endpoint answered 410 Gone".into(),
            )),
            Ok(answer) => Attempt::Failed(SendError::Transient(format!(
                "the endpoint answered {}",
                answer.status
            ))),
            Err(e @ (OutboundError::Refused(_) | OutboundError::Scheme(_))) => {
                Attempt::Failed(SendError::Permanent(format!("refused: {e}")))
            }
            Err(e) => Attempt::Failed(SendError::Transient(e.to_string())),
        }
    }

    /// The mail of a delivery, or why it must not go (`Ok(Err(why))`).
    async fn prepare(&self, d: &Delivery) -> Result<Result<Mail, String>, ServiceError> {
        let db = self.db();
        let Some(report_id) = d.report_id else {
            return Ok(Err("a mail carries a report".into()));
        };
        let Some((report, stream)) = reports::find_with_stream(db, report_id).await? else {
            return Ok(Err("the report was deleted".into()));
        };
        if report.approval_status != ApprovalStatus::Approved || report.version != d.report_version
        {
            return Ok(Err(
                "the report changed after this version was approved".into()
            ));
        }
        let Some(user_id) = d.user_id else {
            return Ok(Err("the recipient's account was deleted".into()));
        };
        let Some(user) = users::credentials(db, user_id).await? else {
            return Ok(Err("the recipient's account was deleted".into()));
        };
        if !crate::auth::may_act(user.is_active, user.org_active) {
            return Ok(Err("the recipient's account is deactivated".into()));
        }
        let actor = Actor {
            id: user.id,
            email: user.email.clone(),
            org_id: user.org_id,
            role: user.role,
        };
        if streams::find_visible(db, &actor.viewer(), stream.id)
            .await?
            .is_none()
        {
            return Ok(Err("the recipient may no longer read the stream".into()));
        }
        let chosen = deliveries::subscription(db, user.id, stream.id).await?;
        if chosen == Some(false) || (chosen.is_none() && actor.is_platform_admin()) {
            return Ok(Err("the recipient unsubscribed".into()));
        }
        let rendered = self.render(&report, &stream).await?;
        let unsubscribe = self.unsubscribe_url(user.id, stream.id);
        let footer = publishing::digest::mail_footer(d.changes.as_deref(), unsubscribe.as_deref());
        let mut text = String::new();
        if let Some(c) = &d.changes {
            text.push_str(c);
            text.push_str("\n\n");
        }
        text.push_str(&rendered.text);
        if let Some(url) = &unsubscribe {
            text.push_str(&format!("\n--\nUnsubscribe: {url}\n"));
        }
        let subject = if d.changes.is_some() {
            format!("Updated: {}", rendered.subject)
        } else {
            rendered.subject.clone()
        };
        Ok(Ok(Mail {
            from: self.inner.settings.from.clone(),
            to: d.recipient.clone(),
            subject,
            message_id: format!("delivery-{}@{}", d.id, self.inner.mail_host),
            text,
            html: publishing::digest::html_document(&rendered.title, &rendered.html, &footer),
            unsubscribe_url: unsubscribe,
            file_stem: format!("delivery-{}", d.id),
        }))
    }
}

enum Attempt {
    Sent,
    /// Not to be sent at all (the report or the recipient changed).
    Void(String),
    Failed(SendError),
}

/// A delivery's state as the API names it.
pub fn status_name(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Queued | RunStatus::Running => "pending",
        RunStatus::Succeeded => "sent",
        RunStatus::Failed => "failed",
        RunStatus::Cancelled => "cancelled",
    }
}

/// This process's delivery workers, stopped by [`DeliveryWorkers::shutdown`].
pub struct DeliveryWorkers {
    service: DeliveryService,
    poller: tokio::task::JoinHandle<()>,
}

impl DeliveryWorkers {
    /// Stops taking deliveries; messages being sent get `grace` to finish
    /// (one still unfinished then goes again after its lease).
    pub async fn shutdown(self, grace: Duration) {
        self.poller.abort();
        let inner = &self.service.inner;
        inner.stopping.store(true, Ordering::Relaxed);
        let all = u32::try_from(inner.settings.workers).unwrap_or(u32::MAX);
        if all > 0 {
            let _ = tokio::time::timeout(grace, inner.slots.acquire_many(all)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_token_opens_its_own_opt_out_alone() {
        let key = unsubscribe_key(&"a long and random enough secret value".to_owned().into());
        let token = unsubscribe_token(&key, 7, 3);
        assert_eq!(read_token(&key, &token), Some((7, 3)));
        assert_eq!(read_token(&key, &token.replace("7.3.", "8.3.")), None);
        assert_eq!(read_token(&key, &token.replace("7.3.", "7.4.")), None);
        let other = unsubscribe_key(&"another long and random secret value".to_owned().into());
        assert_eq!(read_token(&other, &token), None);
        assert_eq!(read_token(&key, "7.3"), None);
    }
}
