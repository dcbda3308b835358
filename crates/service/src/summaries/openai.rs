//! OpenAI-compatible provider on async-openai: works with OpenAI, Azure-style
//! gateways, vLLM and Ollama through their `/v1/chat/completions`.
//!
//! async-openai's own retry layer is replaced: its loop has no jitter and
//! does not retry timeouts. Here every attempt has a deadline, and 429, 5xx,
//! timeouts and connection errors are retried with jittered exponential
//! backoff, honouring `Retry-After`, up to `max_attempts`.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs,
};
use futures::future::BoxFuture;
use secrecy::ExposeSecret;

use super::provider::{LlmError, LlmProvider, LlmRequest, LlmResponse, backoff, jittered};
use crate::LlmSettings;

/// A non-success HTTP answer, kept whole so the retry loop can read the
/// status and `Retry-After`.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
struct HttpStatus {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

/// A tower service that sends one request and turns error statuses into
/// [`HttpStatus`] errors (async-openai would otherwise drop the headers).
#[derive(Clone)]
struct StatusAware(ReqwestService);

impl tower::Service<HttpRequestFactory> for StatusAware {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequestFactory) -> Self::Future {
        let sent = self.0.call(request);
        Box::pin(async move {
            let response = sent.await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after =
                super::provider::retry_after(response.headers(), std::time::SystemTime::now());
            let body = response.text().await.unwrap_or_default();
            Err(OpenAIError::Boxed(Box::new(HttpStatus {
                status: status.as_u16(),
                retry_after,
                body: body.chars().take(500).collect(),
            })))
        })
    }
}

/// The OpenAI-compatible provider.
pub struct OpenAiProvider {
    client: Client<OpenAIConfig>,
    model: String,
    max_attempts: u32,
    retry_base: Duration,
    retry_max: Duration,
}

impl OpenAiProvider {
    /// A provider for the configured base URL, key and timeouts.
    pub fn new(settings: &LlmSettings) -> Result<Self, reqwest::Error> {
        // reqwest comes without a crypto provider of its own (see the
        // workspace manifest): TLS uses the process default, ring, the one
        // sqlx uses too. Installing it twice is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(settings.connect_timeout_secs))
            .timeout(Duration::from_secs_f64(settings.request_timeout_secs))
            .pool_max_idle_per_host(256)
            .build()?;
        // Base URL and key are always explicit: the library's defaults read
        // OPENAI_* variables from the environment.
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.trim_end_matches('/'))
            .with_api_key(
                settings
                    .api_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
            );
        let client = Client::with_config(config)
            .with_http_client(http.clone())
            .with_http_service(StatusAware(ReqwestService::new(http)));
        Ok(Self {
            client,
            model: settings.model.clone(),
            max_attempts: settings.max_attempts.max(1),
            retry_base: Duration::from_millis(settings.retry_base_ms),
            retry_max: Duration::from_millis(settings.retry_max_ms),
        })
    }

    async fn attempt(&self, request: &LlmRequest) -> Result<LlmResponse, Attempt> {
        let body = CreateChatCompletionRequestArgs::default()
            .model(request.model.clone())
            .temperature(request.temperature)
            .max_completion_tokens(request.max_tokens)
            .messages([
                ChatCompletionRequestSystemMessageArgs::default()
                    .content(request.system.clone())
                    .build()
                    .map_err(unbuildable)?
                    .into(),
                ChatCompletionRequestUserMessageArgs::default()
                    .content(request.user.clone())
                    .build()
                    .map_err(unbuildable)?
                    .into(),
            ])
            .build()
            .map_err(unbuildable)?;
        let response = self.client.chat().create(body).await.map_err(classify)?;
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Attempt::retry(
                    LlmError::Malformed {
                        message: "empty completion".into(),
                        attempts: 0,
                    },
                    None,
                )
            })?;
        let usage = response.usage.unwrap_or_default();
        Ok(LlmResponse {
            text,
            model: response.model,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            attempts: 0,
        })
    }
}

/// The outcome of a failed attempt: the error, whether another attempt may
/// help, and how long the server asked us to wait.
struct Attempt {
    error: LlmError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn fatal(error: LlmError) -> Self {
        Self {
            error,
            retryable: false,
            retry_after: None,
        }
    }
    fn retry(error: LlmError, retry_after: Option<Duration>) -> Self {
        Self {
            error,
            retryable: true,
            retry_after,
        }
    }
}

/// A request that could not be built: retrying cannot help.
fn unbuildable(err: OpenAIError) -> Attempt {
    Attempt::fatal(LlmError::Malformed {
        message: err.to_string(),
        attempts: 0,
    })
}

fn classify(err: OpenAIError) -> Attempt {
    match err {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpStatus>() {
            Ok(http) => {
                let error = LlmError::Status {
                    status: http.status,
                    message: http.body.clone(),
                    attempts: 0,
                };
                if http.status == 429 || http.status >= 500 {
                    Attempt::retry(error, http.retry_after)
                } else {
                    Attempt::fatal(error)
                }
            }
            Err(other) => Attempt::retry(
                LlmError::Connection {
                    message: other.to_string(),
                    attempts: 0,
                },
                None,
            ),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => {
            Attempt::retry(LlmError::Timeout { attempts: 0 }, None)
        }
        OpenAIError::Reqwest(e) if e.is_decode() || e.is_body() => Attempt::retry(
            LlmError::Malformed {
                message: e.to_string(),
                attempts: 0,
            },
            None,
        ),
        OpenAIError::Reqwest(e) => Attempt::retry(
            LlmError::Connection {
                message: e.to_string(),
                attempts: 0,
            },
            None,
        ),
        OpenAIError::JSONDeserialize(e, _) => Attempt::retry(
            LlmError::Malformed {
                message: e.to_string(),
                attempts: 0,
            },
            None,
        ),
        other => Attempt::fatal(LlmError::Malformed {
            message: other.to_string(),
            attempts: 0,
        }),
    }
}

fn with_attempts(error: LlmError, n: u32) -> LlmError {
    match error {
        LlmError::Timeout { .. } => LlmError::Timeout { attempts: n },
        LlmError::Status {
            status, message, ..
        } => LlmError::Status {
            status,
            message,
            attempts: n,
        },
        LlmError::Connection { message, .. } => LlmError::Connection {
            message,
            attempts: n,
        },
        LlmError::Malformed { message, .. } => LlmError::Malformed {
            message,
            attempts: n,
        },
    }
}

impl LlmProvider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn default_model(&self) -> &str {
        &self.model
    }

    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Result<LlmResponse, LlmError>> {
        Box::pin(async move {
            let mut attempt = 1;
            loop {
                match self.attempt(&request).await {
                    Ok(mut response) => {
                        response.attempts = attempt;
                        return Ok(response);
                    }
                    Err(failed) if failed.retryable && attempt < self.max_attempts => {
                        let wait = match failed.retry_after {
                            Some(asked) => jittered(asked, self.retry_base),
                            None => backoff(attempt, self.retry_base, self.retry_max),
                        };
                        tracing::debug!(attempt, ?wait, error = %failed.error, "retrying LLM call");
                        metrics::counter!("curio_llm_retries_total", "provider" => "openai")
                            .increment(1);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    Err(failed) => return Err(with_attempts(failed.error, attempt)),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run alone (`cargo test -p service --lib`), reqwest has no crypto
    /// provider of its own: building the client proves the process default
    /// is installed first.
    #[test]
    fn the_http_client_builds_on_the_process_crypto_provider() {
        let settings = LlmSettings {
            base_url: "https://llm.example/v1".into(),
            api_key: Some("k".to_owned().into()),
            ..LlmSettings::default()
        };
        assert!(OpenAiProvider::new(&settings).is_ok());
    }
}
