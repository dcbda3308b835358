//! What every aggregate does alike with a row by id.

use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyTrait};

use crate::RepoError;

/// The row with primary key `id`, or `NotFound` naming `entity`.
pub(crate) async fn get_by_id<E, C>(
    db: &C,
    entity: &'static str,
    id: i32,
) -> Result<E::Model, RepoError>
where
    E: EntityTrait,
    C: ConnectionTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    E::find_by_id(id).one(db).await?.ok_or(RepoError::NotFound {
        entity,
        id: id.into(),
    })
}
