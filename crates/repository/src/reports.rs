//! Reports, and reports loaded with their articles in batched queries.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::enrichments::ReportEnrichments;
use entity::enums::ApprovalStatus;
use entity::{report, report_article_association as association};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::associations::{self, ReportArticle};
use crate::{Page, Paginated, RepoError, Viewer, chunk};

pub use entity::report::Model as Report;

/// A report to create (its associations are created separately, in the same
/// transaction, by the caller).
#[derive(Debug, Clone)]
pub struct NewReport {
    pub stream_id: i32,
    pub report_name: String,
    pub report_date: NaiveDate,
    pub created_by: Option<i32>,
}

/// Fields a caller may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ReportUpdate {
    pub report_name: Option<String>,
    pub report_date: Option<NaiveDate>,
}

/// Filters of the report list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFilter {
    pub stream_id: Option<i32>,
    pub approval_status: Option<ApprovalStatus>,
}

/// A report with its articles, ordered by ranking.
#[derive(Debug, Clone)]
pub struct ReportWithArticles {
    pub report: Report,
    pub articles: Vec<ReportArticle>,
}

/// Creates a pending report.
pub async fn create<C: ConnectionTrait>(db: &C, new: NewReport) -> Result<Report, RepoError> {
    let report_date = crate::dates::check("report_date", new.report_date)?;
    let now = Utc::now();
    Ok(report::ActiveModel {
        stream_id: Set(new.stream_id),
        report_name: Set(new.report_name),
        report_date: Set(report_date),
        approval_status: Set(ApprovalStatus::Draft),
        has_curation_edits: Set(false),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The report with this id, whoever may see it.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Report>, RepoError> {
    Ok(report::Entity::find_by_id(id).one(db).await?)
}

/// The report with this id, or `NotFound`.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Report, RepoError> {
    crate::rows::get_by_id::<report::Entity, _>(db, "report", id).await
}

/// The report with this id if `viewer` may see it.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i32,
) -> Result<Option<Report>, RepoError> {
    Ok(report::Entity::find_by_id(id)
        .filter(viewer.report_condition())
        .one(db)
        .await?)
}

/// The report with this id and its stream, if `viewer` may see it: one
/// statement (a join), for reads that need to know who may curate.
pub async fn find_visible_with_stream<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i32,
) -> Result<Option<(Report, crate::streams::Stream)>, RepoError> {
    Ok(report::Entity::find_by_id(id)
        .filter(viewer.report_condition())
        .find_also_related(entity::research_stream::Entity)
        .one(db)
        .await?
        .and_then(|(report, stream)| Some((report, stream?))))
}

fn visible_query(viewer: &Viewer, filter: ReportFilter) -> sea_orm::Select<report::Entity> {
    let mut condition = Condition::all().add(viewer.report_condition());
    if let Some(stream_id) = filter.stream_id {
        condition = condition.add(report::Column::StreamId.eq(stream_id));
    }
    if let Some(status) = filter.approval_status {
        condition = condition.add(report::Column::ApprovalStatus.eq(status));
    }
    report::Entity::find().filter(condition)
}

/// A page of the reports `viewer` may see, newest first (two statements).
pub async fn list_visible<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    filter: ReportFilter,
    page: Page,
) -> Result<Paginated<Report>, RepoError> {
    let query = visible_query(viewer, filter)
        .order_by_desc(report::Column::ReportDate)
        .order_by_desc(report::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

/// A page of visible reports with the number of visible articles of each
/// (three statements, whatever the page size).
pub async fn list_visible_with_counts<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    filter: ReportFilter,
    page: Page,
) -> Result<Paginated<(Report, u64)>, RepoError> {
    let reports = list_visible(db, viewer, filter, page).await?;
    let ids: Vec<i32> = reports.items.iter().map(|r| r.id).collect();
    let counts = article_counts(db, &ids).await?;
    Ok(reports.map(|r| {
        let n = counts.get(&r.id).copied().unwrap_or(0);
        (r, n)
    }))
}

/// A page of visible reports with their visible articles (four statements,
/// whatever the page size and article count).
pub async fn list_visible_with_articles<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    filter: ReportFilter,
    page: Page,
) -> Result<Paginated<ReportWithArticles>, RepoError> {
    let reports = list_visible(db, viewer, filter, page).await?;
    let ids: Vec<i32> = reports.items.iter().map(|r| r.id).collect();
    let mut by_report = associations::load_for_reports(db, &ids, false).await?;
    Ok(reports.map(|report| ReportWithArticles {
        articles: by_report.remove(&report.id).unwrap_or_default(),
        report,
    }))
}

/// The number of visible (not excluded) articles of each report, in one
/// `GROUP BY` per chunk of ids.
pub async fn article_counts<C: ConnectionTrait>(
    db: &C,
    report_ids: &[i32],
) -> Result<HashMap<i32, u64>, RepoError> {
    let mut counts = HashMap::new();
    for part in report_ids.chunks(chunk::IN_LIST) {
        let rows: Vec<(i32, i64)> = association::Entity::find()
            .select_only()
            .column(association::Column::ReportId)
            .column_as(association::Column::ArticleId.count(), "n")
            .filter(association::Column::ReportId.is_in(part.iter().copied()))
            .filter(association::Column::IsHidden.eq(false))
            .group_by(association::Column::ReportId)
            .into_tuple()
            .all(db)
            .await?;
        counts.extend(rows.into_iter().map(|(id, n)| (id, n.max(0) as u64)));
    }
    Ok(counts)
}

/// A report's articles ordered by ranking, added to the report: one
/// statement whatever the number of articles. `include_hidden` adds
/// excluded articles (for curators).
pub async fn load_with_articles<C: ConnectionTrait>(
    db: &C,
    report: Report,
    include_hidden: bool,
) -> Result<ReportWithArticles, RepoError> {
    Ok(ReportWithArticles {
        articles: associations::load_for_report(db, report.id, include_hidden).await?,
        report,
    })
}

/// The stream's approved reports, most recently approved first, at most
/// `limit` of them.
pub async fn latest_approved<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
    limit: u64,
) -> Result<Vec<Report>, RepoError> {
    Ok(report::Entity::find()
        .filter(report::Column::StreamId.eq(stream_id))
        .filter(report::Column::ApprovalStatus.eq(ApprovalStatus::Approved))
        .order_by_desc(report::Column::ApprovedAt)
        .order_by_desc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The report with this id and its stream, in one statement (a join).
pub async fn find_with_stream<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<(Report, crate::streams::Stream)>, RepoError> {
    Ok(report::Entity::find_by_id(id)
        .find_also_related(entity::research_stream::Entity)
        .one(db)
        .await?
        .and_then(|(report, stream)| Some((report, stream?))))
}

/// Applies a partial update and returns the new row.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i32,
    changes: ReportUpdate,
) -> Result<Report, RepoError> {
    let report_date = changes
        .report_date
        .map(|d| crate::dates::check("report_date", d))
        .transpose()?;
    let mut active: report::ActiveModel = get(db, id).await?.into();
    if let Some(v) = changes.report_name {
        active.report_name = Set(v);
    }
    if let Some(v) = report_date {
        active.report_date = Set(v);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Moves the report to `draft` or `awaiting_approval`, clearing the last
/// decision (who, when, why).
pub async fn set_undecided<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: ApprovalStatus,
) -> Result<Report, RepoError> {
    set_status(db, id, status, None, None).await
}

/// Sets the approval status, with who decided and why.
pub async fn set_approval<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: ApprovalStatus,
    by: i32,
    reason: Option<String>,
) -> Result<Report, RepoError> {
    set_status(db, id, status, Some(by), reason).await
}

/// Sets the status and the decision behind it (none: no decision, no time).
async fn set_status<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: ApprovalStatus,
    decided_by: Option<i32>,
    reason: Option<String>,
) -> Result<Report, RepoError> {
    let now = Utc::now();
    let mut active: report::ActiveModel = get(db, id).await?.into();
    active.approval_status = Set(status);
    active.approved_at = Set(decided_by.map(|_| now));
    active.approved_by = Set(decided_by);
    active.rejection_reason = Set(reason);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// The versions a conditional write may start from (`If-Match` with one
/// or more tags): the write happens if the report is at any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions(pub Vec<i32>);

impl std::fmt::Display for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(i32::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

/// Bumps the report's version, the `ETag` of its representation. With
/// `expected`, only from one of those versions: `false` when the report is
/// at another one (or gone). Run first in a write transaction, it also
/// serializes concurrent writers of one report.
pub async fn bump_version<C: ConnectionTrait>(
    db: &C,
    id: i32,
    expected: Option<&Versions>,
) -> Result<bool, RepoError> {
    Ok(version_update(id, expected).exec(db).await?.rows_affected == 1)
}

/// Like [`bump_version`], for changes of a report's contents: `false` also
/// when the report is approved (approved reports are immutable).
pub async fn bump_version_if_editable<C: ConnectionTrait>(
    db: &C,
    id: i32,
    expected: Option<&Versions>,
) -> Result<bool, RepoError> {
    let update = version_update(id, expected)
        .filter(report::Column::ApprovalStatus.ne(ApprovalStatus::Approved));
    Ok(update.exec(db).await?.rows_affected == 1)
}

fn version_update(id: i32, expected: Option<&Versions>) -> sea_orm::UpdateMany<report::Entity> {
    let mut update = report::Entity::update_many()
        .col_expr(
            report::Column::Version,
            sea_orm::sea_query::ExprTrait::add(Expr::col(report::Column::Version), 1),
        )
        .filter(report::Column::Id.eq(id));
    if let Some(versions) = expected {
        update = update.filter(report::Column::Version.is_in(versions.0.iter().copied()));
    }
    update
}

/// Records that a curator changed the report.
pub async fn mark_curated<C: ConnectionTrait>(db: &C, id: i32, by: i32) -> Result<(), RepoError> {
    let now = Utc::now();
    let result = report::Entity::update_many()
        .col_expr(report::Column::HasCurationEdits, Expr::value(true))
        .col_expr(report::Column::LastCuratedBy, Expr::value(by))
        .col_expr(report::Column::LastCuratedAt, Expr::value(now))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(id))
        .exec(db)
        .await?;
    one_updated(result.rows_affected, id)
}

/// Stores generated enrichments (the first ones also as
/// `original_enrichments`) and moves the report to its next version, in one
/// statement. `NotFound` when the report is gone.
pub async fn set_enrichments<C: ConnectionTrait>(
    db: &C,
    id: i32,
    enrichments: ReportEnrichments,
) -> Result<(), RepoError> {
    let first = Expr::value(enrichments.clone());
    let result = enrichments_update(id, enrichments, first)
        .col_expr(
            report::Column::Version,
            sea_orm::sea_query::ExprTrait::add(Expr::col(report::Column::Version), 1),
        )
        .exec(db)
        .await?;
    one_updated(result.rows_affected, id)
}

/// Replaces a report's enrichments with a curator's edit; the first
/// enrichments (the LLM's) stay in `original_enrichments`. Does not move the
/// version: the edit's transaction did when it began.
pub async fn edit_enrichments<C: ConnectionTrait>(
    db: &C,
    id: i32,
    enrichments: ReportEnrichments,
) -> Result<(), RepoError> {
    let current = Expr::col(report::Column::Enrichments);
    let result = enrichments_update(id, enrichments, current)
        .exec(db)
        .await?;
    one_updated(result.rows_affected, id)
}

/// An update of the report's enrichments that keeps `original` as the
/// original ones when there are none yet.
fn enrichments_update(
    id: i32,
    enrichments: ReportEnrichments,
    original: Expr,
) -> sea_orm::UpdateMany<report::Entity> {
    // First: MySQL evaluates assignments left to right, so `original` may
    // read the enrichments before the next assignment replaces them.
    report::Entity::update_many()
        .col_expr(
            report::Column::OriginalEnrichments,
            Func::coalesce([Expr::col(report::Column::OriginalEnrichments), original]).into(),
        )
        .col_expr(report::Column::Enrichments, Expr::value(enrichments))
        .col_expr(report::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(report::Column::Id.eq(id))
}

/// `NotFound` unless the statement matched the report.
fn one_updated(rows_affected: u64, id: i32) -> Result<(), RepoError> {
    if rows_affected == 0 {
        return Err(RepoError::NotFound {
            entity: "report",
            id: id.into(),
        });
    }
    Ok(())
}

/// Deletes a report with its associations and events (cascade).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), RepoError> {
    let result = report::Entity::delete_by_id(id).exec(db).await?;
    one_updated(result.rows_affected, id)
}

/// Moves each of the reports to its next version, whatever their status:
/// what they show changed underneath them (a shared article was updated).
pub async fn bump_versions<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<(), RepoError> {
    for part in ids.chunks(crate::chunk::IN_LIST) {
        report::Entity::update_many()
            .col_expr(
                report::Column::Version,
                sea_orm::sea_query::ExprTrait::add(Expr::col(report::Column::Version), 1),
            )
            .col_expr(report::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
            .filter(report::Column::Id.is_in(part.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// How many reports `user_id` created since `since`, and when the oldest of
/// them was created.
pub async fn created_by_since<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    since: chrono::DateTime<Utc>,
) -> Result<(u64, Option<chrono::DateTime<Utc>>), RepoError> {
    let row: Option<(i64, Option<chrono::DateTime<Utc>>)> = report::Entity::find()
        .select_only()
        .column_as(report::Column::Id.count(), "made")
        .column_as(report::Column::CreatedAt.min(), "oldest")
        .filter(report::Column::CreatedBy.eq(user_id))
        .filter(report::Column::CreatedAt.gte(since))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map_or((0, None), |(n, oldest)| {
        (u64::try_from(n).unwrap_or(0), oldest)
    }))
}

/// The window of what the stream took in for this report: after the
/// stream's previous report was created, up to this report's creation, or
/// open when it is the stream's latest (the windows of a stream's reports
/// never overlap).
pub async fn intake_window<C: ConnectionTrait>(
    db: &C,
    report: &Report,
) -> Result<(Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>), RepoError> {
    let of_stream = || report::Entity::find().filter(report::Column::StreamId.eq(report.stream_id));
    let before = of_stream()
        .filter(report::Column::Id.lt(report.id))
        .order_by_desc(report::Column::Id)
        .one(db)
        .await?;
    let later = of_stream()
        .filter(report::Column::Id.gt(report.id))
        .order_by_asc(report::Column::Id)
        .one(db)
        .await?;
    Ok((
        before.map(|r| r.created_at),
        later.map(|_| report.created_at),
    ))
}
