use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc;
use crate::m20260101_000001_accounts::Users;
use crate::m20260101_000002_streams_and_articles::ResearchStreams;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedTokens {
    Table,
    Id,
    UserId,
    StreamId,
    TokenHash,
    TokenVersion,
    CreatedAt,
}

/// `feed_tokens`: a user's secret URL for one stream's feed, for feed
/// readers that cannot sign in. Only the token's SHA-256 is kept; the
/// user's token version at creation revokes it as it revokes sign-ins.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedTokens::Table)
                    .col(pk_auto(FeedTokens::Id))
                    .col(integer(FeedTokens::UserId))
                    .col(integer(FeedTokens::StreamId))
                    .col(string_len(FeedTokens::TokenHash, 64))
                    .col(integer(FeedTokens::TokenVersion))
                    .col(utc(manager, FeedTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feed_tokens_user")
                            .from(FeedTokens::Table, FeedTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feed_tokens_stream")
                            .from(FeedTokens::Table, FeedTokens::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_feed_tokens_hash")
                    .table(FeedTokens::Table)
                    .col(FeedTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_feed_tokens_user_stream")
                    .table(FeedTokens::Table)
                    .col(FeedTokens::UserId)
                    .col(FeedTokens::StreamId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FeedTokens::Table).to_owned())
            .await
    }
}
