use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SummaryRuns {
    Table,
    Id,
    ReportId,
    OrgId,
    RequestedBy,
    ActiveReportId,
    Status,
    Force,
    Stage,
    ArticlesDone,
    ArticlesTotal,
    LlmCalls,
    PromptTokens,
    CompletionTokens,
    Error,
    ErrorDetail,
    Failures,
    CategorySummaries,
    Attempt,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum LlmUsage {
    Table,
    RunId,
    Item,
}

/// `summary_runs`: every summary run as a row that any process can claim,
/// renew, resume and report on; `llm_usage.run_id`/`item` so a resumed run
/// knows which paid calls are already done; `reports.version` for `ETag` and
/// `If-Match` on curation.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SummaryRuns::Table)
                    .col(pk_auto(SummaryRuns::Id))
                    .col(integer(SummaryRuns::ReportId))
                    .col(integer_null(SummaryRuns::OrgId))
                    .col(integer_null(SummaryRuns::RequestedBy))
                    // The report's id while the run is queued or running, NULL
                    // after: a unique index every engine has (NULLs are
                    // distinct), so "one active run per report" holds across
                    // processes without partial indexes, which MariaDB lacks.
                    .col(integer_null(SummaryRuns::ActiveReportId).unique_key())
                    .col(enum_string(SummaryRuns::Status))
                    .col(boolean(SummaryRuns::Force))
                    .col(string_len_null(SummaryRuns::Stage, 32))
                    .col(integer(SummaryRuns::ArticlesDone))
                    .col(integer(SummaryRuns::ArticlesTotal))
                    .col(integer(SummaryRuns::LlmCalls))
                    .col(big_integer(SummaryRuns::PromptTokens))
                    .col(big_integer(SummaryRuns::CompletionTokens))
                    .col(string_len_null(SummaryRuns::Error, 32))
                    .col(text_null(SummaryRuns::ErrorDetail))
                    .col(json_binary_null(SummaryRuns::Failures))
                    .col(json_binary_null(SummaryRuns::CategorySummaries))
                    .col(integer(SummaryRuns::Attempt))
                    .col(string_len_null(SummaryRuns::LeaseOwner, 64))
                    .col(utc_null(manager, SummaryRuns::LeaseExpiresAt))
                    .col(utc(manager, SummaryRuns::CreatedAt))
                    .col(utc_null(manager, SummaryRuns::StartedAt))
                    .col(utc_null(manager, SummaryRuns::FinishedAt))
                    .col(utc(manager, SummaryRuns::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_summary_runs_report")
                            .from(SummaryRuns::Table, SummaryRuns::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_summary_runs_report")
                    .table(SummaryRuns::Table)
                    .col(SummaryRuns::ReportId)
                    .col(SummaryRuns::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_summary_runs_status")
                    .table(SummaryRuns::Table)
                    .col(SummaryRuns::Status)
                    .col(SummaryRuns::LeaseExpiresAt)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(LlmUsage::Table)
                    .add_column(integer_null(LlmUsage::RunId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LlmUsage::Table)
                    .add_column(string_len_null(LlmUsage::Item, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_run")
                    .table(LlmUsage::Table)
                    .col(LlmUsage::RunId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(integer(Reports::Version).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .drop_column(Reports::Version)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_usage_run")
                    .table(LlmUsage::Table)
                    .to_owned(),
            )
            .await?;
        for column in [LlmUsage::Item, LlmUsage::RunId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LlmUsage::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SummaryRuns::Table).to_owned())
            .await
    }
}
