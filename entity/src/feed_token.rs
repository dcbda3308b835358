use sea_orm::entity::prelude::*;

/// A user's secret URL for one stream's feed. Only the token's SHA-256
/// (hex) is stored; `token_version` is the user's at creation, so that what
/// revokes the user's sign-ins (a password change, a role change,
/// deactivation) revokes the feed token too.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub stream_id: i32,
    pub token_hash: String,
    pub token_version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
