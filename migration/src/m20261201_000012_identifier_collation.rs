use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// DOIs and PMIDs compared byte for byte on MySQL/MariaDB, as PostgreSQL
/// and SQLite compare them. Under the tables' `utf8mb4_general_ci` every
/// character outside the Basic Multilingual Plane (an emoji, a CJK
/// extension) equals every other, so two different identifiers collided in
/// the unique indexes and a bulk upsert updated nothing. Identifiers are
/// stored normalized (DOIs lowercase), so exact comparison is the right one.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "utf8mb4_bin").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "utf8mb4_general_ci").await
    }
}

async fn alter(manager: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE articles \
             MODIFY doi VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {collation} NULL, \
             MODIFY pmid VARCHAR(32) CHARACTER SET utf8mb4 COLLATE {collation} NULL"
        ))
        .await?;
    Ok(())
}
