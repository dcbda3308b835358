//! Organizations.

use chrono::Utc;
use entity::{organization, research_stream, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::{Page, Paginated, RepoError};

pub use entity::organization::Model as Organization;

/// Fields a caller may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub is_active: Option<bool>,
    /// `Some(None)` removes the limit.
    pub monthly_llm_calls: Option<Option<i32>>,
    pub monthly_llm_tokens: Option<Option<i64>>,
}

/// Creates an organization. A taken name is `Duplicate(OrganizationName)`.
pub async fn create<C: ConnectionTrait>(db: &C, name: &str) -> Result<Organization, RepoError> {
    let now = Utc::now();
    Ok(organization::ActiveModel {
        name: Set(name.to_owned()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The organization with this id, if any.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Organization>, RepoError> {
    Ok(organization::Entity::find_by_id(id).one(db).await?)
}

/// The organization with this id, or `NotFound`.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<Organization, RepoError> {
    crate::rows::get_by_id::<organization::Entity, _>(db, "organization", id).await
}

/// A page of organizations ordered by id; `only` restricts to one.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    only: Option<i32>,
    page: Page,
) -> Result<Paginated<Organization>, RepoError> {
    let mut query = organization::Entity::find();
    if let Some(id) = only {
        query = query.filter(organization::Column::Id.eq(id));
    }
    let query = query.order_by_asc(organization::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

/// Locks the organization's row until the caller's transaction ends (a row
/// lock on MySQL/MariaDB and PostgreSQL; a SQLite write transaction holds
/// the database lock already): what serializes admissions against its
/// budget across processes. Returns the organization as locked.
pub async fn lock<C: ConnectionTrait>(txn: &C, id: i32) -> Result<Organization, RepoError> {
    organization::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(RepoError::NotFound {
            entity: "organization",
            id: id.into(),
        })
}

/// Applies a partial update and returns the new row.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i32,
    changes: OrganizationUpdate,
) -> Result<Organization, RepoError> {
    let mut active: organization::ActiveModel = get(db, id).await?.into();
    if let Some(name) = changes.name {
        active.name = Set(name);
    }
    if let Some(limit) = changes.monthly_llm_calls {
        active.monthly_llm_calls = Set(limit);
    }
    if let Some(limit) = changes.monthly_llm_tokens {
        active.monthly_llm_tokens = Set(limit);
    }
    if let Some(is_active) = changes.is_active {
        active.is_active = Set(is_active);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes an organization. While it has users the foreign key refuses
/// (`ForeignKey`); its streams go with it.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), RepoError> {
    let result = organization::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(RepoError::NotFound {
            entity: "organization",
            id: id.into(),
        });
    }
    Ok(())
}

/// Number of users and of streams owned by the organization.
pub async fn counts<C: ConnectionTrait>(db: &C, id: i32) -> Result<(u64, u64), RepoError> {
    let members = user::Entity::find()
        .filter(user::Column::OrgId.eq(id))
        .count(db)
        .await?;
    let streams = research_stream::Entity::find()
        .filter(research_stream::Column::OrgId.eq(id))
        .count(db)
        .await?;
    Ok((members, streams))
}

/// The organizations subscribed to a global stream.
pub async fn subscribed_to<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
) -> Result<Vec<i32>, RepoError> {
    use entity::org_stream_subscription;
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    Ok(org_stream_subscription::Entity::find()
        .select_only()
        .column(org_stream_subscription::Column::OrgId)
        .filter(org_stream_subscription::Column::StreamId.eq(stream_id))
        .into_tuple()
        .all(db)
        .await?)
}
