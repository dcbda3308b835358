//! Feed tokens: a user's secret URL for one stream's feed.

use chrono::Utc;
use entity::feed_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::RepoError;

pub use entity::feed_token::Model as FeedToken;

/// Stores a token by its hash.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
    token_hash: String,
    token_version: i32,
) -> Result<FeedToken, RepoError> {
    Ok(feed_token::ActiveModel {
        user_id: Set(user_id),
        stream_id: Set(stream_id),
        token_hash: Set(token_hash),
        token_version: Set(token_version),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The user's tokens for the stream, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
) -> Result<Vec<FeedToken>, RepoError> {
    Ok(feed_token::Entity::find()
        .filter(feed_token::Column::UserId.eq(user_id))
        .filter(feed_token::Column::StreamId.eq(stream_id))
        .order_by_asc(feed_token::Column::Id)
        .all(db)
        .await?)
}

/// How many tokens the user holds for the stream.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
) -> Result<u64, RepoError> {
    use sea_orm::PaginatorTrait;
    Ok(feed_token::Entity::find()
        .filter(feed_token::Column::UserId.eq(user_id))
        .filter(feed_token::Column::StreamId.eq(stream_id))
        .count(db)
        .await?)
}

/// Deletes the user's token of the stream; whether there was one.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    stream_id: i32,
    id: i32,
) -> Result<bool, RepoError> {
    let done = feed_token::Entity::delete_many()
        .filter(feed_token::Column::Id.eq(id))
        .filter(feed_token::Column::UserId.eq(user_id))
        .filter(feed_token::Column::StreamId.eq(stream_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The token with this hash.
pub async fn find_by_hash<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<FeedToken>, RepoError> {
    Ok(feed_token::Entity::find()
        .filter(feed_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}
