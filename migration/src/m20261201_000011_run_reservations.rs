use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SummaryRuns {
    Table,
    ReservedCalls,
    ReservedTokens,
}

/// What a queued or running summary run may still spend of its
/// organization's monthly budget: its estimate when it was queued. While
/// the run is active, the part it has not spent yet counts as spent, so
/// concurrent requests cannot all fit under the same remaining budget.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(SummaryRuns::Table)
                    .add_column(integer(SummaryRuns::ReservedCalls).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SummaryRuns::Table)
                    .add_column(big_integer(SummaryRuns::ReservedTokens).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SummaryRuns::ReservedTokens, SummaryRuns::ReservedCalls] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SummaryRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
