//! The `[llm]` section of Curio's configuration: which provider, how it is
//! reached, and what a stream's `llm_config` may ask of it.

use secrecy::SecretString;
use serde::Deserialize;

/// Which LLM provider runs the summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI-compatible when an API key is set, offline otherwise.
    Auto,
    Offline,
    Openai,
}

/// LLM provider, limits, timeouts and retries.
// No container `#[serde(default)]`: `Default` reads the embedded file
// through this very impl. Curio's layers always hold every key.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    pub provider: ProviderKind,
    /// Base URL of an OpenAI-compatible API (`…/v1`).
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub temperature: f32,
    pub max_tokens: u32,
    /// Deadline of one HTTP attempt.
    pub request_timeout_secs: f64,
    pub connect_timeout_secs: f64,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with full jitter.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// Concurrent LLM calls for the whole process (provider rate limits).
    pub global_concurrency: usize,
    /// Concurrent calls of one stage of one request, unless the stream's
    /// `llm_config` says otherwise.
    pub default_max_concurrent: usize,
    /// Models a stream's `llm_config` may name besides `model` (the
    /// operator pays for them).
    pub allowed_models: Vec<String>,
    /// The most `max_tokens` a stream's `llm_config` may ask for.
    pub max_tokens_limit: u32,
    /// The most `max_concurrent` a stream's `llm_config` may ask for.
    pub max_concurrent_limit: usize,
    /// Previews one user may ask for per minute (each is an LLM call).
    pub previews_per_minute: u32,
}

impl LlmSettings {
    /// Whether a stream may ask for `model`: the configured one, or one of
    /// `allowed_models`.
    pub fn allows_model(&self, model: &str) -> bool {
        model == self.model || self.allowed_models.iter().any(|m| m == model)
    }

    /// The models a stream may ask for, as a sentence names them.
    pub fn allowed_model_names(&self) -> String {
        std::iter::once(&self.model)
            .chain(self.allowed_models.iter().filter(|m| **m != self.model))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The `[llm]` section of `config/default.toml`.
impl Default for LlmSettings {
    fn default() -> Self {
        curio_config::defaults("llm")
    }
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("max_attempts", &self.max_attempts)
            .field("global_concurrency", &self.global_concurrency)
            .finish_non_exhaustive()
    }
}
