use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{enum_string, utc, utc_null};
use crate::m20260101_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Candidates {
    Table,
    Id,
    StreamId,
    ArticleId,
    Source,
    Status,
    Reason,
    Notes,
    DecidedBy,
    DecidedAt,
    Version,
    RetrievedAt,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    TitleKey,
}

#[derive(DeriveIden)]
enum ResearchStreams {
    Table,
    Id,
    RetrievalConfig,
}

/// Articles stored before are given their title keys in pages of this many.
const BACKFILL_PAGE: u64 = 1_000;

/// The candidate pool: `candidates` (one per stream and article, with the
/// curator's decision), `articles.title_key` (records without a DOI or PMID
/// are matched on it) and `research_streams.retrieval_config` (the stream's
/// exclusion reasons).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // Long on purpose: the table, its indexes and the two new columns, each
    // read as one block.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Candidates::Table)
                    .col(pk_auto(Candidates::Id))
                    .col(integer(Candidates::StreamId))
                    .col(integer(Candidates::ArticleId))
                    .col(enum_string(Candidates::Source))
                    .col(enum_string(Candidates::Status))
                    .col(string_len_null(Candidates::Reason, 64))
                    .col(text_null(Candidates::Notes))
                    .col(integer_null(Candidates::DecidedBy))
                    .col(utc_null(manager, Candidates::DecidedAt))
                    .col(integer(Candidates::Version).default(1))
                    .col(utc(manager, Candidates::RetrievedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_candidates_stream")
                            .from(Candidates::Table, Candidates::StreamId)
                            .to(ResearchStreams::Table, ResearchStreams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_candidates_article")
                            .from(Candidates::Table, Candidates::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_candidates_decided_by")
                            .from(Candidates::Table, Candidates::DecidedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_candidates_stream_article")
                    .table(Candidates::Table)
                    .col(Candidates::StreamId)
                    .col(Candidates::ArticleId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The pool's listing: a stream's candidates by status, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_candidates_stream_status")
                    .table(Candidates::Table)
                    .col(Candidates::StreamId)
                    .col(Candidates::Status)
                    .col(Candidates::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Articles::Table)
                    .add_column(string_len_null(Articles::TitleKey, 255))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_articles_title_key")
                    .table(Articles::Table)
                    .col(Articles::TitleKey)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ResearchStreams::Table)
                    .add_column(json_binary(ResearchStreams::RetrievalConfig).default("{}"))
                    .to_owned(),
            )
            .await?;
        backfill_title_keys(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Candidates::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ResearchStreams::Table)
                    .drop_column(ResearchStreams::RetrievalConfig)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_articles_title_key")
                    .table(Articles::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Articles::Table)
                    .drop_column(Articles::TitleKey)
                    .to_owned(),
            )
            .await
    }
}

#[derive(FromQueryResult)]
struct Titled {
    id: i32,
    title: String,
    pub_year: Option<i32>,
}

/// Gives every stored article its title key, a page of ids at a time. The
/// key is `bibliography::title_key`, the one the service writes, so that an
/// article stored before matches a record imported after.
async fn backfill_title_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after = 0;
    loop {
        let page = Query::select()
            .columns([
                Alias::new("id"),
                Alias::new("title"),
                Alias::new("pub_year"),
            ])
            .from(Articles::Table)
            .and_where(Expr::col(Articles::Id).gt(after))
            .order_by(Articles::Id, Order::Asc)
            .limit(BACKFILL_PAGE)
            .to_owned();
        let rows = Titled::find_by_statement(backend.build(&page))
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        for row in &rows {
            let Some(key) = bibliography::title_key(&row.title, row.pub_year) else {
                continue;
            };
            let update = Query::update()
                .table(Articles::Table)
                .value(Articles::TitleKey, key)
                .and_where(Expr::col(Articles::Id).eq(row.id))
                .to_owned();
            db.execute(&update).await?;
        }
    }
}
