//! Query behaviour on every backend: no N+1, bulk writes in chunks, the
//! visibility rules as SQL, constraint errors typed by name.

mod common;

use entity::enums::{ApprovalStatus, StreamScope, UserRole};
use repository::articles::{self, ArticleChanges, NewArticle};
use repository::reports::{self, ReportFilter};
use repository::{Constraint, Page, RepoError, Viewer, organizations, streams, users};
use test_support::{TestDb, backend_tests, counting};

fn admin() -> Viewer {
    Viewer {
        user_id: 0,
        org_id: None,
        role: UserRole::PlatformAdmin,
    }
}

backend_tests! {
    async fn report_with_articles_costs_the_same_statements_for_1_10_and_500_articles(backend: Backend) {
        let db = TestDb::new(backend).await;
        let org = common::org(&db.conn, "Org").await;
        let stream = common::stream(&db.conn, StreamScope::Organization, Some(org), None).await;
        let (conn, counter) = counting(&db.conn);
        let mut costs = Vec::new();
        for n in [1usize, 10, 500] {
            let report_id = common::report_with_articles(&db.conn, stream.id, n, &format!("r{n}")).await;
            counter.reset();
            let report = reports::find_visible(&conn, &admin(), report_id).await.unwrap().unwrap();
            let loaded = reports::load_with_articles(&conn, report, false).await.unwrap();
            assert_eq!(loaded.articles.len(), n);
            let rankings: Vec<i32> = loaded.articles.iter().map(|a| a.association.ranking).collect();
            assert!(rankings.windows(2).all(|w| w[0] < w[1]), "ordered by ranking");
            costs.push(counter.get());
        }
        assert_eq!(costs, vec![2, 2, 2], "the report, then its articles joined to their associations, whatever the count");
    }
}

backend_tests! {
    async fn report_lists_cost_a_constant_number_of_statements(backend: Backend) {
        let db = TestDb::new(backend).await;
        let org = common::org(&db.conn, "Org").await;
        let stream = common::stream(&db.conn, StreamScope::Organization, Some(org), None).await;
        let (conn, counter) = counting(&db.conn);
        let mut with_counts = Vec::new();
        let mut with_articles = Vec::new();
        for (round, n) in [1usize, 10, 500].into_iter().enumerate() {
            for r in 0..3 {
                common::report_with_articles(&db.conn, stream.id, n, &format!("l{round}-{r}")).await;
            }
            counter.reset();
            let page = reports::list_visible_with_counts(&conn, &admin(), ReportFilter::default(), Page::first()).await.unwrap();
            assert_eq!(page.items.len(), 3 * (round + 1));
            assert!(page.items.iter().any(|(_, count)| *count == n as u64));
            with_counts.push(counter.get());
            counter.reset();
            let page = reports::list_visible_with_articles(&conn, &admin(), ReportFilter::default(), Page::first()).await.unwrap();
            assert!(page.items.iter().any(|r| r.articles.len() == n));
            with_articles.push(counter.get());
        }
        assert_eq!(with_counts, vec![3, 3, 3]);
        assert_eq!(with_articles, vec![4, 4, 4]);
    }
}

backend_tests! {
    async fn bulk_upsert_of_20000_articles_merges_duplicates_and_returns_ids_in_input_order(backend: Backend) {
        let db = TestDb::new(backend).await;
        // 500 rows exist before the import: 250 matched by DOI, 250 by PMID.
        let existing: Vec<NewArticle> = (0..500)
            .map(|i| NewArticle {
                title: format!("old {i}"),
                doi: (i % 2 == 0).then(|| format!("10.1/E{i}")),
                pmid: (i % 2 == 1).then(|| format!("9{i}")),
                ..Default::default()
            })
            .collect();
        let existing_ids = articles::upsert_many(&db.conn, existing).await.unwrap();
        assert_eq!(existing_ids.len(), 500);

        let mut batch = Vec::new();
        for i in 0..19_000 {
            batch.push(NewArticle {
                title: format!("new {i}"),
                doi: Some(format!("10.2/N{i}")),
                pmid: (i % 3 == 0).then(|| format!("7{i}")),
                ..Default::default()
            });
        }
        for i in 0..500 {
            // Against existing rows; the DOI differs in case from the stored one.
            batch.push(NewArticle {
                title: format!("updated {i}"),
                doi: (i % 2 == 0).then(|| format!("10.1/e{i}")),
                pmid: (i % 2 == 1).then(|| format!("9{i}")),
                ..Default::default()
            });
        }
        for i in 0..500 {
            // Duplicates inside the batch: same DOI, or same PMID only.
            batch.push(NewArticle {
                title: format!("dup {i}"),
                doi: (i % 2 == 0).then(|| format!("10.2/N{i}")),
                pmid: (i % 2 == 1).then(|| format!("7{}", i * 3)),
                ..Default::default()
            });
        }
        assert_eq!(batch.len(), 20_000);
        let ids = articles::upsert_many(&db.conn, batch).await.unwrap();
        assert_eq!(ids.len(), 20_000);

        use repository::sea_orm::{EntityTrait, PaginatorTrait};
        let rows = entity::article::Entity::find().count(&db.conn).await.unwrap();
        assert_eq!(rows, 500 + 19_000, "duplicates did not create rows");
        // Existing rows keep their ids, matched by DOI (any case) or PMID.
        assert_eq!(&ids[19_000..19_500], &existing_ids[..]);
        // In-batch duplicates resolve to the id of their first occurrence.
        for i in 0..500 {
            let first = if i % 2 == 0 { i } else { i * 3 };
            assert_eq!(ids[19_500 + i], ids[first], "duplicate {i}");
        }
        // Ids are in input order: each new row's id holds its own title.
        let sample: Vec<i32> = [0usize, 1, 999, 1000, 12_345, 18_999].iter().map(|&i| ids[i]).collect();
        let found = articles::find_many(&db.conn, &sample).await.unwrap();
        for (k, &i) in [0usize, 1, 999, 1000, 12_345, 18_999].iter().enumerate() {
            let article = found.iter().find(|a| a.id == sample[k]).unwrap();
            assert_eq!(article.doi.as_deref(), Some(format!("10.2/n{i}").as_str()));
        }
        let updated = articles::find(&db.conn, existing_ids[3]).await.unwrap().unwrap();
        assert_eq!(updated.title, "updated 3", "existing rows are updated");
    }
}

backend_tests! {
    async fn bulk_update_of_5000_rows_changes_exactly_those_rows_in_chunked_statements(backend: Backend) {
        let db = TestDb::new(backend).await;
        let ids = articles::upsert_many(
            &db.conn,
            (0..6_000).map(|i| NewArticle { title: format!("t{i}"), doi: Some(format!("10.3/{i}")), ..Default::default() }).collect(),
        )
        .await
        .unwrap();
        let targets: Vec<i32> = ids[..5_000].to_vec();
        let changes: Vec<(i32, ArticleChanges)> = targets
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let mut c = ArticleChanges { title: Some(format!("changed article title {i}")), pub_year: Some(Some(2020)), ..Default::default() };
                if i % 2 == 0 {
                    c.journal = Some(Some("J".into()));
                }
                (id, c)
            })
            .collect();
        let (conn, counter) = counting(&db.conn);
        let matched = articles::update_many(&conn, changes).await.unwrap();
        assert_eq!(matched, 5_000);
        if backend == test_support::Backend::Postgres {
            // PostgreSQL chunks by statement size too (see chunk::POSTGRES_STATEMENT_BYTES).
            assert!(counter.get() * 40 <= 5_000, "{} statements: at least 40 rows each", counter.get());
        } else {
            let chunks = 5_000usize.div_ceil(repository::chunk::update_rows(10));
            assert_eq!(counter.get(), chunks, "one statement per chunk, not per row");
        }

        let all = articles::find_many(&db.conn, &ids).await.unwrap();
        let changed = all.iter().filter(|a| a.title.starts_with("changed ")).count();
        assert_eq!(changed, 5_000);
        let keyed = all.iter().filter(|a| a.title_key.is_some() && a.title_key.as_deref() == bibliography::title_key(&a.title, a.pub_year).as_deref() && a.pub_year == Some(2020)).count();
        assert_eq!(keyed, 5_000, "the title key is written with the title");
        for a in &all {
            let pos = ids.iter().position(|&id| id == a.id).unwrap();
            if pos < 5_000 {
                assert_eq!(a.title, format!("changed article title {pos}"));
                assert_eq!(a.journal.as_deref(), (pos % 2 == 0).then_some("J"));
            } else {
                assert_eq!(a.title, format!("t{pos}"), "untouched row");
                assert_eq!(a.journal, None);
            }
        }
    }
}

backend_tests! {
    async fn stream_and_report_visibility_follows_the_rules(backend: Backend) {
        let db = TestDb::new(backend).await;
        let c = &db.conn;
        let org_a = common::org(c, "A").await;
        let org_b = common::org(c, "B").await;
        let platform = common::user(c, "root@x.io", UserRole::PlatformAdmin, None).await;
        let admin_a = common::user(c, "admin@a.io", UserRole::OrgAdmin, Some(org_a)).await;
        let member_a = common::user(c, "member@a.io", UserRole::Member, Some(org_a)).await;
        let member_b = common::user(c, "member@b.io", UserRole::Member, Some(org_b)).await;

        let personal = common::stream(c, StreamScope::Personal, Some(org_a), Some(member_a.id)).await;
        let org_stream = common::stream(c, StreamScope::Organization, Some(org_a), None).await;
        let global_sub = common::stream(c, StreamScope::Global, None, None).await;
        let global_unsub = common::stream(c, StreamScope::Global, None, None).await;
        streams::subscribe(c, org_b, global_sub.id).await.unwrap();
        streams::subscribe(c, org_b, global_sub.id).await.unwrap(); // idempotent

        let viewer = |u: &users::User| Viewer { user_id: u.id, org_id: u.org_id, role: u.role };
        let all = [personal.id, org_stream.id, global_sub.id, global_unsub.id];
        let expected: [(&users::User, Vec<i32>); 4] = [
            (&platform, all.to_vec()),
            (&admin_a, vec![org_stream.id]),
            (&member_a, vec![personal.id, org_stream.id]),
            (&member_b, vec![global_sub.id]),
        ];
        for (user, visible) in &expected {
            let v = viewer(user);
            let listed: Vec<i32> = streams::list_visible(c, &v, Page::first()).await.unwrap().items.iter().map(|s| s.id).collect();
            assert_eq!(&listed, visible, "streams listed for {}", user.email);
            for id in all {
                let found = streams::find_visible(c, &v, id).await.unwrap().is_some();
                assert_eq!(found, visible.contains(&id), "{} sees stream {id}", user.email);
            }
        }

        // Reports: a member sees approved ones only, except in their own personal stream.
        let pending_org = common::report_with_articles(c, org_stream.id, 1, "p").await;
        let approved_org = common::report_with_articles(c, org_stream.id, 1, "a").await;
        reports::set_approval(c, approved_org, ApprovalStatus::Approved, platform.id, None).await.unwrap();
        let pending_personal = common::report_with_articles(c, personal.id, 1, "pp").await;
        let pending_global = common::report_with_articles(c, global_sub.id, 1, "g").await;
        let approved_global = common::report_with_articles(c, global_sub.id, 1, "ga").await;
        reports::set_approval(c, approved_global, ApprovalStatus::Approved, platform.id, None).await.unwrap();

        let report_ids = |v: Viewer| async move {
            let mut ids: Vec<i32> = reports::list_visible(c, &v, ReportFilter::default(), Page::first())
                .await.unwrap().items.iter().map(|r| r.id).collect();
            ids.sort();
            ids
        };
        let mut all_reports = vec![pending_org, approved_org, pending_personal, pending_global, approved_global];
        all_reports.sort();
        assert_eq!(report_ids(viewer(&platform)).await, all_reports);
        assert_eq!(report_ids(viewer(&admin_a)).await, vec![pending_org, approved_org]);
        assert_eq!(report_ids(viewer(&member_a)).await, vec![approved_org, pending_personal]);
        assert_eq!(report_ids(viewer(&member_b)).await, vec![approved_global]);
        let filtered = reports::list_visible(c, &viewer(&admin_a), ReportFilter { stream_id: Some(org_stream.id), approval_status: Some(ApprovalStatus::Draft) }, Page::first()).await.unwrap();
        assert_eq!(filtered.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![pending_org]);
        assert!(reports::find_visible(c, &viewer(&member_b), pending_org).await.unwrap().is_none());
    }
}

backend_tests! {
    async fn emails_are_unique_in_any_letter_case_and_orgs_with_users_are_not_deleted(backend: Backend) {
        let db = TestDb::new(backend).await;
        let c = &db.conn;
        let org = common::org(c, "Org").await;
        common::user(c, "Ada@Example.com", UserRole::Member, Some(org)).await;
        let err = users::create(c, users::NewUser {
            email: "  ada@EXAMPLE.com ".into(),
            password_hash: "x".into(),
            full_name: None,
            role: UserRole::Member,
            org_id: Some(org),
        }).await.unwrap_err();
        assert!(err.is_duplicate(&Constraint::UserEmail), "got {err:?}");
        assert!(users::find_by_email(c, "ADA@example.COM").await.unwrap().is_some());

        let dup = organizations::create(c, "Org").await.unwrap_err();
        assert!(dup.is_duplicate(&Constraint::OrganizationName), "got {dup:?}");

        let err = organizations::delete(c, org).await.unwrap_err();
        assert!(matches!(err, RepoError::ForeignKey(_)), "got {err:?}");
        assert!(organizations::find(c, org).await.unwrap().is_some());

        let missing = users::get(c, 999_999).await.unwrap_err();
        assert!(matches!(missing, RepoError::NotFound { .. }));
    }
}

backend_tests! {
    async fn credentials_carry_what_authentication_checks_in_one_statement(backend: Backend) {
        let db = TestDb::new(backend).await;
        let c = &db.conn;
        let org = common::org(c, "Org").await;
        let member = common::user(c, "member@example.com", UserRole::OrgAdmin, Some(org)).await;
        let admin = common::user(c, "admin@example.com", UserRole::PlatformAdmin, None).await;
        users::update(c, member.id, users::UserUpdate { revoke_tokens: true, ..Default::default() }).await.unwrap();
        organizations::update(c, org, organizations::OrganizationUpdate { is_active: Some(false), ..Default::default() }).await.unwrap();

        let (conn, counter) = counting(c);
        let found = users::credentials(&conn, member.id).await.unwrap().expect("member");
        assert_eq!(counter.get(), 1);
        assert_eq!(found, users::Credentials {
            id: member.id,
            email: "member@example.com".into(),
            role: UserRole::OrgAdmin,
            org_id: Some(org),
            is_active: true,
            token_version: 1,
            org_active: Some(false),
        });
        let found = users::credentials(&conn, admin.id).await.unwrap().expect("admin");
        assert_eq!((found.role, found.org_id, found.org_active), (UserRole::PlatformAdmin, None, None));
        assert_eq!(users::credentials(&conn, 999_999).await.unwrap(), None);
    }
}

backend_tests! {
    async fn rankings_are_reordered_in_chunked_statements(backend: Backend) {
        let db = TestDb::new(backend).await;
        let org = common::org(&db.conn, "Org").await;
        let stream = common::stream(&db.conn, StreamScope::Organization, Some(org), None).await;
        let report = common::report_with_articles(&db.conn, stream.id, 50, "rank").await;
        let ids = repository::associations::visible_article_ids(&db.conn, report).await.unwrap();
        let reversed: Vec<(i32, i32)> = ids.iter().rev().enumerate().map(|(i, &a)| (a, i as i32 + 1)).collect();
        let (conn, counter) = counting(&db.conn);
        let n = repository::associations::set_rankings(&conn, report, &reversed).await.unwrap();
        assert_eq!(n, 50);
        assert_eq!(counter.get(), 1);
        let after = repository::associations::visible_article_ids(&db.conn, report).await.unwrap();
        assert_eq!(after, ids.into_iter().rev().collect::<Vec<_>>());
        assert_eq!(repository::associations::next_ranking(&db.conn, report).await.unwrap(), 51);
    }
}

backend_tests! {
    async fn usage_is_summed_per_model_and_day(backend: Backend) {
        use entity::enums::{LlmOutcome, LlmStage};
        use repository::usage::{self, NewUsage};
        let db = TestDb::new(backend).await;
        let row = |model: &str, p: i32, outcome| NewUsage {
            org_id: Some(7), report_id: None, stage: LlmStage::ArticleSummary, provider: "openai".into(),
            model: model.into(), prompt_tokens: p, completion_tokens: 10, latency_ms: 5, outcome, run_id: None, item: None,
            attempt: 1, http_status: None, served_model: None, response_id: None,
        };
        usage::record_many(&db.conn, vec![
            row("a", 100, LlmOutcome::Ok), row("a", 50, LlmOutcome::Error), row("b", 1, LlmOutcome::Ok),
            NewUsage { completion_tokens: 0, ..row("a", 0, LlmOutcome::Reused) }, row("a", 0, LlmOutcome::Timeout),
            NewUsage { org_id: Some(8), ..row("a", 1000, LlmOutcome::Ok) },
            NewUsage { completion_tokens: 0, http_status: Some(429), ..row("a", 0, LlmOutcome::Retried) },
        ]).await.unwrap();
        let summary = usage::summary_for_org(&db.conn, 7).await.unwrap();
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].day, today);
        // A reuse is not a call; a timeout is a failed one; a retried
        // attempt is a request sent, but not another call.
        let a = &summary[0];
        assert_eq!((a.model.as_str(), a.calls, a.attempts, a.failed_calls, a.reused, a.prompt_tokens, a.completion_tokens), ("a", 3, 4, 2, 1, 150, 30));
        let since = chrono::Utc::now() - chrono::Duration::hours(1);
        assert_eq!(usage::spent_since(&db.conn, 7, since).await.unwrap().calls, 4, "budgets count calls, not attempts");
        assert_eq!((summary[1].model.as_str(), summary[1].calls, summary[1].prompt_tokens), ("b", 1, 1));
    }
}

backend_tests! {
    async fn in_lists_of_100000_ids_work_on_every_backend(backend: Backend) {
        let db = TestDb::new(backend).await;
        let ids = articles::upsert_many(&db.conn, (0..10).map(|i| NewArticle { title: format!("a{i}"), doi: Some(format!("10.8/{i}")), ..Default::default() }).collect()).await.unwrap();
        let mut wanted: Vec<i32> = (1_000_000..1_100_000).collect();
        wanted.extend(&ids);
        let (conn, counter) = counting(&db.conn);
        let found = articles::find_many(&conn, &wanted).await.unwrap();
        assert_eq!(found.len(), 10);
        assert_eq!(counter.get(), wanted.len().div_ceil(repository::chunk::IN_LIST));
        let counts = reports::article_counts(&db.conn, &wanted).await.unwrap();
        assert!(counts.is_empty());
    }
}

backend_tests! {
    async fn users_with_their_organizations_cost_two_statements_for_1_10_and_50_users(backend: Backend) {
        let db = TestDb::new(backend).await;
        let (conn, counter) = counting(&db.conn);
        let mut costs = Vec::new();
        let mut created = 0;
        for n in [1usize, 10, 50] {
            while created < n {
                // Users spread over organizations of their own, and one platform admin.
                let org = if created == 0 { None } else { Some(common::org(&db.conn, &format!("Org {created}")).await) };
                let role = if org.is_some() { UserRole::Member } else { UserRole::PlatformAdmin };
                users::create(&db.conn, users::NewUser { email: format!("u{created}@x.test"), password_hash: "x".into(), full_name: None, role, org_id: org }).await.unwrap();
                created += 1;
            }
            counter.reset();
            let page = users::list_with_organizations(&conn, None, Page::new(0, 50).unwrap()).await.unwrap();
            costs.push(counter.get());
            assert_eq!(page.items.len(), n);
            for (user, org) in &page.items {
                assert_eq!(org.as_ref().map(|o| o.id), user.org_id, "each user with its own organization");
            }
        }
        assert_eq!(costs, vec![2, 2, 2], "the count and the joined page, whatever the size");
        counter.reset();
        let (user, org) = users::find_with_organization(&conn, 2).await.unwrap().unwrap();
        assert_eq!((org.map(|o| o.name), user.id, counter.get()), (Some("Org 1".to_owned()), 2, 1));
    }
}

backend_tests! {
    async fn cached_summaries_are_kept_once_per_key_and_found_by_key(backend: Backend) {
        use repository::summary_cache::{self, NewCachedSummary};
        let db = TestDb::new(backend).await;
        let row = |key: &str, text: &str| NewCachedSummary {
            cache_key: key.into(), text: text.into(), model: "m".into(), prompt_tokens: 10, completion_tokens: 5,
        };
        summary_cache::put_many(&db.conn, &[row("a", "first"), row("b", &"long ".repeat(4_000))]).await.unwrap();
        // A key kept already keeps its first summary, in the same statement as a new one.
        summary_cache::put_many(&db.conn, &[row("a", "second"), row("c", "third")]).await.unwrap();
        let found = summary_cache::find_many(&db.conn, &["a".into(), "c".into(), "missing".into()]).await.unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found["a"].text, "first");
        assert_eq!((found["c"].text.as_str(), found["c"].prompt_tokens), ("third", 10));
        assert_eq!(summary_cache::find_many(&db.conn, &["b".into()]).await.unwrap()["b"].text.len(), 20_000);
    }
}

backend_tests! {
    async fn a_date_no_backend_stores_is_refused_before_a_statement_binds_it(backend: Backend) {
        use chrono::NaiveDate;
        let db = TestDb::new(backend).await;
        let org = common::org(&db.conn, "Org").await;
        let stream = common::stream(&db.conn, StreamScope::Organization, Some(org), None).await;
        // A pool of two that waits one second: a connection lost to a bad
        // value would show as a timeout on the third request.
        let mut settings = TestDb::settings_for(&db.url);
        settings.max_connections = 2;
        settings.min_connections = 1;
        settings.acquire_timeout_secs = 1.0;
        let small = repository::database::connect(&settings).await.unwrap();
        let (conn, counter) = counting(&small);
        let existing = common::report_with_articles(&db.conn, stream.id, 1, "ok").await;
        for date in [NaiveDate::from_ymd_opt(-1, 1, 1), NaiveDate::from_ymd_opt(10_000, 1, 1), NaiveDate::from_ymd_opt(999, 1, 1)].into_iter().flatten().cycle().take(3) {
            let new = reports::NewReport { stream_id: stream.id, report_name: "bad".into(), report_date: date, created_by: None };
            assert!(matches!(reports::create(&conn, new).await, Err(RepoError::Unstorable(_))), "{date}");
            let change = reports::ReportUpdate { report_date: Some(date), ..Default::default() };
            assert!(matches!(reports::update(&conn, existing, change).await, Err(RepoError::Unstorable(_))), "{date}");
        }
        assert_eq!(counter.get(), 0, "no statement ran");
        repository::database::ping(&conn).await.expect("the pool still has its connections");
        small.close().await.unwrap();
    }
}

backend_tests! {
    async fn identifiers_outside_the_basic_plane_are_distinct_keys_on_every_backend(backend: Backend) {
        let db = TestDb::new(backend).await;
        let article = |pmid: &str, doi: &str| NewArticle { title: "T".into(), pmid: Some(pmid.into()), doi: Some(doi.into()), ..Default::default() };
        let first = articles::upsert_many(&db.conn, vec![article("\u{1F600}", "10.1/\u{1F600}")]).await.unwrap();
        let second = articles::upsert_many(&db.conn, vec![article("\u{1F389}", "10.1/\u{1F389}")]).await.unwrap();
        assert_ne!(first, second, "MariaDB's general collation once took every emoji for the same key");
    }
}
