//! Multi-step changes land whole or not at all.

mod common;

use repository::curation_events;
use repository::{Page, associations, reports};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use service::{ConflictKind, ServiceError};
use test_support::{TestDb, backend_tests};

/// Makes the audit trail unwritable: the step after the state change fails.
async fn break_events(db: &sea_orm::DatabaseConnection) {
    db.execute_unprepared("DROP TABLE curation_events")
        .await
        .unwrap();
}

async fn snapshot(
    db: &sea_orm::DatabaseConnection,
    report: i32,
) -> (Vec<(i32, i32, bool)>, bool, String) {
    let r = reports::get(db, report).await.unwrap();
    let rows = associations::load_for_reports(db, &[report], true)
        .await
        .unwrap()
        .remove(&report)
        .unwrap_or_default();
    let mut assoc: Vec<(i32, i32, bool)> = rows
        .iter()
        .map(|a| (a.article.id, a.association.ranking, a.association.is_hidden))
        .collect();
    assoc.sort();
    (
        assoc,
        r.has_curation_edits,
        format!("{:?}", r.approval_status),
    )
}

backend_tests! {
    async fn curation_changes_roll_back_when_their_audit_event_fails(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 3).await;
        let c = &db.conn;
        let before = snapshot(c, w.report).await;
        break_events(c).await;
        let mut ids = w.article_ids.clone();
        ids.reverse();
        assert!(w.services.curation.reorder(&w.admin_a, w.report, ids).await.is_err());
        assert!(w.services.curation.set_excluded(&w.admin_a, w.report, w.article_ids[0], true, None).await.is_err());
        assert!(w.services.curation.submit(&w.admin_a, w.report).await.is_err());
        assert_eq!(snapshot(c, w.report).await, before, "nothing of any operation remains");
    }
}

backend_tests! {
    async fn include_rolls_back_when_its_audit_event_fails(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 2).await;
        let c = &db.conn;
        w.services.curation.set_excluded(&w.admin_a, w.report, w.article_ids[1], true, Some("off-topic".into())).await.unwrap();
        let before = snapshot(c, w.report).await;
        break_events(c).await;
        assert!(w.services.curation.set_excluded(&w.admin_a, w.report, w.article_ids[1], false, None).await.is_err());
        assert_eq!(snapshot(c, w.report).await, before);
    }
}

backend_tests! {
    async fn create_report_leaves_nothing_when_its_associations_fail(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 2).await;
        let c = &db.conn;
        let reports_before = entity::report::Entity::find().count(c).await.unwrap();
        c.execute_unprepared("DROP TABLE report_article_associations").await.unwrap();
        let err = w.services.reports.create(&w.admin_a, w.org_stream, common::report_input(&w.article_ids)).await.unwrap_err();
        assert!(matches!(err, ServiceError::Internal(_)), "{err:?}");
        assert_eq!(entity::report::Entity::find().count(c).await.unwrap(), reports_before, "the report row was rolled back");
    }
}

backend_tests! {
    async fn curation_writes_state_report_fields_and_one_event_together(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 3).await;
        let c = &db.conn;
        let edit = service::curation::EditArticle { ai_summary: Some(Some("curated".into())), ranking: Some(9), ..Default::default() };
        w.services.curation.edit(&w.admin_a, w.report, w.article_ids[0], edit).await.unwrap();
        let second = service::curation::EditArticle { ai_summary: Some(Some("again".into())), ..Default::default() };
        let a = w.services.curation.edit(&w.admin_a, w.report, w.article_ids[0], second).await.unwrap();
        assert_eq!(a.ai_summary.as_deref(), Some("again"));
        assert_eq!(a.original_ai_summary.as_deref(), Some(""), "the first edit kept the original: there was none");
        assert_eq!(a.original_ranking, Some(1));
        let r = reports::get(c, w.report).await.unwrap();
        assert!(r.has_curation_edits);
        assert_eq!(r.last_curated_by, Some(w.admin_a.id));
        let events = curation_events::list_for_report(c, w.report, Page::first()).await.unwrap();
        assert_eq!(events.total, 2);
        // Submission is refused without visible articles.
        for &id in &w.article_ids {
            w.services.curation.set_excluded(&w.admin_a, w.report, id, true, None).await.unwrap();
        }
        let refused = w.services.curation.submit(&w.admin_a, w.report).await;
        assert!(matches!(&refused, Err(ServiceError::Conflict { kind: ConflictKind::NoVisibleArticles, .. })), "{refused:?}");
    }
}

backend_tests! {
    async fn concurrent_reorders_leave_a_consistent_ranking(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 6).await;
        let forward = w.article_ids.clone();
        let backward: Vec<i32> = w.article_ids.iter().rev().copied().collect();
        let tasks = (0..6).map(|i| {
            let (curation, actor) = (w.services.curation.clone(), w.admin_a.clone());
            let order = if i % 2 == 0 { forward.clone() } else { backward.clone() };
            let report = w.report;
            tokio::spawn(async move { curation.reorder(&actor, report, order).await })
        });
        for r in futures::future::join_all(tasks).await {
            match r.unwrap() {
                Ok(()) | Err(ServiceError::Conflict { .. }) => {}
                // SQLite and MariaDB may abort a contending transaction
                // (busy / deadlock); it rolls back whole, which is what counts.
                Err(ServiceError::Internal(_)) if backend != test_support::Backend::Postgres => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        let ids = associations::visible_article_ids(&db.conn, w.report).await.unwrap();
        assert!(ids == forward || ids == backward, "one order won whole: {ids:?}");
        let loaded = associations::load_for_reports(&db.conn, &[w.report], false).await.unwrap().remove(&w.report).unwrap();
        let rankings: Vec<i32> = loaded.iter().map(|a| a.association.ranking).collect();
        assert_eq!(rankings, (1..=6).collect::<Vec<_>>());
    }
}

backend_tests! {
    async fn two_platform_admins_deactivating_each_other_at_once_leave_one(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let mut survivor = w.platform.clone();
        for round in 0..8 {
            let other = common::user(&db.conn, &format!("admin{round}@platform.test"), entity::enums::UserRole::PlatformAdmin, None).await;
            let deactivate = |actor: service::Actor, target: i32| {
                let users = w.services.users.clone();
                tokio::spawn(async move {
                    users.update(&actor, target, service::users::PatchUser { is_active: Some(false), ..Default::default() }).await
                })
            };
            let (a, b) = tokio::join!(deactivate(survivor.clone(), other.id), deactivate(other.clone(), survivor.id));
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "round {round}: exactly one wins ({a:?}, {b:?})");
            let loser = if a.is_ok() { b } else { a };
            assert!(matches!(loser, Err(ServiceError::Conflict { .. })), "round {round}: {loser:?}");
            let active = repository::users::lock_active_platform_admins(&db.conn).await.unwrap();
            assert_eq!(active.len(), 1, "round {round}: one active platform admin is left");
            if active[0] == other.id {
                survivor = other;
            }
        }
    }
}
