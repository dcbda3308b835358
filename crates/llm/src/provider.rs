//! The LLM provider interface: one chat completion per call.

use std::time::Duration;

use futures::future::BoxFuture;

/// One completion to produce.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmRequest {
    pub system: String,
    pub user: String,
    pub model: String,
    pub temperature: f32,
    pub max_tokens: u32,
    /// What the prompt asks for. A model reads that from the prompt; a
    /// provider that does not read prompts (the offline one) needs it said.
    pub task: Task,
}

/// What a request asks of the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Task {
    /// A summary of the prompt's content.
    #[default]
    Summarize,
    /// A relevance judgement of an article against inclusion criteria,
    /// answered as JSON `{"relevance": 0..1, "rationale": "..."}`.
    Screen { criteria: String, article: String },
}

/// A completion and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmResponse {
    pub text: String,
    /// The model the provider says it served.
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// Why a call failed, after any retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the provider did not answer in time")]
    Timeout,
    #[error("the provider answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the provider could not be reached: {message}")]
    Connection { message: String },
    #[error("the provider's answer was unusable: {message}")]
    Malformed { message: String },
}

impl LlmError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, LlmError::Timeout)
    }

    /// What clients are told: a short category, never the provider's own
    /// words or address (those go to the log).
    pub fn category(&self) -> &'static str {
        match self {
            LlmError::Timeout => "timeout",
            LlmError::Status { status: 429, .. } => "rate_limited",
            LlmError::Status { .. } | LlmError::Connection { .. } => "provider_error",
            LlmError::Malformed { .. } => "invalid_response",
        }
    }
}

/// One request sent to the provider: what its ledger row records besides
/// the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attempt {
    pub latency: Duration,
    /// The HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
    /// The provider's id for the request: a completion's `id`, or the
    /// `x-request-id` header of a refusal.
    pub response_id: Option<String>,
}

/// A call's outcome and every request it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Attempts that failed and were followed by another, oldest first.
    pub retried: Vec<Attempt>,
    /// The attempt whose outcome `result` is.
    pub last: Attempt,
    pub result: Result<LlmResponse, LlmError>,
}

impl Completion {
    /// A call answered at its first request.
    pub fn at_once(last: Attempt, result: Result<LlmResponse, LlmError>) -> Self {
        Self {
            retried: Vec::new(),
            last,
            result,
        }
    }

    /// Requests sent, the last included.
    pub fn attempts(&self) -> usize {
        self.retried.len() + 1
    }
}

/// A chat-completion provider. Implementations retry what is worth retrying
/// and bound every call in time.
pub trait LlmProvider: Send + Sync {
    /// Short name reported to clients and in usage rows (`openai`, `offline`).
    fn name(&self) -> &'static str;

    /// The model used when a stream does not name one.
    fn default_model(&self) -> &str;

    /// Produces one completion, retrying what is worth retrying.
    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Completion>;
}

/// The longest a provider may ask us to wait before a retry.
#[cfg(feature = "openai")]
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long a provider asks us to wait, from the headers of its answer, in
/// the forms providers and gateways send: `retry-after-ms` (milliseconds,
/// OpenAI's and Azure's), `Retry-After` in seconds, or `Retry-After` as an
/// HTTP date (RFC 9110 §10.2.3). At most a minute; none when absent or
/// unreadable.
#[cfg(feature = "openai")]
pub fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let seconds = |v: f64| (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v));
    let wait = text("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| seconds(ms / 1000.0))
        .or_else(|| {
            let value = text("retry-after")?;
            match value.parse::<f64>() {
                Ok(s) => seconds(s),
                Err(_) => {
                    let at = httpdate::parse_http_date(value).ok()?;
                    Some(at.duration_since(now).unwrap_or_default())
                }
            }
        })?;
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A provider's requested wait plus a random part (up to a quarter of it,
/// at least up to `base`): the items of a run that were refused together do
/// not all come back at the same instant.
pub fn jittered(wait: Duration, base: Duration) -> Duration {
    wait + (wait / 4).max(base).mul_f64(rand::random::<f64>())
}

/// Exponential backoff with full jitter: a random delay in
/// `[0, min(max, base · 2^(attempt-1))]`, so synchronized clients spread out.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(max);
    cap.mul_f64(rand::random::<f64>())
}

#[cfg(all(test, feature = "openai"))]
mod retry_after_tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn every_form_of_retry_after_is_read() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")]), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250)),
            "the finer one wins"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "86400")]), now),
            Some(MAX_RETRY_AFTER)
        );
        for junk in ["soon", "-1", "NaN"] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", junk)]), now),
                None,
                "{junk}"
            );
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_requested_wait_is_spread_but_never_shortened() {
        let wait = Duration::from_secs(2);
        let waits: Vec<Duration> = (0..64)
            .map(|_| jittered(wait, Duration::from_millis(100)))
            .collect();
        assert!(waits.iter().all(|w| *w >= wait && *w <= wait + wait / 4));
        let distinct: std::collections::BTreeSet<Duration> = waits.into_iter().collect();
        assert!(distinct.len() > 1, "the waits differ");
    }
}
