//! Runs followed as Server-Sent Events: the run now, then an event per
//! change (`progress`), and a last one named after how it ended
//! (`succeeded`, `failed`, `cancelled`), after which the stream closes.
//! Summary and retrieval runs share it; each says how it is rendered.

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use service::ServiceError;
use service::enums::RunStatus;
use service::follow::Progress;
use tokio::sync::watch;

use crate::error::ApiResult;
use crate::extractors::bearer;
use crate::state::{AppState, StreamSlot};

/// A run that can be sent as an event.
pub(crate) trait Followable: Progress + PartialEq {
    /// The body each event carries, as JSON.
    type Out: Serialize + From<Self>;
    fn status(&self) -> RunStatus;
    fn updated_at(&self) -> DateTime<Utc>;
}

impl Followable for service::summaries::SummaryRun {
    type Out = crate::dto::SummaryRunOut;
    fn status(&self) -> RunStatus {
        self.status
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

impl Followable for service::retrievals::RetrievalRun {
    type Out = crate::dto::RetrievalRunOut;
    fn status(&self) -> RunStatus {
        self.status
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// Answers with the run `follow` opens as an event stream. An idle stream
/// sends a comment every `server.event_keep_alive_secs`; the token is
/// checked again at least that often, and the stream closes once it no
/// longer holds. One user holds at most `server.max_event_streams_per_user`
/// streams open on a process (429 past that, before the run is read).
pub(crate) async fn respond<R: Followable>(
    req: &HttpRequest,
    state: &AppState,
    user_id: i32,
    follow: impl Future<Output = Result<watch::Receiver<R>, ServiceError>>,
) -> ApiResult<HttpResponse> {
    let slot = state
        .event_streams
        .open(user_id)
        .ok_or_else(|| ServiceError::RateLimited {
            detail: format!(
                "at most {} live event streams may be open at once per user",
                state.event_streams.cap()
            ),
            retry_after: state.event_keep_alive,
        })?;
    let mut changes = follow.await?;
    let first = changes.borrow_and_update().clone();
    let follower = Follower {
        changes,
        seen: first.clone(),
        token: bearer(req)?.to_owned(),
        auth: state.services.auth.clone(),
        keep_alive: state.event_keep_alive,
        checked: Instant::now(),
        _slot: slot,
    };
    let rest = futures::stream::unfold(Some(follower), |follower| async move {
        let mut follower = follower?;
        let next = follower.next().await?;
        Some((next, Some(follower)))
    });
    let body = futures::stream::once(async move { event(&first) })
        .chain(rest)
        .map(Ok::<_, actix_web::Error>);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Proxies that buffer responses (nginx) would hold events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// One open event stream: the run's changes, and the token it was opened
/// with, checked again every keep-alive.
struct Follower<R> {
    changes: watch::Receiver<R>,
    seen: R,
    token: String,
    auth: service::auth::AuthService,
    keep_alive: Duration,
    checked: Instant,
    _slot: StreamSlot,
}

impl<R: Followable> Follower<R> {
    /// The next chunk to send, or `None` to close the stream: after the
    /// run's last state, once the token stops holding, or when the run can
    /// no longer be read.
    async fn next(&mut self) -> Option<Bytes> {
        if self.seen.has_ended() {
            return None;
        }
        let left = self.keep_alive.saturating_sub(self.checked.elapsed());
        let changed = tokio::time::timeout(left, self.changes.changed()).await;
        if self.checked.elapsed() >= self.keep_alive {
            if self.auth.validate_token(&self.token).await.is_err() {
                return None;
            }
            self.checked = Instant::now();
        }
        match changed {
            Err(_) => Some(Bytes::from_static(b": keep-alive\n\n")),
            // The latest state is read even when the reader is gone: it may
            // be the run's last.
            Ok(_) => {
                let run = self.changes.borrow_and_update().clone();
                if run == self.seen {
                    return None;
                }
                self.seen = run;
                Some(event(&self.seen))
            }
        }
    }
}

fn event<R: Followable>(run: &R) -> Bytes {
    let name = if run.has_ended() {
        run.status().to_string()
    } else {
        "progress".to_owned()
    };
    let data = serde_json::to_string(&R::Out::from(run.clone())).unwrap_or_default();
    Bytes::from(format!(
        "event: {name}\nid: {}\ndata: {data}\n\n",
        run.updated_at().timestamp_millis()
    ))
}
