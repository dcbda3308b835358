//! Organizations' webhook endpoints.

use chrono::Utc;
use entity::string_list::StringList;
use entity::webhook;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::RepoError;

pub use entity::webhook::Model as Webhook;

/// Stores an endpoint.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    url: String,
    events: Vec<String>,
    secret: String,
) -> Result<Webhook, RepoError> {
    let now = Utc::now();
    Ok(webhook::ActiveModel {
        org_id: Set(org_id),
        url: Set(url),
        events: Set(StringList(events)),
        secret: Set(secret),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The organization's endpoints, oldest first.
pub async fn of_org<C: ConnectionTrait>(db: &C, org_id: i32) -> Result<Vec<Webhook>, RepoError> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::OrgId.eq(org_id))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

/// The organization's endpoint with this id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    id: i32,
) -> Result<Option<Webhook>, RepoError> {
    Ok(webhook::Entity::find_by_id(id)
        .filter(webhook::Column::OrgId.eq(org_id))
        .one(db)
        .await?)
}

/// The endpoint with this id, whichever organization's.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Webhook>, RepoError> {
    Ok(webhook::Entity::find_by_id(id).one(db).await?)
}

/// A change to an endpoint; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookUpdate {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// Applies a change and returns the endpoint.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    hook: Webhook,
    change: WebhookUpdate,
) -> Result<Webhook, RepoError> {
    let mut active: webhook::ActiveModel = hook.into();
    if let Some(url) = change.url {
        active.url = Set(url);
    }
    if let Some(events) = change.events {
        active.events = Set(StringList(events));
    }
    if let Some(enabled) = change.enabled {
        active.enabled = Set(enabled);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes the organization's endpoint; whether there was one.
pub async fn delete<C: ConnectionTrait>(db: &C, org_id: i32, id: i32) -> Result<bool, RepoError> {
    let done = webhook::Entity::delete_many()
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The enabled endpoints of these organizations that take `event`.
pub async fn listening<C: ConnectionTrait>(
    db: &C,
    org_ids: &[i32],
    event: &str,
) -> Result<Vec<Webhook>, RepoError> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(webhook::Entity::find()
        .filter(webhook::Column::OrgId.is_in(org_ids.iter().copied()))
        .filter(webhook::Column::Enabled.eq(true))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|h| h.events.0.iter().any(|e| e == event))
        .collect())
}
