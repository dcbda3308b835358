use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};
use crate::m20260101_000001_accounts::Users;
use crate::m20260101_000002_streams_and_articles::{Articles, ResearchStreams};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    StreamId,
    ReportName,
    ReportDate,
    ApprovalStatus,
    RejectionReason,
    ApprovedBy,
    ApprovedAt,
    Enrichments,
    OriginalEnrichments,
    HasCurationEdits,
    LastCuratedBy,
    LastCuratedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReportArticleAssociations {
    Table,
    ReportId,
    ArticleId,
    Ranking,
    OriginalRanking,
    RelevanceScore,
    AiSummary,
    OriginalAiSummary,
    PresentationCategories,
    OriginalPresentationCategories,
    IsHidden,
    CuratorAdded,
    CuratorNotes,
    CuratedBy,
    CuratedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CurationEvents {
    Table,
    Id,
    ReportId,
    ArticleId,
    UserId,
    EventType,
    Notes,
    Details,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // Long on purpose: the tables' definitions, each read as one block.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let user_fk = |name: &str, col: Reports| {
            ForeignKey::create()
                .name(name)
                .from(Reports::Table, col)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::SetNull)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(pk_auto(Reports::Id))
                    .col(integer(Reports::StreamId))
                    .col(string_len(Reports::ReportName, 255))
                    .col(date(Reports::ReportDate))
                    .col(enum_string(Reports::ApprovalStatus))
                    .col(text_null(Reports::RejectionReason))
                    .col(integer_null(Reports::ApprovedBy))
                    .col(utc_null(manager, Reports::ApprovedAt))
                    .col(json_binary_null(Reports::Enrichments))
                    .col(json_binary_null(Reports::OriginalEnrichments))
                    .col(boolean(Reports::HasCurationEdits).default(false))
                    .col(integer_null(Reports::LastCuratedBy))
                    .col(utc_null(manager, Reports::LastCuratedAt))
                    .col(integer_null(Reports::CreatedBy))
                    .col(utc(manager, Reports::CreatedAt))
                    .col(utc(manager, Reports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reports_stream")
                            .from(Reports::Table, Reports::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut user_fk("fk_reports_approved_by", Reports::ApprovedBy))
                    .foreign_key(&mut user_fk(
                        "fk_reports_curated_by",
                        Reports::LastCuratedBy,
                    ))
                    .foreign_key(&mut user_fk("fk_reports_created_by", Reports::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reports_stream_date")
                    .table(Reports::Table)
                    .col(Reports::StreamId)
                    .col(Reports::ReportDate)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportArticleAssociations::Table)
                    .col(integer(ReportArticleAssociations::ReportId))
                    .col(integer(ReportArticleAssociations::ArticleId))
                    .col(integer(ReportArticleAssociations::Ranking))
                    .col(integer_null(ReportArticleAssociations::OriginalRanking))
                    .col(double_null(ReportArticleAssociations::RelevanceScore))
                    .col(text_null(ReportArticleAssociations::AiSummary))
                    .col(text_null(ReportArticleAssociations::OriginalAiSummary))
                    .col(json_binary(
                        ReportArticleAssociations::PresentationCategories,
                    ))
                    .col(json_binary_null(
                        ReportArticleAssociations::OriginalPresentationCategories,
                    ))
                    .col(boolean(ReportArticleAssociations::IsHidden).default(false))
                    .col(boolean(ReportArticleAssociations::CuratorAdded).default(false))
                    .col(text_null(ReportArticleAssociations::CuratorNotes))
                    .col(integer_null(ReportArticleAssociations::CuratedBy))
                    .col(utc_null(manager, ReportArticleAssociations::CuratedAt))
                    .col(utc(manager, ReportArticleAssociations::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReportArticleAssociations::ReportId)
                            .col(ReportArticleAssociations::ArticleId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_raa_report")
                            .from(
                                ReportArticleAssociations::Table,
                                ReportArticleAssociations::ReportId,
                            )
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_raa_article")
                            .from(
                                ReportArticleAssociations::Table,
                                ReportArticleAssociations::ArticleId,
                            )
                            .to(Articles::Table, Articles::Id)
                            // An article in a report is not deleted from under it.
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_raa_curated_by")
                            .from(
                                ReportArticleAssociations::Table,
                                ReportArticleAssociations::CuratedBy,
                            )
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_raa_report_ranking")
                    .table(ReportArticleAssociations::Table)
                    .col(ReportArticleAssociations::ReportId)
                    .col(ReportArticleAssociations::Ranking)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_raa_article")
                    .table(ReportArticleAssociations::Table)
                    .col(ReportArticleAssociations::ArticleId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CurationEvents::Table)
                    .col(pk_auto(CurationEvents::Id))
                    .col(integer(CurationEvents::ReportId))
                    .col(integer_null(CurationEvents::ArticleId))
                    .col(integer_null(CurationEvents::UserId))
                    .col(enum_string(CurationEvents::EventType))
                    .col(text_null(CurationEvents::Notes))
                    .col(json_binary_null(CurationEvents::Details))
                    .col(utc(manager, CurationEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_report")
                            .from(CurationEvents::Table, CurationEvents::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_user")
                            .from(CurationEvents::Table, CurationEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_report")
                    .table(CurationEvents::Table)
                    .col(CurationEvents::ReportId)
                    .col(CurationEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CurationEvents::Table.into_iden(),
            ReportArticleAssociations::Table.into_iden(),
            Reports::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
