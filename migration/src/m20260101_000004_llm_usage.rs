use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LlmUsage {
    Table,
    Id,
    OrgId,
    ReportId,
    Stage,
    Provider,
    Model,
    PromptTokens,
    CompletionTokens,
    LatencyMs,
    Outcome,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A ledger: rows outlive the reports and organizations they mention,
        // so there are no foreign keys to cascade billing history away.
        manager
            .create_table(
                Table::create()
                    .table(LlmUsage::Table)
                    .col(pk_auto(LlmUsage::Id))
                    .col(integer_null(LlmUsage::OrgId))
                    .col(integer_null(LlmUsage::ReportId))
                    .col(enum_string(LlmUsage::Stage))
                    .col(string_len(LlmUsage::Provider, 64))
                    .col(string_len(LlmUsage::Model, 128))
                    .col(integer(LlmUsage::PromptTokens))
                    .col(integer(LlmUsage::CompletionTokens))
                    .col(integer(LlmUsage::LatencyMs))
                    .col(enum_string(LlmUsage::Outcome))
                    .col(utc(manager, LlmUsage::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_org_created")
                    .table(LlmUsage::Table)
                    .col(LlmUsage::OrgId)
                    .col(LlmUsage::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LlmUsage::Table).to_owned())
            .await
    }
}
