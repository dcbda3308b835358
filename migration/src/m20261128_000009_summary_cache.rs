use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SummaryCache {
    Table,
    CacheKey,
    Text,
    Model,
    PromptTokens,
    CompletionTokens,
    CreatedAt,
}

/// `summary_cache`: article summaries by the SHA-256 of what produced them
/// (model, parameters, rendered prompts), shared by every report and
/// organization, so that the same request is paid for once.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SummaryCache::Table)
                    // 64 hexadecimal digits.
                    .col(string_len(SummaryCache::CacheKey, 64).primary_key())
                    .col(text(SummaryCache::Text))
                    .col(string_len(SummaryCache::Model, 128))
                    .col(integer(SummaryCache::PromptTokens))
                    .col(integer(SummaryCache::CompletionTokens))
                    .col(utc(manager, SummaryCache::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SummaryCache::Table).to_owned())
            .await
    }
}
