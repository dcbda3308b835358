//! The summary pipeline through the real async-openai client against the
//! mock OpenAI-compatible server.

mod common;

use std::time::{Duration, Instant};

use entity::enums::{LlmOutcome, LlmStage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use service::ServiceError;
use service::summaries::report_enrichments;
use test_support::mock_llm::{Action, MockConfig, MockLlm, Rule};
use test_support::{TestDb, backend_tests};

async fn mock(latency_ms: u64) -> MockLlm {
    MockLlm::start(MockConfig {
        latency: Duration::from_millis(latency_ms),
        prompt_tokens: 111,
        completion_tokens: 22,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

async fn usage_rows(
    db: &sea_orm::DatabaseConnection,
    report: i32,
) -> Vec<entity::llm_usage::Model> {
    entity::llm_usage::Entity::find()
        .filter(entity::llm_usage::Column::ReportId.eq(report))
        .all(db)
        .await
        .unwrap()
}

backend_tests! {
    async fn summarize_runs_three_stages_in_order_and_stores_results_and_usage(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(20).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 4).await;
        let result = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(result.article_summaries, 4);
        assert_eq!(result.provider, "openai");
        assert_eq!(result.usage.llm_calls, 4 + 2 + 1, "4 articles, 2 categories, 1 executive");
        assert_eq!(result.usage.prompt_tokens, 7 * 111);
        assert_eq!(result.category_summaries.keys().cloned().collect::<Vec<_>>(), vec!["genomics", "immuno"]);

        let received = llm.received();
        assert_eq!(received.len(), 7);
        // Stage order: every article call before any category call, the executive last.
        let article_calls: Vec<_> = received.iter().filter(|r| r.user.contains("Authors:")).collect();
        let category_calls: Vec<_> = received.iter().filter(|r| r.user.contains("Category:")).collect();
        let executive = received.iter().find(|r| r.user.starts_with("Report: Week 1")).unwrap();
        assert_eq!((article_calls.len(), category_calls.len()), (4, 2));
        let last_article = article_calls.iter().map(|r| r.at).max().unwrap();
        assert!(category_calls.iter().all(|r| r.at > last_article));
        assert!(category_calls.iter().all(|r| r.at < executive.at));
        // Prompts carry the fields of their type.
        let first = article_calls.iter().find(|r| r.user.contains("Article w0 on T cell exhaustion")).unwrap();
        assert!(first.user.contains("Abstract w0.") && first.user.contains("Journal of Tests") && first.user.contains("Follow translational oncology."));
        assert!(executive.user.contains("Week 1"));
        // Category summaries reach the executive prompt under their names.
        assert!(executive.user.contains("- Immunology: ") && executive.user.contains("- Genomics: "), "{}", executive.user);
        assert!(!executive.user.contains("- immuno: "), "{}", executive.user);
        assert_eq!(first.model, "mock-model");

        // Results are on the right rows.
        let report = w.services.reports.get(&w.admin_a, w.report).await.unwrap();
        for a in &report.articles {
            let summary = a.association.ai_summary.as_deref().unwrap();
            let n = a.article.title.split_whitespace().nth(1).unwrap().to_owned();
            assert!(summary.contains(&format!("Abstract {n}")), "{summary} belongs to {}", a.article.title);
        }
        let enrichments = report_enrichments(&db.conn, w.report).await.unwrap().unwrap();
        assert_eq!(enrichments.executive_summary.as_deref(), Some(result.executive_summary.as_str()));
        let rows = usage_rows(&db.conn, w.report).await;
        assert_eq!(rows.len(), 7);
        assert!(rows.iter().all(|r| r.prompt_tokens == 111 && r.completion_tokens == 22 && r.outcome == LlmOutcome::Ok && r.org_id == Some(w.org_a)));
        assert_eq!(rows.iter().filter(|r| r.stage == LlmStage::ArticleSummary).count(), 4);

        // Nothing missing: a second run only redoes categories and executive.
        llm.reset();
        let again = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!((again.article_summaries, llm.count()), (0, 3));
    }
}

backend_tests! {
    async fn summarize_does_not_hold_a_connection_during_llm_calls(backend: Backend) {
        let db = TestDb::with_settings(backend, |s| { s.max_connections = 1; s.min_connections = 1; }).await;
        let llm = mock(300).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 2).await;
        let mut reports = vec![w.report];
        for _ in 0..19 {
            reports.push(w.services.reports.create(&w.admin_a, w.org_stream, common::report_input(&w.article_ids)).await.unwrap().id);
        }
        let runs = reports.iter().map(|&r| {
            let (s, actor) = (w.services.summaries.clone(), w.admin_a.clone());
            tokio::spawn(async move { s.summarize(&actor, r, true).await })
        });
        for r in futures::future::join_all(runs).await {
            r.unwrap().unwrap();
        }
        // One summary has at most 2 calls in flight (its 2 articles). With a
        // single pooled connection, a summary that held it across an LLM call
        // would keep every other summary out: more than 2 calls at once
        // proves the connection is released while the LLM works.
        assert!(llm.max_in_flight() > 2, "at most {} LLM calls at once on one connection", llm.max_in_flight());
        assert_eq!(llm.count(), 20 * (2 + 2 + 1), "2 articles, 2 categories, 1 executive each");
    }
}

backend_tests! {
    async fn the_global_cap_bounds_concurrent_llm_calls(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(50).await;
        let mut settings = common::mock_llm(&llm.base_url());
        settings.global_concurrency = 4;
        settings.default_max_concurrent = 40;
        let w = common::world(&db.conn, settings, 40).await;
        w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(llm.count(), 40 + 2 + 1);
        assert_eq!(llm.max_in_flight(), 4, "never more than the cap, and the cap is used");
    }
}

backend_tests! {
    async fn a_failed_article_gives_an_error_keeps_the_others_and_a_rerun_does_only_what_is_missing(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(5).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 4).await;
        llm.add_rule(Rule { matches: "Article w2 on".into(), action: Action::Status { status: 500, retry_after: None }, times: None });
        let err = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap_err();
        let ServiceError::LlmFailed { failed, timeout, run_id } = err else { panic!("{err:?}") };
        assert!(run_id.is_some(), "the failure names its run");
        assert!(!timeout);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].item.as_deref(), Some(w.article_ids[2].to_string().as_str()));
        assert_eq!(llm.count(), 3 + 2, "3 good articles, and 2 attempts for the failing one");
        assert!(report_enrichments(&db.conn, w.report).await.unwrap().is_none(), "enrichments unchanged");
        let report = w.services.reports.get(&w.admin_a, w.report).await.unwrap();
        assert_eq!(report.articles.iter().filter(|a| a.association.ai_summary.is_some()).count(), 3, "finished work kept");
        let failed_rows: Vec<(i32, LlmOutcome)> = usage_rows(&db.conn, w.report).await.into_iter().filter(|r| r.outcome != LlmOutcome::Ok).map(|r| (r.attempt, r.outcome)).collect();
        assert_eq!(failed_rows, [(1, LlmOutcome::Retried), (2, LlmOutcome::Error)], "the ledger records both attempts of the failed call");

        llm.clear_rules();
        llm.reset();
        let ok = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(ok.article_summaries, 1);
        assert_eq!(llm.count(), 1 + 2 + 1, "only the missing article, then categories and executive");
        assert!(report_enrichments(&db.conn, w.report).await.unwrap().is_some());
    }
}

backend_tests! {
    async fn timeouts_are_reported_as_such_and_rate_limits_are_retried(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(5).await;
        let mut settings = common::mock_llm(&llm.base_url());
        // A normal call takes 5 ms; 1 s leaves room for a loaded machine and
        // still times out on the 3 s delay.
        settings.request_timeout_secs = 1.0;
        let w = common::world(&db.conn, settings, 2).await;
        llm.add_rule(Rule { matches: "Article w1 on".into(), action: Action::Delay(Duration::from_secs(3)), times: None });
        let err = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap_err();
        assert!(matches!(err, ServiceError::LlmFailed { timeout: true, .. }), "{err:?}");

        llm.clear_rules();
        llm.reset();
        llm.add_rule(Rule { matches: "Article w1 on".into(), action: Action::Status { status: 429, retry_after: Some(1) }, times: Some(1) });
        let started = Instant::now();
        w.services.summaries.summarize(&w.admin_a, w.report, true).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured");
        assert_eq!(llm.received().iter().filter(|r| r.user.contains("Authors:") && r.user.contains("Article w1 on")).count(), 2);
    }
}

backend_tests! {
    async fn concurrent_summaries_of_one_report_share_one_run(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(200).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 3).await;
        let (a, b) = tokio::join!(
            w.services.summaries.summarize(&w.admin_a, w.report, true),
            w.services.summaries.summarize(&w.platform, w.report, true),
        );
        assert_eq!(a.unwrap().executive_summary, b.unwrap().executive_summary);
        assert_eq!(llm.count(), 3 + 2 + 1, "one set of LLM calls");
    }
}

backend_tests! {
    async fn the_offline_provider_summarizes_without_a_network(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 3).await;
        let result = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(result.provider, "offline");
        assert!(!result.executive_summary.is_empty());
        let preview = w.services.summaries.preview(&w.admin_a, w.report, LlmStage::ArticleSummary, service::summaries::PreviewPrompts { system_prompt: None, user_prompt_template: Some("{title}. {abstract}".into()) }, Some(w.article_ids[0])).await.unwrap();
        assert!(preview.user_prompt.starts_with("Article w0"));
        assert!(!preview.text.is_empty());
        let bad = w.services.summaries.preview(&w.admin_a, w.report, LlmStage::ArticleSummary, service::summaries::PreviewPrompts { system_prompt: None, user_prompt_template: Some("{nope}".into()) }, None).await;
        assert!(matches!(bad, Err(ServiceError::Validation(_))));
    }
}

backend_tests! {
    async fn a_summarize_writes_each_stage_in_one_transaction_and_reads_nothing_twice(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(1).await;
        let (conn, counter) = test_support::counting(&db.conn);
        let w = common::world(&conn, common::mock_llm(&llm.base_url()), 4).await;
        // Long enough that only a stage's end stores its calls.
        let jobs = service::JobSettings { flush_ms: 60_000, ..Default::default() };
        let summaries = w.services.clone().with_jobs(jobs).summaries;
        counter.reset();
        let result = summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(result.usage.llm_calls, 4 + 2 + 1);
        let statements = counter.statements();
        let writes: Vec<&String> = statements.iter().filter(|s| !s.starts_with("SELECT")).collect();
        let on = |table: &str, verb: &str| writes.iter().filter(|s| s.starts_with(verb) && s.contains(table)).count();
        // The run inserted already claimed (a worker is free here), then a
        // progress update per stage (the last one ends the run).
        assert_eq!(on("summary_runs", "INSERT"), 1, "{writes:#?}");
        assert_eq!(on("summary_runs", "UPDATE"), 3, "{writes:#?}");
        // The four article summaries in one statement; the ledger in one
        // insert per stage; the report's version moved by the article
        // summaries and by the enrichments.
        assert_eq!(on("report_article_associations", "UPDATE"), 1, "{writes:#?}");
        assert_eq!(on("llm_usage", "INSERT"), 3, "{writes:#?}");
        assert_eq!(on("reports", "UPDATE"), 2, "{writes:#?}");
        // The four new summaries go to the summary cache in one insert, after
        // their stage's transaction (the cache only saves money).
        assert_eq!(on("summary_cache", "INSERT"), 1, "{writes:#?}");
        assert_eq!(writes.len(), 1 + 3 + 1 + 3 + 2 + 1, "nothing else is written: {writes:#?}");
        let reads = statements.len() - writes.len();
        eprintln!("{} statements for a summarize of 4 articles: {} writes, {reads} reads", statements.len(), writes.len());
        // The request's checks (report with stream, an active run to join,
        // article counts); queueing locks the organization (which says it
        // has no monthly limits) and counts its active runs and the
        // requester's (the caps). The worker reads the run's input (report
        // with stream, articles with associations) and looks in the summary
        // cache once. The run was inserted claimed and is not read back (nor
        // on MariaDB, which has no INSERT … RETURNING), and the waiter gets
        // the result from the worker, not from the database.
        assert!(reads <= 8, "{reads} reads: {statements:#?}");
    }
}

backend_tests! {
    async fn a_run_queued_just_after_its_report_was_approved_calls_nothing_and_fails_with_a_conflict(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(1).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 2).await;
        // A request that passed its status check, and an approval that
        // committed before the request queued its run (so it saw none).
        let new = repository::summary_runs::NewRun { reserved_calls: 0, reserved_tokens: 0, report_id: w.report, org_id: Some(w.org_a), requested_by: Some(w.admin_a.id), force: false, articles_total: 2 };
        let (run, queued) = repository::summary_runs::queue_or_join(&db.conn, new).await.unwrap();
        assert!(queued);
        repository::reports::set_approval(&db.conn, w.report, entity::enums::ApprovalStatus::Approved, w.admin_a.id, None).await.unwrap();
        let before = w.services.reports.get(&w.platform, w.report).await.unwrap();

        let workers = w.services.summaries.start_workers();
        let waiting = Instant::now();
        let ended = loop {
            let now = repository::summary_runs::get(&db.conn, run.id).await.unwrap();
            if now.status.is_finished() {
                break now;
            }
            assert!(waiting.elapsed() < Duration::from_secs(60), "the run did not end: {now:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        workers.shutdown(Duration::from_secs(1)).await;
        assert_eq!(ended.status, entity::enums::RunStatus::Failed);
        assert_eq!(ended.error.as_deref(), Some("conflict"));
        assert!(ended.error_detail.as_deref().unwrap_or_default().contains("reopen"), "{ended:?}");
        assert_eq!(llm.count(), 0, "no call for an approved report");
        let after = w.services.reports.get(&w.platform, w.report).await.unwrap();
        assert_eq!(after.report, before.report, "the approved report is as it was");
    }
}

backend_tests! {
    async fn a_summary_already_paid_for_is_reused_within_its_organization_and_never_across(backend: Backend) {
        use entity::enums::StreamScope;
        let db = TestDb::new(backend).await;
        let llm = mock(1).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 4).await;
        let first = w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(first.usage.llm_calls, 4 + 2 + 1);

        // Organization B guesses A's stream name and purpose: its article
        // prompts are the very requests A paid for, and still nothing of
        // A's is reused (a hit would tell B that it guessed right).
        let categories: service::streams::PresentationConfig = serde_json::from_value(serde_json::json!({"categories": [
            {"id": "immuno", "name": "Immunology", "topics": ["T cells"]},
            {"id": "genomics", "name": "Genomics", "topics": ["CRISPR"]}
        ]})).unwrap();
        let stream_b = w.services.streams.create(&w.admin_b, service::streams::CreateStream {
            stream_name: "Org A stream".into(),
            purpose: "Follow translational oncology.".into(),
            scope: StreamScope::Organization,
            org_id: None,
            presentation_config: Some(categories),
            enrichment_config: None,
            llm_config: None,
            retrieval_config: None,
        }).await.unwrap().id;
        let report_b = w.services.reports.create(&w.admin_b, stream_b, common::report_input(&w.article_ids)).await.unwrap().id;
        let estimate = w.services.summaries.estimate(&w.admin_b, report_b, false).await.unwrap();
        assert_eq!((estimate.llm_calls, estimate.article_calls, estimate.reused), (7, 4, 0), "{estimate:?}");

        // A's next report of the same articles reuses what A paid for.
        let report_a2 = w.services.reports.create(&w.admin_a, w.org_stream, common::report_input(&w.article_ids)).await.unwrap().id;
        llm.reset();
        let estimate = w.services.summaries.estimate(&w.admin_a, report_a2, false).await.unwrap();
        assert_eq!((estimate.llm_calls, estimate.article_calls, estimate.reused), (3, 0, 4), "{estimate:?}");
        let second = w.services.summaries.summarize(&w.admin_a, report_a2, false).await.unwrap();
        assert_eq!(second.article_summaries, 4, "every article has its summary");
        assert_eq!(second.usage.llm_calls, 2 + 1, "only the category and executive calls were made");
        assert_eq!(llm.received().iter().filter(|r| r.user.contains("Authors:")).count(), 0, "no article call reached the provider");
        let reused: Vec<entity::llm_usage::Model> = entity::llm_usage::Entity::find()
            .filter(entity::llm_usage::Column::ReportId.eq(report_a2))
            .filter(entity::llm_usage::Column::Outcome.eq(LlmOutcome::Reused))
            .all(&db.conn).await.unwrap();
        assert_eq!(reused.len(), 4);
        assert!(reused.iter().all(|r| r.prompt_tokens == 0 && r.completion_tokens == 0 && r.org_id == Some(w.org_a)));
        let usage = w.services.organizations.usage(&w.admin_a, w.org_a).await.unwrap();
        assert_eq!(usage.iter().map(|u| u.reused).sum::<i64>(), 4);

        // B pays for its own; `force` asks the provider again.
        llm.reset();
        let b = w.services.summaries.summarize(&w.admin_b, report_b, false).await.unwrap();
        assert_eq!(b.usage.llm_calls, 4 + 2 + 1);
        assert_eq!(llm.count(), 7);
        llm.reset();
        let forced = w.services.summaries.summarize(&w.admin_a, report_a2, true).await.unwrap();
        assert_eq!(forced.usage.llm_calls, 4 + 2 + 1);
        assert_eq!(llm.count(), 7);
    }
}

backend_tests! {
    async fn a_dry_run_calls_nothing_and_counts_the_calls_the_run_then_makes(backend: Backend) {
        let db = TestDb::new(backend).await;
        let llm = mock(1).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 4).await;
        let summaries = &w.services.summaries;
        for (force, expected_article_calls) in [(false, 4), (false, 0), (true, 4)] {
            let before = summary_state(&db).await;
            let estimate = summaries.estimate(&w.admin_a, w.report, force).await.unwrap();
            assert_eq!(summary_state(&db).await, before, "a dry run stores nothing");
            assert_eq!(estimate.article_calls, expected_article_calls, "force {force}: {estimate:?}");
            assert!(estimate.prompt_tokens > 0 && estimate.max_completion_tokens > 0);
            llm.reset();
            let run = summaries.summarize(&w.admin_a, w.report, force).await.unwrap();
            assert_eq!(run.usage.llm_calls, estimate.llm_calls, "force {force}: the run made the calls estimated");
            assert_eq!(llm.count() as u32, estimate.llm_calls, "force {force}: and the provider saw them");
        }
        // A member may not even ask what it would cost.
        assert!(matches!(summaries.estimate(&w.member_a, w.report, false).await, Err(ServiceError::NotFound(_))));
    }
}

/// Runs and ledger rows: what a dry run must leave as it found them.
async fn summary_state(db: &TestDb) -> (u64, u64) {
    use sea_orm::PaginatorTrait;
    let runs = entity::summary_run::Entity::find()
        .count(&db.conn)
        .await
        .unwrap();
    let ledger = entity::llm_usage::Entity::find()
        .count(&db.conn)
        .await
        .unwrap();
    (runs, ledger)
}

backend_tests! {
    async fn a_run_past_the_monthly_budget_is_refused_before_its_first_call(backend: Backend) {
        use service::organizations::OrganizationChanges;
        let db = TestDb::new(backend).await;
        let llm = mock(1).await;
        let w = common::world(&db.conn, common::mock_llm(&llm.base_url()), 4).await;
        let limits = |calls: Option<i32>, tokens: Option<i64>| OrganizationChanges {
            monthly_llm_calls: Some(calls),
            monthly_llm_tokens: Some(tokens),
            ..Default::default()
        };
        let orgs = &w.services.organizations;
        let refused = |r: Result<service::summaries::SummaryResult, ServiceError>, what: &str| match r {
            Err(ServiceError::BudgetExceeded { detail, retry_after }) => {
                // The time to the first of next month.
                assert!((1..=31 * 86_400).contains(&retry_after.as_secs()), "{retry_after:?}");
                assert!(detail.contains(what) && detail.contains("resets at"), "{detail}");
            }
            other => panic!("expected a refusal naming {what}: {other:?}"),
        };
        assert!(matches!(orgs.update(&w.admin_a, w.org_a, limits(Some(100), None)).await, Err(ServiceError::Forbidden(_))), "org admins read limits, platform admins set them");
        assert!(matches!(orgs.update(&w.platform, w.org_a, limits(Some(-1), None)).await, Err(ServiceError::Validation(_))));

        // The run needs 4 + 2 + 1 calls.
        orgs.update(&w.platform, w.org_a, limits(Some(6), None)).await.unwrap();
        refused(w.services.summaries.summarize(&w.admin_a, w.report, false).await, "LLM calls");
        assert_eq!(llm.count(), 0, "refused before the first call");
        assert_eq!(summary_state(&db).await, (0, 0), "no run queued, nothing on the ledger");

        // What the month spent counts: 7 of 9, and a second run needs 3.
        orgs.update(&w.platform, w.org_a, limits(Some(9), None)).await.unwrap();
        w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        refused(w.services.summaries.summarize(&w.admin_a, w.report, false).await, "LLM calls");
        assert_eq!(llm.count(), 7);

        orgs.update(&w.platform, w.org_a, limits(None, Some(1_000))).await.unwrap();
        refused(w.services.summaries.summarize(&w.admin_a, w.report, false).await, "tokens");
        let org = orgs.update(&w.platform, w.org_a, limits(None, None)).await.unwrap();
        assert_eq!((org.monthly_llm_calls, org.monthly_llm_tokens), (None, None));
        w.services.summaries.summarize(&w.admin_a, w.report, false).await.unwrap();
        assert_eq!(llm.count(), 10, "no limit, no refusal");
    }
}
