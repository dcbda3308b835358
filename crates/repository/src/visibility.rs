//! The visibility rules of the API contract as SQL conditions.
//!
//! A stream is visible to its owner (`personal`), to every user of its
//! organization (`organization`), to every user of a subscribed organization
//! (`global`), and to platform admins. A report is visible where its stream
//! is, except that a `member` sees only approved reports — apart from the
//! reports of their own personal streams, which they curate themselves.

use entity::enums::{ApprovalStatus, StreamScope, UserRole};
use entity::{org_stream_subscription, report, research_stream};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition};

/// Who is asking: the user, their organization and role, as stored in the
/// database (never as claimed by a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i32,
    pub org_id: Option<i32>,
    pub role: UserRole,
}

impl Viewer {
    /// True for platform admins, who see everything.
    pub fn is_platform_admin(&self) -> bool {
        self.role == UserRole::PlatformAdmin
    }

    /// The condition on `research_streams` selecting the streams this viewer
    /// may see.
    pub fn stream_condition(&self) -> Condition {
        if self.is_platform_admin() {
            return Condition::all();
        }
        let mut any = Condition::any().add(
            Condition::all()
                .add(research_stream::Column::Scope.eq(StreamScope::Personal))
                .add(research_stream::Column::OwnerUserId.eq(self.user_id)),
        );
        if let Some(org_id) = self.org_id {
            any = any
                .add(
                    Condition::all()
                        .add(research_stream::Column::Scope.eq(StreamScope::Organization))
                        .add(research_stream::Column::OrgId.eq(org_id)),
                )
                .add(
                    Condition::all()
                        .add(research_stream::Column::Scope.eq(StreamScope::Global))
                        .add(
                            research_stream::Column::Id.in_subquery(
                                Query::select()
                                    .column(org_stream_subscription::Column::StreamId)
                                    .from(org_stream_subscription::Entity)
                                    .and_where(org_stream_subscription::Column::OrgId.eq(org_id))
                                    .to_owned(),
                            ),
                        ),
                );
        }
        any
    }

    /// The condition on `reports` selecting the reports this viewer may see.
    pub fn report_condition(&self) -> Condition {
        if self.is_platform_admin() {
            return Condition::all();
        }
        let visible_streams = Query::select()
            .column(research_stream::Column::Id)
            .from(research_stream::Entity)
            .cond_where(self.stream_condition())
            .to_owned();
        let mut condition =
            Condition::all().add(report::Column::StreamId.in_subquery(visible_streams));
        if self.role == UserRole::Member {
            let own_streams = Query::select()
                .column(research_stream::Column::Id)
                .from(research_stream::Entity)
                .and_where(research_stream::Column::Scope.eq(StreamScope::Personal))
                .and_where(research_stream::Column::OwnerUserId.eq(self.user_id))
                .to_owned();
            condition = condition.add(
                Condition::any()
                    .add(report::Column::ApprovalStatus.eq(ApprovalStatus::Approved))
                    .add(report::Column::StreamId.in_subquery(own_streams)),
            );
        }
        condition
    }
}
