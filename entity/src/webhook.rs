use sea_orm::entity::prelude::*;

/// An organization's endpoint for events (`report.approved`,
/// `report.reopened`, `retrieval.completed`), each request signed per the
/// Standard Webhooks specification with `secret` (`whsec_…`, shown once at
/// creation; kept, as signing needs it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub org_id: i32,
    pub url: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub events: crate::string_list::StringList,
    pub secret: String,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
