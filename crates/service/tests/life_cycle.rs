//! The report life cycle: draft → awaiting_approval → approved | rejected,
//! reopen back to draft; who may move a report, from which status, and an
//! approved report's immutability.

mod common;

use common::outcome;
use entity::enums::{ApprovalStatus, CurationEventType};
use service::curation::EditArticle;
use service::{Actor, ConflictKind, ServiceError};
use test_support::{TestDb, backend_tests};

#[derive(Clone, Copy, Debug)]
enum Move {
    Submit,
    Approve,
    Reject,
    Reopen,
}

async fn apply(w: &common::World, actor: &Actor, m: Move) -> &'static str {
    let c = &w.services.curation;
    match m {
        Move::Submit => outcome(c.submit(actor, w.report).await),
        Move::Approve => outcome(c.approve(actor, w.report).await),
        Move::Reject => outcome(c.reject(actor, w.report, "not yet".into()).await),
        Move::Reopen => outcome(c.reopen(actor, w.report, "new findings".into()).await),
    }
}

/// Takes the report (a draft) to `status` through allowed moves.
async fn bring_to(w: &common::World, status: ApprovalStatus) {
    let path: &[Move] = match status {
        ApprovalStatus::Draft => &[],
        ApprovalStatus::AwaitingApproval => &[Move::Submit],
        ApprovalStatus::Approved => &[Move::Submit, Move::Approve],
        ApprovalStatus::Rejected => &[Move::Submit, Move::Reject],
    };
    for m in path {
        assert_eq!(
            apply(w, &w.admin_a, *m).await,
            "ok",
            "{m:?} towards {status:?}"
        );
    }
}

async fn status_of(w: &common::World) -> ApprovalStatus {
    w.services
        .reports
        .get(&w.platform, w.report)
        .await
        .unwrap()
        .report
        .approval_status
}

backend_tests! {
    async fn every_transition_is_allowed_only_from_its_status_and_only_to_curators(backend: Backend) {
        use ApprovalStatus::*;
        let statuses = [Draft, AwaitingApproval, Approved, Rejected];
        let moves = [
            (Move::Submit, &[Draft][..], AwaitingApproval),
            (Move::Approve, &[AwaitingApproval][..], Approved),
            (Move::Reject, &[AwaitingApproval][..], Rejected),
            (Move::Reopen, &[Approved, Rejected][..], Draft),
        ];
        for (m, from, to) in moves {
            for status in statuses {
                // A fresh world per cell: each starts from a draft.
                let db = TestDb::new(backend).await;
                let w = common::world(&db.conn, common::offline(), 2).await;
                bring_to(&w, status).await;
                // Members may not move a report of their organization's
                // stream; another organization's admin does not see it.
                assert_eq!(apply(&w, &w.member_a, m).await, if status == Approved { "403" } else { "404" }, "member_a {m:?} from {status:?}");
                assert_eq!(apply(&w, &w.admin_b, m).await, "404", "admin_b {m:?} from {status:?}");
                let events_before = w.services.reports.events(&w.platform, w.report, service::Page::first()).await.unwrap().total;
                let got = apply(&w, &w.admin_a, m).await;
                let events_after = w.services.reports.events(&w.platform, w.report, service::Page::first()).await.unwrap();
                if from.contains(&status) {
                    assert_eq!(got, "ok", "{m:?} from {status:?}");
                    assert_eq!(status_of(&w).await, to, "{m:?} from {status:?}");
                    assert_eq!(events_after.total, events_before + 1, "one event per transition");
                    let last = events_after.items.last().unwrap();
                    let expected = match m {
                        Move::Submit => CurationEventType::Submit,
                        Move::Approve => CurationEventType::Approve,
                        Move::Reject => CurationEventType::Reject,
                        Move::Reopen => CurationEventType::Reopen,
                    };
                    assert_eq!(last.event_type, expected);
                } else {
                    assert_eq!(got, "409", "{m:?} from {status:?}");
                    assert_eq!(status_of(&w).await, status, "a refused move changes nothing");
                    assert_eq!(events_after.total, events_before, "a refused move records nothing");
                }
                drop((w, db));
            }
        }
    }
}

backend_tests! {
    async fn an_approved_report_refuses_every_change_until_reopened(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 2).await;
        bring_to(&w, ApprovalStatus::Approved).await;
        let before = w.services.reports.get(&w.platform, w.report).await.unwrap();
        let (c, r, a, admin) = (&w.services.curation, w.report, w.article_ids[0], &w.admin_a);
        let refusals = [
            ("exclude", c.set_excluded(admin, r, a, true, None).await.map(|_| ())),
            ("edit", c.edit(admin, r, a, EditArticle { notes: Some("n".into()), ..Default::default() }).await.map(|_| ())),
            ("reorder", c.reorder(admin, r, w.article_ids.iter().rev().copied().collect()).await),
            ("rename", w.services.reports.update(admin, r, Some("Renamed".into()), None, None).await.map(|_| ())),
            ("summarize", w.services.summaries.summarize(admin, r, true).await.map(|_| ())),
        ];
        for (what, result) in refusals {
            match result {
                Err(ServiceError::Conflict { kind, detail }) => {
                    assert_eq!(kind, ConflictKind::ReportStatus, "{what}");
                    assert!(detail.contains("reopen"), "{what}: {detail}");
                }
                other => panic!("{what} of an approved report: {other:?}"),
            }
        }
        let after = w.services.reports.get(&w.platform, r).await.unwrap();
        assert_eq!(after.report, before.report, "the approved report is as it was");
        assert_eq!(after.articles.len(), before.articles.len());

        assert_eq!(apply(&w, admin, Move::Reopen).await, "ok");
        assert_eq!(outcome(c.set_excluded(admin, r, a, true, None).await), "ok", "a reopened draft changes again");
        assert_eq!(outcome(c.reopen(admin, r, "  ".into()).await), "422", "a reason is required");
    }
}
