use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult, JsonValue, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Stream configurations became typed values that refuse unknown fields.
/// Before, the service checked the fields it knew and stored the rest as
/// sent, and accepted a prompt type's entry that was not an object (it had
/// nothing to check in it). This rewrites every stored configuration into
/// the typed shape: known fields kept, unknown ones and non-object entries
/// dropped, as the service already ignored them when reading. Written
/// against JSON rather than the entity's types because a migration keeps
/// the shape of its day.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = Stored::find_by_statement(Statement::from_string(
            backend,
            "SELECT id, presentation_config, enrichment_config, llm_config FROM research_streams",
        ))
        .all(db)
        .await?;
        for row in rows {
            let normalized = Stored {
                id: row.id,
                presentation_config: presentation(&row.presentation_config),
                enrichment_config: enrichment(&row.enrichment_config),
                llm_config: llm(&row.llm_config),
            };
            if normalized == row {
                continue;
            }
            let update = Query::update()
                .table(Alias::new("research_streams"))
                .value(
                    Alias::new("presentation_config"),
                    normalized.presentation_config,
                )
                .value(
                    Alias::new("enrichment_config"),
                    normalized.enrichment_config,
                )
                .value(Alias::new("llm_config"), normalized.llm_config)
                .and_where(Expr::col(Alias::new("id")).eq(row.id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    /// The typed shape is a subset of the old one: nothing to undo.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[derive(Debug, PartialEq, FromQueryResult)]
struct Stored {
    id: i32,
    presentation_config: JsonValue,
    enrichment_config: JsonValue,
    llm_config: JsonValue,
}

const PROMPT_TYPES: [&str; 3] = ["article_summary", "category_summary", "executive_summary"];

/// The object's own fields among `keep`; anything else reads as `{}`.
fn only(value: &JsonValue, keep: &[&str]) -> serde_json::Map<String, JsonValue> {
    value
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(key, _)| keep.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn presentation(value: &JsonValue) -> JsonValue {
    let categories: Vec<JsonValue> = value
        .get("categories")
        .and_then(JsonValue::as_array)
        .map(|items| {
            items
                .iter()
                .map(|c| JsonValue::Object(only(c, &["id", "name", "topics"])))
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({ "categories": categories })
}

fn enrichment(value: &JsonValue) -> JsonValue {
    let prompts = value.get("prompts").cloned().unwrap_or(JsonValue::Null);
    let prompts: serde_json::Map<String, JsonValue> = only(&prompts, &PROMPT_TYPES)
        .into_iter()
        .filter(|(_, prompt)| prompt.is_object())
        .map(|(kind, prompt)| {
            let parts = only(&prompt, &["system_prompt", "user_prompt_template"]);
            (kind, JsonValue::Object(parts))
        })
        .collect();
    serde_json::json!({ "prompts": prompts })
}

fn llm(value: &JsonValue) -> JsonValue {
    let stages: serde_json::Map<String, JsonValue> = only(value, &PROMPT_TYPES)
        .into_iter()
        .filter(|(_, settings)| settings.is_object())
        .map(|(kind, settings)| {
            let known = only(
                &settings,
                &["model", "temperature", "max_tokens", "max_concurrent"],
            );
            (kind, JsonValue::Object(known))
        })
        .collect();
    JsonValue::Object(stages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_configurations_keep_their_known_fields_only() {
        assert_eq!(
            presentation(
                &json!({"categories": [{"id": "a", "name": "A", "colour": "red"}], "layout": 1})
            ),
            json!({"categories": [{"id": "a", "name": "A"}]})
        );
        assert_eq!(presentation(&json!(null)), json!({"categories": []}));
        assert_eq!(
            enrichment(
                &json!({"prompts": {"article_summary": 5, "executive_summary": {"system_prompt": "s", "x": 1}}})
            ),
            json!({"prompts": {"executive_summary": {"system_prompt": "s"}}})
        );
        assert_eq!(
            llm(&json!({"article_summary": {"model": "m", "top_p": 1}})),
            json!({"article_summary": {"model": "m"}})
        );
        let typed = json!({"categories": [{"id": "a", "name": "A", "topics": ["t"]}]});
        assert_eq!(presentation(&typed), typed, "a typed value is unchanged");
    }
}
