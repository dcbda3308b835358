use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, JsonValue};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Authors,
    AuthorsText,
}

/// Articles stored before get their `authors_text` in pages of this many.
const BACKFILL_PAGE: u64 = 1_000;

/// Full-text search over articles (title, abstract, journal, authors) with
/// each engine's own index. The authors are indexed from `authors_text`
/// (their names joined by `; `), which the repository writes with `authors`:
/// MariaDB cannot put a JSON column in a `FULLTEXT` index. The indexes: an FTS5 table kept by triggers on SQLite, a
/// `FULLTEXT` index on MariaDB, a generated `tsvector` column under a GIN
/// index on PostgreSQL (the `simple` configuration: no stemming and no stop
/// words, as the other two engines index words).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Articles::Table)
                    .add_column(text_null(Articles::AuthorsText))
                    .to_owned(),
            )
            .await?;
        backfill_authors_text(manager).await?;
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Sqlite => &[
                "CREATE VIRTUAL TABLE articles_fts USING fts5(title, abstract, journal, authors_text, content='articles', content_rowid='id')",
                "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN \
                 INSERT INTO articles_fts(rowid, title, abstract, journal, authors_text) VALUES (new.id, new.title, new.abstract, new.journal, new.authors_text); END",
                "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN \
                 INSERT INTO articles_fts(articles_fts, rowid, title, abstract, journal, authors_text) VALUES ('delete', old.id, old.title, old.abstract, old.journal, old.authors_text); END",
                "CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN \
                 INSERT INTO articles_fts(articles_fts, rowid, title, abstract, journal, authors_text) VALUES ('delete', old.id, old.title, old.abstract, old.journal, old.authors_text); \
                 INSERT INTO articles_fts(rowid, title, abstract, journal, authors_text) VALUES (new.id, new.title, new.abstract, new.journal, new.authors_text); END",
                "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
            ],
            DbBackend::MySql => &[
                "ALTER TABLE articles ADD FULLTEXT INDEX ft_articles (title, abstract, journal, authors_text)",
            ],
            DbBackend::Postgres => &[
                "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, \
                 coalesce(title, '') || ' ' || coalesce(abstract, '') || ' ' || coalesce(journal, '') || ' ' || coalesce(authors_text, ''))) STORED",
                "CREATE INDEX idx_articles_search ON articles USING GIN (search)",
            ],
            _ => &[],
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DbBackend::Sqlite => &[
                "DROP TRIGGER articles_fts_insert",
                "DROP TRIGGER articles_fts_delete",
                "DROP TRIGGER articles_fts_update",
                "DROP TABLE articles_fts",
            ],
            DbBackend::MySql => &["ALTER TABLE articles DROP INDEX ft_articles"],
            DbBackend::Postgres => &[
                "DROP INDEX idx_articles_search",
                "ALTER TABLE articles DROP COLUMN search",
            ],
            _ => &[],
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Articles::Table)
                    .drop_column(Articles::AuthorsText)
                    .to_owned(),
            )
            .await
    }
}

#[derive(FromQueryResult)]
struct Authored {
    id: i32,
    authors: JsonValue,
}

/// Writes `authors_text` of every stored article, a page of ids at a time:
/// the names of the JSON list joined by `; ` (what the repository writes).
async fn backfill_authors_text(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after = 0;
    loop {
        let page = Query::select()
            .columns([Articles::Id, Articles::Authors])
            .from(Articles::Table)
            .and_where(Expr::col(Articles::Id).gt(after))
            .order_by(Articles::Id, Order::Asc)
            .limit(BACKFILL_PAGE)
            .to_owned();
        let rows = Authored::find_by_statement(backend.build(&page))
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        for row in &rows {
            let names: Vec<&str> = row
                .authors
                .as_array()
                .map(|a| a.iter().filter_map(JsonValue::as_str).collect())
                .unwrap_or_default();
            if names.is_empty() {
                continue;
            }
            let update = Query::update()
                .table(Articles::Table)
                .value(Articles::AuthorsText, names.join("; "))
                .and_where(Expr::col(Articles::Id).eq(row.id))
                .to_owned();
            db.execute(&update).await?;
        }
    }
}
