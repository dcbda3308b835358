use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};
use crate::m20260101_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RetrievalRuns {
    Table,
    Id,
    StreamId,
    OrgId,
    RequestedBy,
    ActiveStreamId,
    Trigger,
    DueAt,
    Status,
    WindowFrom,
    WindowTo,
    SourceIndex,
    NextStart,
    Retrieved,
    Duplicates,
    NewCandidates,
    Rejected,
    Error,
    Attempt,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RetrievalSchedules {
    Table,
    StreamId,
    NextAt,
}

#[derive(DeriveIden)]
enum Candidates {
    Table,
    RunId,
}

#[derive(DeriveIden)]
enum ResearchStreams {
    Table,
    Id,
}

/// Retrieval runs: a stream's sources read into its candidate pool, durable
/// like summary runs (queue row, lease, attempt), with the place it reached
/// (`source_index`, `next_start`) so that a resumed run goes on from there,
/// `retrieval_schedules` (a scheduled stream's next due time) and
/// `candidates.run_id`, the run that found a candidate.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetrievalRuns::Table)
                    .col(pk_auto(RetrievalRuns::Id))
                    .col(integer(RetrievalRuns::StreamId))
                    .col(integer_null(RetrievalRuns::OrgId))
                    .col(integer_null(RetrievalRuns::RequestedBy))
                    // The stream's id while the run is queued or running:
                    // a unique index keeps one active run per stream.
                    .col(integer_null(RetrievalRuns::ActiveStreamId))
                    .col(enum_string(RetrievalRuns::Trigger))
                    .col(utc_null(manager, RetrievalRuns::DueAt))
                    .col(enum_string(RetrievalRuns::Status))
                    .col(utc(manager, RetrievalRuns::WindowFrom))
                    .col(utc(manager, RetrievalRuns::WindowTo))
                    .col(integer(RetrievalRuns::SourceIndex).default(0))
                    .col(integer(RetrievalRuns::NextStart).default(0))
                    .col(integer(RetrievalRuns::Retrieved).default(0))
                    .col(integer(RetrievalRuns::Duplicates).default(0))
                    .col(integer(RetrievalRuns::NewCandidates).default(0))
                    .col(integer(RetrievalRuns::Rejected).default(0))
                    .col(text_null(RetrievalRuns::Error))
                    .col(integer(RetrievalRuns::Attempt).default(0))
                    .col(string_len_null(RetrievalRuns::LeaseOwner, 64))
                    .col(utc_null(manager, RetrievalRuns::LeaseExpiresAt))
                    .col(utc(manager, RetrievalRuns::CreatedAt))
                    .col(utc_null(manager, RetrievalRuns::StartedAt))
                    .col(utc_null(manager, RetrievalRuns::FinishedAt))
                    .col(utc(manager, RetrievalRuns::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_retrieval_runs_stream")
                            .from(RetrievalRuns::Table, RetrievalRuns::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_retrieval_runs_requested_by")
                            .from(RetrievalRuns::Table, RetrievalRuns::RequestedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_retrieval_runs_active_stream")
                    .table(RetrievalRuns::Table)
                    .col(RetrievalRuns::ActiveStreamId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One run per stream and due time of its schedule (manual runs
        // have none, and NULLs never collide).
        manager
            .create_index(
                Index::create()
                    .name("uq_retrieval_runs_stream_due")
                    .table(RetrievalRuns::Table)
                    .col(RetrievalRuns::StreamId)
                    .col(RetrievalRuns::DueAt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Claiming: queued runs and expired leases, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_retrieval_runs_status")
                    .table(RetrievalRuns::Table)
                    .col(RetrievalRuns::Status)
                    .col(RetrievalRuns::Id)
                    .to_owned(),
            )
            .await?;
        // A stream's history, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_retrieval_runs_stream")
                    .table(RetrievalRuns::Table)
                    .col(RetrievalRuns::StreamId)
                    .col(RetrievalRuns::Id)
                    .to_owned(),
            )
            .await?;
        // A scheduled stream's next due time, found by every process's
        // scheduler through the index.
        manager
            .create_table(
                Table::create()
                    .table(RetrievalSchedules::Table)
                    .col(integer(RetrievalSchedules::StreamId).primary_key())
                    .col(utc(manager, RetrievalSchedules::NextAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_retrieval_schedules_stream")
                            .from(RetrievalSchedules::Table, RetrievalSchedules::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_retrieval_schedules_next")
                    .table(RetrievalSchedules::Table)
                    .col(RetrievalSchedules::NextAt)
                    .to_owned(),
            )
            .await?;
        // No foreign key: SQLite cannot add one to a table that exists; a
        // run goes only with its stream, whose candidates go with it.
        manager
            .alter_table(
                Table::alter()
                    .table(Candidates::Table)
                    .add_column(integer_null(Candidates::RunId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_candidates_run")
                    .table(Candidates::Table)
                    .col(Candidates::RunId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_candidates_run")
                    .table(Candidates::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Candidates::Table)
                    .drop_column(Candidates::RunId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RetrievalSchedules::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RetrievalRuns::Table).to_owned())
            .await
    }
}
