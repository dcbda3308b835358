//! The visibility and change rules for streams, reports, curation and
//! approval, across roles and organizations.

mod common;

use common::outcome;
use service::Actor;
use test_support::{TestDb, backend_tests};

backend_tests! {
    async fn streams_reports_curation_and_approval_follow_the_access_rules(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 2).await;
        let actors: [(&str, &Actor); 5] = [
            ("platform", &w.platform), ("admin_a", &w.admin_a), ("member_a", &w.member_a),
            ("admin_b", &w.admin_b), ("member_b", &w.member_b),
        ];
        // Reading streams: (personal of member_a, org A stream, global subscribed by B).
        let read_streams = [
            ("platform", ["ok", "ok", "ok"]),
            ("admin_a", ["404", "ok", "404"]),
            ("member_a", ["ok", "ok", "404"]),
            ("admin_b", ["404", "404", "ok"]),
            ("member_b", ["404", "404", "ok"]),
        ];
        // Changing streams (PATCH).
        let change_streams = [
            ("platform", ["ok", "ok", "ok"]),
            ("admin_a", ["404", "ok", "404"]),
            ("member_a", ["ok", "403", "404"]),
            ("admin_b", ["404", "404", "403"]),
            ("member_b", ["404", "404", "403"]),
        ];
        for ((name, actor), ((_, read), (_, change))) in actors.iter().zip(read_streams.iter().zip(change_streams.iter())) {
            for (i, stream) in [w.personal, w.org_stream, w.global].into_iter().enumerate() {
                assert_eq!(outcome(w.services.streams.get(actor, stream).await), read[i], "{name} reads stream {i}");
                let patch = service::streams::PatchStream { purpose: Some(format!("by {name}")), ..Default::default() };
                assert_eq!(outcome(w.services.streams.update(actor, stream, patch).await), change[i], "{name} changes stream {i}");
            }
        }
        // The pending report of org A's stream: members do not see pending reports.
        let report_read = [("platform", "ok"), ("admin_a", "ok"), ("member_a", "404"), ("admin_b", "404"), ("member_b", "404")];
        let report_curate = [("platform", "ok"), ("admin_a", "ok"), ("member_a", "404"), ("admin_b", "404"), ("member_b", "404")];
        for ((name, actor), ((_, read), (_, curate))) in actors.iter().zip(report_read.iter().zip(report_curate.iter())) {
            assert_eq!(outcome(w.services.reports.get(actor, w.report).await), *read, "{name} reads report");
            let edit = service::curation::EditArticle { notes: Some(format!("note by {name}")), ..Default::default() };
            assert_eq!(outcome(w.services.curation.edit(actor, w.report, w.article_ids[0], edit).await), *curate, "{name} curates");
        }
        // Approved: members of A see it but may not curate, approve or reject it.
        assert_eq!(outcome(w.services.curation.submit(&w.admin_a, w.report).await), "ok");
        assert_eq!(outcome(w.services.curation.approve(&w.admin_a, w.report).await), "ok");
        assert_eq!(outcome(w.services.reports.get(&w.member_a, w.report).await), "ok");
        assert_eq!(outcome(w.services.curation.approve(&w.member_a, w.report).await), "403");
        assert_eq!(outcome(w.services.curation.reject(&w.member_a, w.report, "no".into()).await), "403");
        assert_eq!(outcome(w.services.curation.set_excluded(&w.member_a, w.report, w.article_ids[0], true, None).await), "403");
        assert_eq!(outcome(w.services.reports.get(&w.member_b, w.report).await), "404");
        assert_eq!(outcome(w.services.curation.approve(&w.admin_b, w.report).await), "404");
        // Stream creation by scope.
        use entity::enums::StreamScope;
        let create = |scope, org_id| service::streams::CreateStream {
            stream_name: "new".into(), purpose: "p".into(), scope, org_id,
            presentation_config: None, enrichment_config: None, llm_config: None, retrieval_config: None,
        };
        assert_eq!(outcome(w.services.streams.create(&w.member_a, create(StreamScope::Personal, None)).await), "ok");
        assert_eq!(outcome(w.services.streams.create(&w.member_a, create(StreamScope::Organization, None)).await), "403");
        assert_eq!(outcome(w.services.streams.create(&w.admin_a, create(StreamScope::Organization, Some(w.org_b))).await), "403");
        assert_eq!(outcome(w.services.streams.create(&w.admin_a, create(StreamScope::Global, None)).await), "403");
        assert_eq!(outcome(w.services.streams.create(&w.platform, create(StreamScope::Global, None)).await), "ok");
    }
}

backend_tests! {
    async fn user_administration_stays_within_reach(backend: Backend) {
        use entity::enums::UserRole;
        use service::users::{CreateUser, PatchUser};
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let new = |role, org_id| CreateUser { email: format!("n{}@x.test", rand_suffix()), password: "long enough".into(), full_name: None, role: Some(role), org_id };
        assert_eq!(outcome(w.services.users.create(&w.admin_a, new(UserRole::Member, None)).await), "ok");
        assert_eq!(outcome(w.services.users.create(&w.admin_a, new(UserRole::PlatformAdmin, None)).await), "403");
        assert_eq!(outcome(w.services.users.create(&w.admin_a, new(UserRole::Member, Some(w.org_b))).await), "403");
        assert_eq!(outcome(w.services.users.create(&w.member_a, new(UserRole::Member, None)).await), "403");
        let dup = CreateUser { email: "ADMIN@A.test".into(), ..new(UserRole::Member, Some(w.org_a)) };
        assert_eq!(outcome(w.services.users.create(&w.platform, dup).await), "409");
        assert_eq!(outcome(w.services.users.get(&w.admin_a, w.member_b.id).await), "404");
        assert_eq!(outcome(w.services.users.get(&w.member_a, w.admin_a.id).await), "404");
        assert_eq!(outcome(w.services.users.get(&w.member_a, w.member_a.id).await), "ok");
        assert_eq!(outcome(w.services.users.update(&w.member_a, w.member_a.id, PatchUser { role: Some(UserRole::OrgAdmin), ..Default::default() }).await), "403");
        assert_eq!(outcome(w.services.users.delete(&w.admin_a, w.admin_a.id).await), "403");
        assert_eq!(outcome(w.services.users.delete(&w.admin_a, w.member_b.id).await), "404");
        assert_eq!(outcome(w.services.users.update(&w.platform, w.platform.id, PatchUser { role: Some(UserRole::Member), ..Default::default() }).await), "422");
        assert_eq!(outcome(w.services.users.update(&w.platform, w.platform.id, PatchUser { is_active: Some(false), ..Default::default() }).await), "409");
        assert_eq!(outcome(w.services.users.delete(&w.admin_a, w.member_a.id).await), "ok");
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
