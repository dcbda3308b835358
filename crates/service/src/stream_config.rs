//! A stream's three configurations as types, read once from the stored JSON
//! (checked field by field when the stream was saved, see
//! [`crate::streams`]), so that no reader indexes JSON by hand.

use std::collections::BTreeMap;

use repository::streams::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::summaries::templates::PromptType;

/// A category of a stream's presentation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Category {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub topics: Vec<String>,
}

/// `presentation_config`: the categories a report's articles are filed under.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Presentation {
    #[serde(default)]
    pub categories: Vec<Category>,
}

impl Presentation {
    /// A stream's presentation alone, for readers that need nothing else.
    pub fn of(stream: &Stream) -> Self {
        read(&stream.presentation_config)
    }
}

/// One prompt type's own prompts (`enrichment_config.prompts.<type>`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PromptOverride {
    pub system_prompt: Option<String>,
    pub user_prompt_template: Option<String>,
}

/// `enrichment_config`: prompts by prompt type.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Enrichment {
    #[serde(default)]
    pub prompts: BTreeMap<String, PromptOverride>,
}

/// One prompt type's LLM settings (`llm_config.<type>`); unset ones come
/// from the service's settings.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StageLlm {
    pub model: Option<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_concurrent: Option<usize>,
}

/// A stream's configuration.
#[derive(Debug, Clone, Default)]
pub struct StreamConfig {
    pub presentation: Presentation,
    pub enrichment: Enrichment,
    /// `llm_config`: settings by prompt type.
    pub llm: BTreeMap<String, StageLlm>,
}

impl StreamConfig {
    /// Reads a stream's configuration. A part stored before a rule existed
    /// that no longer reads reads as its defaults, as an absent one does.
    pub fn of(stream: &Stream) -> Self {
        Self {
            presentation: Presentation::of(stream),
            enrichment: read(&stream.enrichment_config),
            llm: read(&stream.llm_config),
        }
    }

    /// The stream's own prompts for `prompt`, if any.
    pub fn prompts(&self, prompt: PromptType) -> Option<&PromptOverride> {
        self.enrichment.prompts.get(prompt.as_str())
    }

    /// The stream's LLM settings for `prompt`, if any.
    pub fn llm(&self, prompt: PromptType) -> Option<&StageLlm> {
        self.llm.get(prompt.as_str())
    }
}

fn read<T: DeserializeOwned + Default>(value: &Json) -> T {
    T::deserialize(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stream(presentation: Json, enrichment: Json, llm: Json) -> Stream {
        Stream {
            id: 1,
            stream_name: "s".into(),
            purpose: "p".into(),
            scope: entity::enums::StreamScope::Personal,
            org_id: None,
            owner_user_id: None,
            presentation_config: presentation,
            enrichment_config: enrichment,
            llm_config: llm,
            is_active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn stored_configurations_read_as_types_and_absent_parts_as_defaults() {
        let config = StreamConfig::of(&stream(
            json!({"categories": [{"id": "a", "name": "A", "topics": ["x"]}, {"id": "b"}]}),
            json!({"prompts": {"article_summary": {"system_prompt": "Be brief."}}}),
            json!({"executive_summary": {"model": "m", "temperature": 0.5, "max_tokens": 900}}),
        ));
        assert_eq!(config.presentation.categories.len(), 2);
        assert_eq!(config.presentation.categories[1].name, "");
        let prompts = config.prompts(PromptType::ArticleSummary).unwrap();
        assert_eq!(prompts.system_prompt.as_deref(), Some("Be brief."));
        assert!(prompts.user_prompt_template.is_none());
        assert!(config.prompts(PromptType::CategorySummary).is_none());
        let llm = config.llm(PromptType::ExecutiveSummary).unwrap();
        assert_eq!(
            (llm.model.as_deref(), llm.temperature, llm.max_tokens),
            (Some("m"), Some(0.5), Some(900))
        );
        assert!(llm.max_concurrent.is_none());

        let empty = StreamConfig::of(&stream(
            Json::Null,
            json!({}),
            json!({"article_summary": 7}),
        ));
        assert!(empty.presentation.categories.is_empty());
        assert!(empty.enrichment.prompts.is_empty());
        assert!(
            empty.llm.is_empty(),
            "a part that does not read reads as its defaults"
        );
    }
}
