//! The schema on every backend: migrations reverse cleanly and values
//! round-trip unchanged.

mod common;

use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use repository::sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use test_support::{TestDb, backend_tests};

backend_tests! {
    async fn migrations_go_up_down_and_up_again(backend: Backend) {
        let test_db = TestDb::unmigrated(backend, |_| {}).await;
        let db = &test_db.conn;
        Migrator::up(db, None).await.expect("up");
        let status = Migrator::get_migration_with_status(db).await.unwrap();
        assert_eq!(status.len(), Migrator::migrations().len());
        assert!(status.iter().all(|m| format!("{:?}", m.status()) == "Applied"));
        Migrator::down(db, None).await.expect("down");
        assert!(Migrator::get_applied_migrations(db).await.unwrap().is_empty());
        let manager = migration::SchemaManager::new(db);
        for table in ["users", "organizations", "reports", "articles", "llm_usage"] {
            assert!(!manager.has_table(table).await.unwrap(), "{table} left after down");
        }
        Migrator::up(db, None).await.expect("up again");
        assert_eq!(Migrator::get_applied_migrations(db).await.unwrap().len(), Migrator::migrations().len());
    }
}

backend_tests! {
    /// Configurations stored before they were typed, with fields the typed
    /// values refuse, read as typed values once the migration has run.
    async fn stream_configurations_stored_untyped_read_as_typed_values_after_migrating(backend: Backend) {
        use repository::sea_orm::sea_query::{Alias, Query};
        use repository::sea_orm::ConnectionTrait;
        let test_db = TestDb::unmigrated(backend, |_| {}).await;
        let db = &test_db.conn;
        let before_typed = Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m20261203_000014_typed_stream_configs")
            .expect("the typing migration") as u32;
        Migrator::up(db, Some(before_typed)).await.expect("up to the last untyped schema");
        let now = Utc::now();
        let insert = Query::insert()
            .into_table(Alias::new("research_streams"))
            .columns(["stream_name", "purpose", "scope", "presentation_config", "enrichment_config", "llm_config", "is_active", "created_at", "updated_at"].map(Alias::new))
            .values_panic([
                "Old".into(),
                "Kept as it was".into(),
                "global".into(),
                json!({"categories": [{"id": "a", "name": "A", "colour": "red"}], "layout": "grid"}).into(),
                json!({"prompts": {"article_summary": 5, "executive_summary": {"system_prompt": "Be brief.", "style": "x"}}}).into(),
                json!({"category_summary": {"model": "m", "top_p": 0.5}}).into(),
                true.into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("an untyped stream");
        Migrator::up(db, None).await.expect("up");

        let stream = entity::research_stream::Entity::find().one(db).await.unwrap().expect("the stream reads");
        let categories = &stream.presentation_config.categories;
        assert_eq!((categories.len(), categories[0].id.as_str(), categories[0].name.as_str()), (1, "a", "A"));
        let prompts = &stream.enrichment_config.prompts;
        assert!(prompts.article_summary.is_none(), "an entry that was not an object is gone");
        assert_eq!(prompts.executive_summary.as_ref().unwrap().system_prompt.as_deref(), Some("Be brief."));
        let llm = stream.llm_config.category_summary.as_ref().unwrap();
        assert_eq!((llm.model.as_deref(), llm.temperature), (Some("m"), None));
    }
}

backend_tests! {
    /// Enrichments as runs wrote them before they were typed (the time as
    /// RFC 3339 text) and with a field this build does not know read as
    /// typed values; curators' edits (no provider, no time) too.
    async fn stored_enrichments_read_as_typed_values(backend: Backend) {
        use repository::sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        use repository::sea_orm::ConnectionTrait;
        let db = TestDb::new(backend).await;
        let stream = common::stream(&db.conn, entity::enums::StreamScope::Global, None, None).await;
        let report = common::report_with_articles(&db.conn, stream.id, 1, "e").await;
        let written = json!({"executive_summary": "E", "category_summaries": {"a": "A"}, "provider": "offline",
            "model": "m", "generated_at": "2026-12-01T10:00:00.123+00:00", "added_later": [1]});
        let edited = json!({"executive_summary": "Edited", "category_summaries": {}});
        let update = Query::update()
            .table(Alias::new("reports"))
            .value(Alias::new("enrichments"), edited)
            .value(Alias::new("original_enrichments"), written)
            .and_where(Expr::col(Alias::new("id")).eq(report))
            .to_owned();
        db.conn.execute(&update).await.unwrap();
        let loaded = repository::reports::get(&db.conn, report).await.unwrap();
        let original = loaded.original_enrichments.expect("originals");
        assert_eq!(original.category_summaries.get("a").map(String::as_str), Some("A"));
        assert_eq!((original.provider.as_deref(), original.model.as_deref()), (Some("offline"), Some("m")));
        assert_eq!(original.generated_at.unwrap().to_rfc3339(), "2026-12-01T10:00:00.123+00:00");
        let current = loaded.enrichments.expect("enrichments");
        assert_eq!((current.executive_summary.as_deref(), current.provider), (Some("Edited"), None));
    }
}

backend_tests! {
    async fn entities_round_trip_unicode_json_and_utc_timestamps(backend: Backend) {
        let db = TestDb::new(backend).await;
        let title = "🧬 CRISPR–Cas9 ゲノム編集 — Геномное редактирование 基因组";
        let created: DateTime<Utc> = Utc::now().trunc_subsecs(6);
        let saved = entity::article::ActiveModel {
            title: Set(title.into()),
            r#abstract: Set(Some("Emoji 😀 and Ümlaut".into())),
            authors: Set(vec!["Zoë Ångström".to_owned(), "李雷".to_owned()].into()),
            journal: Set(Some("Nature 🧪".into())),
            pub_year: Set(Some(2026)),
            doi: Set(Some("10.1000/round.trip".into())),
            pmid: Set(None),
            url: Set(None),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(&db.conn)
        .await
        .unwrap();
        let loaded = entity::article::Entity::find_by_id(saved.id).one(&db.conn).await.unwrap().unwrap();
        assert_eq!(loaded.title, title);
        assert_eq!(loaded.r#abstract.as_deref(), Some("Emoji 😀 and Ümlaut"));
        assert_eq!(*loaded.authors, ["Zoë Ångström", "李雷"]);
        assert_eq!(loaded.created_at, created, "UTC timestamp preserved");
        assert_eq!(loaded.created_at.timezone(), Utc);

        let org = common::org(&db.conn, "Org ☕").await;
        let stream = common::stream(&db.conn, entity::enums::StreamScope::Organization, Some(org), None).await;
        let config: entity::stream_config::PresentationConfig = serde_json::from_value(json!(
            {"categories": [{"id": "onc", "name": "Oncology 🎗", "topics": ["tumour"]}]}
        ))
        .unwrap();
        let updated = repository::streams::update(&db.conn, stream.id, repository::streams::StreamUpdate {
            presentation_config: Some(config.clone()),
            ..Default::default()
        }).await.unwrap();
        assert_eq!(updated.presentation_config, config);
        let reloaded = repository::streams::find(&db.conn, stream.id).await.unwrap().unwrap();
        assert_eq!(reloaded.presentation_config, config);
    }
}

/// The pragmas every pooled connection to a SQLite file answers with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_open_in_wal_with_normal_sync_busy_timeout_foreign_keys_and_memory_temp_store()
{
    use repository::sea_orm::{ConnectionTrait, Statement};
    let db = TestDb::with_settings(test_support::Backend::Sqlite, |s| {
        s.min_connections = 3;
        s.max_connections = 3;
        s.acquire_timeout_secs = 7.0;
    })
    .await;
    let pragma = |name: &'static str| {
        let conn = db.conn.clone();
        async move {
            let row = conn
                .query_one_raw(Statement::from_string(
                    conn.get_database_backend(),
                    format!("PRAGMA {name}"),
                ))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("PRAGMA {name} answered nothing"));
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
                .unwrap()
        }
    };
    // Several rounds at once, so that more than one pooled connection answers.
    for _ in 0..3 {
        let (journal, sync, busy, fk, temp) = tokio::join!(
            pragma("journal_mode"),
            pragma("synchronous"),
            pragma("busy_timeout"),
            pragma("foreign_keys"),
            pragma("temp_store"),
        );
        assert_eq!(journal, "wal");
        assert_eq!(sync, "1", "synchronous=NORMAL");
        assert_eq!(busy, "7000", "busy timeout = acquire timeout");
        assert_eq!(fk, "1");
        assert_eq!(temp, "2", "temp_store=MEMORY");
    }
}
