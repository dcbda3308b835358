use sea_orm::entity::prelude::*;

use crate::enums::UserRole;

/// A person who signs in. `email` is stored trimmed and lowercased, so the
/// unique index `uq_users_email` is case-insensitive on every backend.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub full_name: Option<String>,
    pub role: UserRole,
    pub org_id: Option<i32>,
    pub is_active: bool,
    /// Bumped when a password changes or is reset, on deactivation and on a
    /// role change: tokens issued under an older version are refused.
    pub token_version: i32,
    pub last_login_at: Option<DateTimeUtc>,
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
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
