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
}

/// A completion and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmResponse {
    pub text: String,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// HTTP attempts made, the successful one included.
    pub attempts: u32,
}

/// Why a call failed, after any retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the provider did not answer in time")]
    Timeout { attempts: u32 },
    #[error("the provider answered HTTP {status}: {message}")]
    Status {
        status: u16,
        message: String,
        attempts: u32,
    },
    #[error("the provider could not be reached: {message}")]
    Connection { message: String, attempts: u32 },
    #[error("the provider's answer was unusable: {message}")]
    Malformed { message: String, attempts: u32 },
}

impl LlmError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, LlmError::Timeout { .. })
    }

    /// What clients are told: a short category, never the provider's own
    /// words or address (those go to the log).
    pub fn category(&self) -> &'static str {
        match self {
            LlmError::Timeout { .. } => "timeout",
            LlmError::Status { status: 429, .. } => "rate_limited",
            LlmError::Status { .. } | LlmError::Connection { .. } => "provider_error",
            LlmError::Malformed { .. } => "invalid_response",
        }
    }

    /// HTTP attempts made.
    pub fn attempts(&self) -> u32 {
        match self {
            LlmError::Timeout { attempts }
            | LlmError::Status { attempts, .. }
            | LlmError::Connection { attempts, .. }
            | LlmError::Malformed { attempts, .. } => *attempts,
        }
    }
}

/// A chat-completion provider. Implementations retry what is worth retrying
/// and bound every call in time.
pub trait LlmProvider: Send + Sync {
    /// Short name reported to clients and in usage rows (`openai`, `offline`).
    fn name(&self) -> &'static str;

    /// The model used when a stream does not name one.
    fn default_model(&self) -> &str;

    /// Produces one completion.
    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Result<LlmResponse, LlmError>>;
}

/// Exponential backoff with full jitter: a random delay in
/// `[0, min(max, base · 2^(attempt-1))]`, so synchronized clients spread out.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(max);
    cap.mul_f64(rand::random::<f64>())
}
