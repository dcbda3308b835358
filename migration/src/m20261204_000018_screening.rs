use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Candidates {
    Table,
    Relevance,
    Rationale,
    ScreenedAt,
}

#[derive(DeriveIden)]
enum RetrievalRuns {
    Table,
    ScreenedOut,
}

/// LLM screening: each candidate's relevance (0 to 1) and the model's
/// rationale, with when it was screened (NULL: not yet), and per retrieval
/// run the candidates it screened out.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        let add = |column: ColumnDef| {
            Table::alter()
                .table(Candidates::Table)
                .add_column(column)
                .to_owned()
        };
        manager
            .alter_table(add(double_null(Candidates::Relevance)))
            .await?;
        manager
            .alter_table(add(text_null(Candidates::Rationale)))
            .await?;
        manager
            .alter_table(add(utc_null(manager, Candidates::ScreenedAt)))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RetrievalRuns::Table)
                    .add_column(integer(RetrievalRuns::ScreenedOut).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RetrievalRuns::Table)
                    .drop_column(RetrievalRuns::ScreenedOut)
                    .to_owned(),
            )
            .await?;
        for column in [
            Candidates::ScreenedAt,
            Candidates::Rationale,
            Candidates::Relevance,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Candidates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
