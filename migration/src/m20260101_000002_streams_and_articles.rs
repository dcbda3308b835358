use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc};
use crate::m20260101_000001_accounts::{Organizations, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ResearchStreams {
    Table,
    Id,
    StreamName,
    Purpose,
    Scope,
    OrgId,
    OwnerUserId,
    PresentationConfig,
    EnrichmentConfig,
    LlmConfig,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum OrgStreamSubscriptions {
    Table,
    OrgId,
    StreamId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Articles {
    Table,
    Id,
    Title,
    Abstract,
    Authors,
    Journal,
    PubYear,
    Doi,
    Pmid,
    Url,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // Long on purpose: the tables' definitions, each read as one block.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResearchStreams::Table)
                    .col(pk_auto(ResearchStreams::Id))
                    .col(string_len(ResearchStreams::StreamName, 200))
                    .col(text(ResearchStreams::Purpose))
                    .col(enum_string(ResearchStreams::Scope))
                    .col(integer_null(ResearchStreams::OrgId))
                    .col(integer_null(ResearchStreams::OwnerUserId))
                    .col(json_binary(ResearchStreams::PresentationConfig))
                    .col(json_binary(ResearchStreams::EnrichmentConfig))
                    .col(json_binary(ResearchStreams::LlmConfig))
                    .col(boolean(ResearchStreams::IsActive).default(true))
                    .col(utc(manager, ResearchStreams::CreatedAt))
                    .col(utc(manager, ResearchStreams::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_streams_org")
                            .from(ResearchStreams::Table, ResearchStreams::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_streams_owner")
                            .from(ResearchStreams::Table, ResearchStreams::OwnerUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_streams_org", ResearchStreams::OrgId),
            ("idx_streams_owner", ResearchStreams::OwnerUserId),
            ("idx_streams_scope", ResearchStreams::Scope),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ResearchStreams::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrgStreamSubscriptions::Table)
                    .col(integer(OrgStreamSubscriptions::OrgId))
                    .col(integer(OrgStreamSubscriptions::StreamId))
                    .col(utc(manager, OrgStreamSubscriptions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrgStreamSubscriptions::OrgId)
                            .col(OrgStreamSubscriptions::StreamId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_org")
                            .from(OrgStreamSubscriptions::Table, OrgStreamSubscriptions::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_stream")
                            .from(
                                OrgStreamSubscriptions::Table,
                                OrgStreamSubscriptions::StreamId,
                            )
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_stream")
                    .table(OrgStreamSubscriptions::Table)
                    .col(OrgStreamSubscriptions::StreamId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .col(pk_auto(Articles::Id))
                    .col(text(Articles::Title))
                    .col(text_null(Articles::Abstract))
                    .col(json_binary(Articles::Authors))
                    .col(string_len_null(Articles::Journal, 500))
                    .col(integer_null(Articles::PubYear))
                    // Natural keys: unique where present (NULLs never collide).
                    .col(string_len_null(Articles::Doi, 255))
                    .col(string_len_null(Articles::Pmid, 32))
                    .col(string_len_null(Articles::Url, 2048))
                    .col(utc(manager, Articles::CreatedAt))
                    .col(utc(manager, Articles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("uq_articles_doi", Articles::Doi),
            ("uq_articles_pmid", Articles::Pmid),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Articles::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Articles::Table.into_iden(),
            OrgStreamSubscriptions::Table.into_iden(),
            ResearchStreams::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
