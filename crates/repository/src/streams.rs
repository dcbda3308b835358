//! Research streams and organizations' subscriptions to global streams.

use chrono::Utc;
use entity::enums::StreamScope;
use entity::stream_config::{EnrichmentConfig, LlmConfig, PresentationConfig, RetrievalConfig};
use entity::{org_stream_subscription, research_stream};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::{Page, Paginated, RepoError, Viewer};

pub use entity::research_stream::Model as Stream;

/// A stream to create. Configuration values are validated by the service.
#[derive(Debug, Clone)]
pub struct NewStream {
    pub stream_name: String,
    pub purpose: String,
    pub scope: StreamScope,
    pub org_id: Option<i32>,
    pub owner_user_id: Option<i32>,
    pub presentation_config: PresentationConfig,
    pub enrichment_config: EnrichmentConfig,
    pub llm_config: LlmConfig,
    pub retrieval_config: RetrievalConfig,
}

/// Fields a caller may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StreamUpdate {
    pub stream_name: Option<String>,
    pub purpose: Option<String>,
    pub presentation_config: Option<PresentationConfig>,
    pub enrichment_config: Option<EnrichmentConfig>,
    pub llm_config: Option<LlmConfig>,
    pub retrieval_config: Option<RetrievalConfig>,
    pub is_active: Option<bool>,
}

/// Creates a stream.
pub async fn create<C: ConnectionTrait>(db: &C, new: NewStream) -> Result<Stream, RepoError> {
    let now = Utc::now();
    Ok(research_stream::ActiveModel {
        stream_name: Set(new.stream_name),
        purpose: Set(new.purpose),
        scope: Set(new.scope),
        org_id: Set(new.org_id),
        owner_user_id: Set(new.owner_user_id),
        presentation_config: Set(new.presentation_config),
        enrichment_config: Set(new.enrichment_config),
        llm_config: Set(new.llm_config),
        retrieval_config: Set(new.retrieval_config),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The stream with this id, whoever may see it.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Stream>, RepoError> {
    Ok(research_stream::Entity::find_by_id(id).one(db).await?)
}

/// The stream with this id if `viewer` may see it.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: i32,
) -> Result<Option<Stream>, RepoError> {
    Ok(research_stream::Entity::find_by_id(id)
        .filter(viewer.stream_condition())
        .one(db)
        .await?)
}

/// A page of the streams `viewer` may see, ordered by id.
pub async fn list_visible<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    page: Page,
) -> Result<Paginated<Stream>, RepoError> {
    let query = research_stream::Entity::find().filter(viewer.stream_condition());
    let query = query.order_by_asc(research_stream::Column::Id);
    crate::pagination::fetch_page(db, query, page).await
}

/// Applies a partial update and returns the new row.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i32,
    changes: StreamUpdate,
) -> Result<Stream, RepoError> {
    let current = find(db, id).await?.ok_or(RepoError::NotFound {
        entity: "stream",
        id: id.into(),
    })?;
    let mut active: research_stream::ActiveModel = current.into();
    if let Some(v) = changes.stream_name {
        active.stream_name = Set(v);
    }
    if let Some(v) = changes.purpose {
        active.purpose = Set(v);
    }
    if let Some(v) = changes.presentation_config {
        active.presentation_config = Set(v);
    }
    if let Some(v) = changes.enrichment_config {
        active.enrichment_config = Set(v);
    }
    if let Some(v) = changes.llm_config {
        active.llm_config = Set(v);
    }
    if let Some(v) = changes.retrieval_config {
        active.retrieval_config = Set(v);
    }
    if let Some(v) = changes.is_active {
        active.is_active = Set(v);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a stream with its reports (cascade).
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), RepoError> {
    let result = research_stream::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(RepoError::NotFound {
            entity: "stream",
            id: id.into(),
        });
    }
    Ok(())
}

/// Subscribes an organization to a stream; subscribing twice is a no-op.
pub async fn subscribe<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    stream_id: i32,
) -> Result<(), RepoError> {
    org_stream_subscription::Entity::insert(org_stream_subscription::ActiveModel {
        org_id: Set(org_id),
        stream_id: Set(stream_id),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            org_stream_subscription::Column::OrgId,
            org_stream_subscription::Column::StreamId,
        ])
        .do_nothing_on([org_stream_subscription::Column::OrgId])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Removes a subscription; returns whether there was one.
pub async fn unsubscribe<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
    stream_id: i32,
) -> Result<bool, RepoError> {
    let result = org_stream_subscription::Entity::delete_many()
        .filter(org_stream_subscription::Column::OrgId.eq(org_id))
        .filter(org_stream_subscription::Column::StreamId.eq(stream_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The ids of the organizations subscribed to a stream.
pub async fn subscribers<C: ConnectionTrait>(
    db: &C,
    stream_id: i32,
) -> Result<Vec<i32>, RepoError> {
    Ok(org_stream_subscription::Entity::find()
        .select_only()
        .column(org_stream_subscription::Column::OrgId)
        .filter(org_stream_subscription::Column::StreamId.eq(stream_id))
        .order_by_asc(org_stream_subscription::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?)
}
