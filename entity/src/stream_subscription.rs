use sea_orm::entity::prelude::*;

/// A user's own choice to receive a stream's reports by mail (`subscribed`)
/// or not. Without a row the default holds: a user receives the reports of
/// the streams their organization reads (its own streams, the global ones
/// it subscribes to) and of their personal streams; a platform admin only
/// those they subscribe to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stream_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stream_id: i32,
    pub subscribed: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
