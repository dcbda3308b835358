//! OpenAI-compatible provider on async-openai: works with OpenAI, Azure-style
//! gateways, vLLM and Ollama through their `/v1/chat/completions`.
//!
//! async-openai's own retry layer is replaced: its loop has no jitter and
//! does not retry timeouts. Here every attempt has a deadline, and 429, 5xx,
//! timeouts and connection errors are retried with jittered exponential
//! backoff, honouring `Retry-After`, up to `max_attempts`.

use std::time::{Duration, Instant};

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

use crate::LlmSettings;
use crate::provider::{
    Attempt, Completion, LlmError, LlmProvider, LlmRequest, LlmResponse, backoff, jittered,
};

/// A non-success HTTP answer, kept whole so the retry loop can read the
/// status, `Retry-After` and the provider's request id.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
struct HttpStatus {
    status: u16,
    retry_after: Option<Duration>,
    request_id: Option<String>,
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
            let headers = response.headers();
            let retry_after = crate::provider::retry_after(headers, std::time::SystemTime::now());
            let request_id = headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.unwrap_or_default();
            Err(OpenAIError::Boxed(Box::new(HttpStatus {
                status: status.as_u16(),
                retry_after,
                request_id,
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

    /// One request; on success, the response and the completion's id.
    async fn attempt(&self, request: &LlmRequest) -> Result<(LlmResponse, String), Failed> {
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
        let id = response.id;
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Failed {
                http_status: Some(200),
                response_id: Some(id.clone()),
                ..Failed::retry(LlmError::Malformed {
                    message: "empty completion".into(),
                })
            })?;
        let usage = response.usage.unwrap_or_default();
        let answer = LlmResponse {
            text,
            model: response.model,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
        };
        Ok((answer, id))
    }
}

/// A failed attempt: the error, whether another attempt may help, how long
/// the server asked us to wait, and what the ledger keeps of it.
struct Failed {
    error: LlmError,
    retryable: bool,
    retry_after: Option<Duration>,
    http_status: Option<u16>,
    response_id: Option<String>,
}

impl Failed {
    fn fatal(error: LlmError) -> Self {
        Self {
            retryable: false,
            ..Self::retry(error)
        }
    }
    fn retry(error: LlmError) -> Self {
        Self {
            error,
            retryable: true,
            retry_after: None,
            http_status: None,
            response_id: None,
        }
    }
}

/// A request that could not be built: retrying cannot help.
fn unbuildable(err: OpenAIError) -> Failed {
    Failed::fatal(LlmError::Malformed {
        message: err.to_string(),
    })
}

fn classify(err: OpenAIError) -> Failed {
    match err {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpStatus>() {
            Ok(http) => {
                let retryable = http.status == 429 || http.status >= 500;
                Failed {
                    error: LlmError::Status {
                        status: http.status,
                        message: http.body,
                    },
                    retryable,
                    retry_after: http.retry_after,
                    http_status: Some(http.status),
                    response_id: http.request_id,
                }
            }
            Err(other) => Failed::retry(LlmError::Connection {
                message: other.to_string(),
            }),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => Failed::retry(LlmError::Timeout),
        OpenAIError::Reqwest(e) if e.is_decode() || e.is_body() => {
            Failed::retry(LlmError::Malformed {
                message: e.to_string(),
            })
        }
        OpenAIError::Reqwest(e) => Failed::retry(LlmError::Connection {
            message: e.to_string(),
        }),
        // A 2xx whose body is not a completion.
        OpenAIError::JSONDeserialize(e, _) => Failed {
            http_status: Some(200),
            ..Failed::retry(LlmError::Malformed {
                message: e.to_string(),
            })
        },
        other => Failed::fatal(LlmError::Malformed {
            message: other.to_string(),
        }),
    }
}

impl LlmProvider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn default_model(&self) -> &str {
        &self.model
    }

    fn complete(&self, request: LlmRequest) -> BoxFuture<'_, Completion> {
        Box::pin(async move {
            let mut retried = Vec::new();
            loop {
                let started = Instant::now();
                let outcome = self.attempt(&request).await;
                let latency = started.elapsed();
                let failed = match outcome {
                    Ok((response, id)) => {
                        return Completion {
                            retried,
                            last: Attempt {
                                latency,
                                http_status: Some(200),
                                response_id: Some(id),
                            },
                            result: Ok(response),
                        };
                    }
                    Err(failed) => failed,
                };
                let attempt = Attempt {
                    latency,
                    http_status: failed.http_status,
                    response_id: failed.response_id,
                };
                let made = retried.len() as u32 + 1;
                if !failed.retryable || made >= self.max_attempts {
                    return Completion {
                        retried,
                        last: attempt,
                        result: Err(failed.error),
                    };
                }
                let wait = match failed.retry_after {
                    Some(asked) => jittered(asked, self.retry_base),
                    None => backoff(made, self.retry_base, self.retry_max),
                };
                tracing::debug!(attempt = made, ?wait, error = %failed.error, "retrying LLM call");
                metrics::counter!("curio_llm_retries_total", "provider" => "openai").increment(1);
                retried.push(attempt);
                tokio::time::sleep(wait).await;
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
