use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Candidates {
    Table,
    VersionOf,
}

/// `candidates.version_of`: the candidate of the same stream that is
/// another version of the same work (a preprint and its published paper).
/// No foreign key: SQLite cannot add one to a table that exists; both go
/// with their stream.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Candidates::Table)
                    .add_column(integer_null(Candidates::VersionOf))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Candidates::Table)
                    .drop_column(Candidates::VersionOf)
                    .to_owned(),
            )
            .await
    }
}
