use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    Key,
    Failures,
    LastFailureAt,
    BlockedUntil,
}

/// `login_throttles`: failed sign-ins per account and per client address,
/// in the database so that every process behind a load balancer counts the
/// same failures.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottles::Table)
                    // `account:` + an email of at most 320 characters, or
                    // `address:` + an IP address or IPv6 prefix.
                    .col(string_len(LoginThrottles::Key, 340).primary_key())
                    .col(integer(LoginThrottles::Failures))
                    .col(utc(manager, LoginThrottles::LastFailureAt))
                    .col(utc_null(manager, LoginThrottles::BlockedUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_throttles_last_failure")
                    .table(LoginThrottles::Table)
                    .col(LoginThrottles::LastFailureAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginThrottles::Table).to_owned())
            .await
    }
}
