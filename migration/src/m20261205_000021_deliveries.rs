use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};
use crate::m20260101_000001_accounts::Users;
use crate::m20260101_000002_streams_and_articles::ResearchStreams;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StreamSubscriptions {
    Table,
    UserId,
    StreamId,
    Subscribed,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    ReportId,
    ReportVersion,
    StreamId,
    Channel,
    UserId,
    Recipient,
    Event,
    Payload,
    Changes,
    Status,
    Attempt,
    NextAttemptAt,
    LastError,
    LeaseOwner,
    LeaseExpiresAt,
    ActiveReportId,
    SentAt,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    OrgId,
    Url,
    Events,
    Secret,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
}

/// `webhooks`: an organization's endpoints, signed per Standard Webhooks;
/// `stream_subscriptions`: a user's own choice to receive a stream's
/// reports or not (without a row, the default applies), and `deliveries`:
/// the outbox, one row per (report version, channel, recipient), written in
/// the approval's transaction and sent by any process's workers under the
/// lease every durable job has.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StreamSubscriptions::Table)
                    .col(integer(StreamSubscriptions::UserId))
                    .col(integer(StreamSubscriptions::StreamId))
                    .col(boolean(StreamSubscriptions::Subscribed))
                    .col(utc(manager, StreamSubscriptions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(StreamSubscriptions::UserId)
                            .col(StreamSubscriptions::StreamId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stream_subscriptions_user")
                            .from(StreamSubscriptions::Table, StreamSubscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stream_subscriptions_stream")
                            .from(StreamSubscriptions::Table, StreamSubscriptions::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(pk_auto(Deliveries::Id))
                    .col(integer_null(Deliveries::ReportId))
                    .col(integer(Deliveries::ReportVersion))
                    .col(integer(Deliveries::StreamId))
                    .col(enum_string(Deliveries::Channel))
                    .col(integer_null(Deliveries::UserId))
                    .col(string_len(Deliveries::Recipient, 320))
                    .col(string_len_null(Deliveries::Event, 64))
                    .col(text_null(Deliveries::Payload))
                    .col(text_null(Deliveries::Changes))
                    .col(enum_string(Deliveries::Status))
                    .col(integer(Deliveries::Attempt).default(0))
                    .col(utc(manager, Deliveries::NextAttemptAt))
                    .col(text_null(Deliveries::LastError))
                    .col(string_len_null(Deliveries::LeaseOwner, 64))
                    .col(utc_null(manager, Deliveries::LeaseExpiresAt))
                    .col(integer_null(Deliveries::ActiveReportId))
                    .col(utc_null(manager, Deliveries::SentAt))
                    .col(utc(manager, Deliveries::CreatedAt))
                    .col(utc_null(manager, Deliveries::StartedAt))
                    .col(utc_null(manager, Deliveries::FinishedAt))
                    .col(utc(manager, Deliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_report")
                            .from(Deliveries::Table, Deliveries::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_user")
                            .from(Deliveries::Table, Deliveries::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(pk_auto(Webhooks::Id))
                    .col(integer(Webhooks::OrgId))
                    .col(string_len(Webhooks::Url, 2048))
                    .col(json_binary(Webhooks::Events))
                    .col(string_len(Webhooks::Secret, 128))
                    .col(boolean(Webhooks::Enabled).default(true))
                    .col(utc(manager, Webhooks::CreatedAt))
                    .col(utc(manager, Webhooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhooks_org")
                            .from(Webhooks::Table, Webhooks::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhooks_org")
                    .table(Webhooks::Table)
                    .col(Webhooks::OrgId)
                    .to_owned(),
            )
            .await?;
        // One delivery per report version, channel and recipient, however
        // often an approval is retried.
        manager
            .create_index(
                Index::create()
                    .name("ux_deliveries_version_recipient")
                    .table(Deliveries::Table)
                    .col(Deliveries::ReportId)
                    .col(Deliveries::ReportVersion)
                    .col(Deliveries::Channel)
                    .col(Deliveries::Recipient)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // What the workers look for: due deliveries by status.
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_active_report")
                    .table(Deliveries::Table)
                    .col(Deliveries::ActiveReportId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhooks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StreamSubscriptions::Table).to_owned())
            .await
    }
}
