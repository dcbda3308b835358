use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    ApprovalStatus,
}

/// The report life cycle: `draft` → `awaiting_approval` → `approved` or
/// `rejected`, and back to `draft` when reopened. A report that was
/// `pending` waited for a decision, so it now awaits approval; new reports
/// start as drafts.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, &["pending"], "awaiting_approval").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, &["draft", "awaiting_approval"], "pending").await
    }
}

async fn rename(manager: &SchemaManager<'_>, from: &[&str], to: &str) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::update()
                .table(Reports::Table)
                .value(Reports::ApprovalStatus, to)
                .and_where(Expr::col(Reports::ApprovalStatus).is_in(from.iter().copied()))
                .to_owned(),
        )
        .await
}
