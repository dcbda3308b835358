use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LlmUsage {
    Table,
    Attempt,
    HttpStatus,
    ServedModel,
    ResponseId,
}

/// One ledger row per request sent to the provider, not per item: an item
/// retried after a 429 or a timeout leaves a row for every attempt (outcome
/// `retried` for all but the last), with the HTTP status it got, the model
/// the provider says it served and the provider's id for the request, so
/// that the ledger reconciles call for call with a gateway's log.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            integer(LlmUsage::Attempt).default(1).to_owned(),
            integer_null(LlmUsage::HttpStatus),
            string_len_null(LlmUsage::ServedModel, 128),
            string_len_null(LlmUsage::ResponseId, 128),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LlmUsage::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            LlmUsage::ResponseId,
            LlmUsage::ServedModel,
            LlmUsage::HttpStatus,
            LlmUsage::Attempt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LlmUsage::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
