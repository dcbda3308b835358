use sea_orm::entity::prelude::*;

/// An organization's subscription to a global stream.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_stream_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream_id: i32,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::research_stream::Entity",
        from = "Column::StreamId",
        to = "super::research_stream::Column::Id"
    )]
    ResearchStream,
}

impl ActiveModelBehavior for ActiveModel {}
