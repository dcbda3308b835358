use sea_orm::entity::prelude::*;

use crate::enums::StreamScope;
use crate::stream_config::{EnrichmentConfig, LlmConfig, PresentationConfig, RetrievalConfig};

/// A research stream: what it watches for (`purpose`, `scope`), how its
/// reports are presented (`presentation_config`), which prompts and models
/// summarize them (`enrichment_config`, `llm_config`), how candidates reach
/// it and are screened (`retrieval_config`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "research_streams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub stream_name: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    pub scope: StreamScope,
    pub org_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub presentation_config: PresentationConfig,
    #[sea_orm(column_type = "JsonBinary")]
    pub enrichment_config: EnrichmentConfig,
    #[sea_orm(column_type = "JsonBinary")]
    pub llm_config: LlmConfig,
    #[sea_orm(column_type = "JsonBinary")]
    pub retrieval_config: RetrievalConfig,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerUserId",
        to = "super::user::Column::Id"
    )]
    Owner,
    #[sea_orm(has_many = "super::report::Entity")]
    Report,
    #[sea_orm(has_many = "super::candidate::Entity")]
    Candidate,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
