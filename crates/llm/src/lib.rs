//! Curio's LLM adapters, apart from the business rules that use them.
//!
//! [`LlmProvider`] is the one interface the service crate knows: one chat
//! completion per call, with every request it took and what it cost. Two
//! implementations ship: [`openai::OpenAiProvider`] (any OpenAI-compatible
//! `/v1/chat/completions`: OpenAI, Azure-style gateways, vLLM, Ollama;
//! behind the `openai` feature, which brings the HTTP/TLS stack) and
//! [`offline::OfflineProvider`] (extractive, deterministic, no network).
//! [`LlmSettings`] is the `[llm]` section of the configuration;
//! [`from_settings`] builds the provider it names.

pub mod offline;
#[cfg(feature = "openai")]
pub mod openai;
pub mod provider;
pub mod settings;

pub use provider::{Attempt, Completion, LlmError, LlmProvider, LlmRequest, LlmResponse, Task};
pub use settings::{LlmSettings, ProviderKind};

/// Why the configured provider could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `llm.provider` names a client this build leaves out.
    #[error(
        "llm.provider asks for the OpenAI-compatible client, which this build leaves out \
         (the llm crate's `openai` feature)"
    )]
    NotBuilt,
    /// The HTTP client could not be built (TLS roots, proxy settings).
    #[error("building the LLM provider's HTTP client failed")]
    Client(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Builds the configured provider: OpenAI-compatible when chosen (or when a
/// key is set under `auto`), the offline summarizer otherwise.
pub fn from_settings(settings: &LlmSettings) -> Result<Box<dyn LlmProvider>, BuildError> {
    let online = match settings.provider {
        ProviderKind::Openai => true,
        ProviderKind::Offline => false,
        ProviderKind::Auto => settings.api_key.is_some(),
    };
    if !online {
        return Ok(Box::new(offline::OfflineProvider));
    }
    #[cfg(feature = "openai")]
    return Ok(Box::new(
        openai::OpenAiProvider::new(settings).map_err(|e| BuildError::Client(Box::new(e)))?,
    ));
    #[cfg(not(feature = "openai"))]
    Err(BuildError::NotBuilt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_summarizes_offline_without_a_key_and_online_with_one() {
        let auto = LlmSettings::default();
        assert_eq!(from_settings(&auto).unwrap().name(), "offline");
        let keyed = LlmSettings {
            api_key: Some("sk-test".to_owned().into()),
            ..LlmSettings::default()
        };
        // A key asks for the online client, which only a build with it has.
        #[cfg(feature = "openai")]
        assert_eq!(from_settings(&keyed).unwrap().name(), "openai");
        #[cfg(not(feature = "openai"))]
        assert!(matches!(from_settings(&keyed), Err(BuildError::NotBuilt)));
        let offline = LlmSettings {
            provider: ProviderKind::Offline,
            ..keyed
        };
        assert_eq!(from_settings(&offline).unwrap().name(), "offline");
    }
}
