use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub is_active: bool,
    /// LLM calls allowed per UTC calendar month; no limit when `None`.
    pub monthly_llm_calls: Option<i32>,
    /// Prompt and completion tokens allowed per UTC calendar month.
    pub monthly_llm_tokens: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user::Entity")]
    User,
    #[sea_orm(has_many = "super::research_stream::Entity")]
    ResearchStream,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::research_stream::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResearchStream.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
