//! Article summaries by the SHA-256 of what produced them: shared by every
//! report and organization, written once per key.

use std::collections::HashMap;

use chrono::Utc;
use entity::summary_cache;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::{RepoError, chunk};

pub use entity::summary_cache::Model as CachedSummary;

/// A summary to keep under its key.
#[derive(Debug, Clone)]
pub struct NewCachedSummary {
    pub cache_key: String,
    pub text: String,
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
}

/// The cached summaries of these keys, by key (chunked `IN` lists).
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
) -> Result<HashMap<String, CachedSummary>, RepoError> {
    let mut found = HashMap::new();
    for part in keys.chunks(chunk::IN_LIST) {
        let rows = summary_cache::Entity::find()
            .filter(summary_cache::Column::CacheKey.is_in(part.iter().cloned()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.cache_key.clone(), r)));
    }
    Ok(found)
}

/// Keeps summaries under their keys; a key already kept (by a concurrent
/// run, in any process) keeps its first summary.
pub async fn put_many<C: ConnectionTrait>(
    db: &C,
    rows: &[NewCachedSummary],
) -> Result<(), RepoError> {
    let now = Utc::now();
    let size = |r: &NewCachedSummary| r.text.len() + r.cache_key.len() + r.model.len() + 64;
    for part in chunk::by_size(
        rows,
        chunk::insert_rows(6),
        chunk::statement_bytes(db),
        size,
    ) {
        summary_cache::Entity::insert_many(part.iter().map(|r| summary_cache::ActiveModel {
            cache_key: Set(r.cache_key.clone()),
            text: Set(r.text.clone()),
            model: Set(r.model.clone()),
            prompt_tokens: Set(r.prompt_tokens),
            completion_tokens: Set(r.completion_tokens),
            created_at: Set(now),
        }))
        // `do_nothing_on` names a column MySQL can "update" to itself, its
        // spelling of DO NOTHING.
        .on_conflict(
            OnConflict::new()
                .do_nothing_on([summary_cache::Column::CacheKey])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
