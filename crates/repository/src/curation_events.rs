//! The audit trail of curation.

use chrono::Utc;
use entity::curation_event;
use entity::enums::CurationEventType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::{Page, Paginated, RepoError};

pub use entity::curation_event::{EventDetails, Model as CurationEvent};

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub report_id: i32,
    pub article_id: Option<i32>,
    pub user_id: i32,
    pub event_type: CurationEventType,
    pub notes: Option<String>,
    pub details: Option<EventDetails>,
}

/// Appends an event.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    event: NewEvent,
) -> Result<CurationEvent, RepoError> {
    Ok(row(event, Utc::now()).insert(db).await?)
}

/// The row of an event, stamped `now`.
fn row(event: NewEvent, now: chrono::DateTime<Utc>) -> curation_event::ActiveModel {
    curation_event::ActiveModel {
        report_id: Set(event.report_id),
        article_id: Set(event.article_id),
        user_id: Set(Some(event.user_id)),
        event_type: Set(event.event_type),
        notes: Set(event.notes),
        details: Set(event.details),
        created_at: Set(now),
        ..Default::default()
    }
}

/// A page of a report's events, oldest first.
pub async fn list_for_report<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    page: Page,
) -> Result<Paginated<CurationEvent>, RepoError> {
    let query =
        curation_event::Entity::find().filter(curation_event::Column::ReportId.eq(report_id));
    let query = query.order_by_asc(curation_event::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

/// Appends many events, in chunks of multi-row inserts.
pub async fn append_many<C: ConnectionTrait>(
    db: &C,
    events: Vec<NewEvent>,
) -> Result<(), RepoError> {
    let now = Utc::now();
    // Seven columns a row, under every backend's bound on bind parameters.
    for part in events.chunks(crate::chunk::insert_rows(7)) {
        curation_event::Entity::insert_many(part.iter().cloned().map(|event| row(event, now)))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The report's events after its latest event of `kind` (all of them when
/// it has none), oldest first.
pub async fn since_latest<C: ConnectionTrait>(
    db: &C,
    report_id: i32,
    kind: CurationEventType,
) -> Result<Vec<CurationEvent>, RepoError> {
    let latest: Option<i32> = curation_event::Entity::find()
        .select_only()
        .column(curation_event::Column::Id)
        .filter(curation_event::Column::ReportId.eq(report_id))
        .filter(curation_event::Column::EventType.eq(kind))
        .order_by_desc(curation_event::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(curation_event::Entity::find()
        .filter(curation_event::Column::ReportId.eq(report_id))
        .filter(curation_event::Column::Id.gt(latest.unwrap_or(0)))
        .order_by_asc(curation_event::Column::Id)
        .all(db)
        .await?)
}
