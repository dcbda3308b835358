use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Name,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    FullName,
    Role,
    OrgId,
    IsActive,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_auto(Organizations::Id))
                    .col(string_len(Organizations::Name, 200))
                    .col(boolean(Organizations::IsActive).default(true))
                    .col(utc(manager, Organizations::CreatedAt))
                    .col(utc(manager, Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_organizations_name")
                    .table(Organizations::Table)
                    .col(Organizations::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    // Stored lowercased by the application, so this unique
                    // index is the case-insensitive uniqueness on every backend.
                    .col(string_len(Users::Email, 320))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len_null(Users::FullName, 200))
                    .col(enum_string(Users::Role))
                    .col(integer_null(Users::OrgId))
                    .col(boolean(Users::IsActive).default(true))
                    .col(utc_null(manager, Users::LastLoginAt))
                    .col(utc(manager, Users::CreatedAt))
                    .col(utc(manager, Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_org")
                            .from(Users::Table, Users::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            // An organization with users cannot be deleted.
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_org")
                    .table(Users::Table)
                    .col(Users::OrgId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organizations::Table).to_owned())
            .await
    }
}
