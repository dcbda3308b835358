use sea_orm::entity::prelude::*;

/// An article summary an LLM wrote, by what produced it: the key is the
/// SHA-256 of the model, its parameters and the rendered prompts (which
/// hold the article's text), so the same request is never paid for twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "summary_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cache_key: String,
    pub text: String,
    pub model: String,
    /// What the original call cost, for estimates.
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
