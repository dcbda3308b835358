//! The checks every operation on a report makes before it acts, in one
//! place for reports, curation and summaries: the caller may see the report,
//! may change it, its stream is active, the report is editable and at the
//! version the caller read, and the categories named are the stream's.

use std::collections::HashSet;

use entity::enums::ApprovalStatus;
use repository::reports::{self, Report, Versions};
use repository::streams::Stream;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::access::{self, Actor};
use crate::{ConflictKind, FieldError, ServiceError, limits};

/// A report the caller may see, with its stream.
pub(crate) async fn get_visible(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<(Report, Stream), ServiceError> {
    // The visibility filter and the stream are part of the report's query.
    reports::find_visible_with_stream(db, &actor.viewer(), id)
        .await?
        .ok_or(ServiceError::NotFound("report"))
}

/// A report the caller may see and change (curate, summarize, approve).
pub(crate) async fn get_for_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<(Report, Stream), ServiceError> {
    let (report, stream) = get_visible(db, actor, id).await?;
    access::require_stream_change(actor, &stream)?;
    Ok((report, stream))
}

/// The ids of the stream's presentation categories, built once per
/// request so that checking N articles stays linear.
pub fn category_ids(stream: &Stream) -> HashSet<&str> {
    stream
        .presentation_config
        .categories
        .iter()
        .map(|c| c.id.as_str())
        .collect()
}

/// Checks category ids against the stream's presentation categories.
pub fn check_categories(
    known: &HashSet<&str>,
    field: &str,
    ids: &[String],
    errors: &mut Vec<FieldError>,
) {
    if let Some(e) = limits::check(field, limits::ArticleCategories::refusal(ids.len())) {
        errors.push(e);
        return;
    }
    for id in ids {
        if !known.contains(id.as_str()) {
            errors.push(FieldError::new(
                field,
                format!("unknown presentation category `{id}`"),
            ));
        }
    }
}

/// No new work (reports, summaries) on an inactive stream: a `Conflict`
/// that says how to `go_on`.
pub fn require_active(stream: &Stream, go_on: &str) -> Result<(), ServiceError> {
    if stream.is_active {
        Ok(())
    } else {
        Err(ConflictKind::StreamInactive
            .because(format!("the stream is inactive: reactivate it to {go_on}")))
    }
}

/// Moves the report to its next version, from `expected` if given.
pub(crate) async fn check_version(
    txn: &DatabaseTransaction,
    report_id: i32,
    expected: Option<&Versions>,
) -> Result<(), ServiceError> {
    if reports::bump_version(txn, report_id, expected).await? {
        return Ok(());
    }
    Err(match expected {
        Some(versions) => ServiceError::PreconditionFailed(format!(
            "the report is no longer at version {versions}; reload it and retry"
        )),
        None => ServiceError::NotFound("report"),
    })
}

/// Moves an editable report to its next version, from `expected` if given;
/// an approved report is a `Conflict` that says to reopen it.
pub(crate) async fn check_editable(
    txn: &DatabaseTransaction,
    report_id: i32,
    expected: Option<&Versions>,
) -> Result<(), ServiceError> {
    if reports::bump_version_if_editable(txn, report_id, expected).await? {
        return Ok(());
    }
    match reports::find(txn, report_id).await? {
        Some(r) if r.approval_status == ApprovalStatus::Approved => Err(approved(report_id)),
        _ => check_version(txn, report_id, expected).await,
    }
}

/// Why an approved report's contents cannot change.
pub(crate) fn approved(report_id: i32) -> ServiceError {
    ConflictKind::ReportStatus.because(format!(
        "report {report_id} is approved and cannot change; reopen it first"
    ))
}
