//! Failed sign-in counters, shared by every process on the database.

use chrono::{DateTime, Utc};
use entity::login_throttle;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::RepoError;

pub use entity::login_throttle::Model as Counter;

/// The counter of `key`, created empty if there is none, locked until the
/// caller's transaction ends (a row lock on MySQL/MariaDB and PostgreSQL;
/// SQLite write transactions hold the database lock already).
pub async fn lock<C: ConnectionTrait>(
    txn: &C,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Counter, RepoError> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        last_failure_at: Set(now),
        blocked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .do_nothing_on([login_throttle::Column::Key])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    login_throttle::Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| {
            RepoError::Db(sea_orm::DbErr::RecordNotFound(format!(
                "login throttle {key}"
            )))
        })
}

/// Stores a counter read with [`lock`].
pub async fn save<C: ConnectionTrait>(db: &C, counter: Counter) -> Result<(), RepoError> {
    login_throttle::ActiveModel {
        key: Set(counter.key),
        failures: Set(counter.failures),
        last_failure_at: Set(counter.last_failure_at),
        blocked_until: Set(counter.blocked_until),
    }
    .update(db)
    .await?;
    Ok(())
}

/// Forgets the counter of `key`.
pub async fn forget<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), RepoError> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Takes one failure back from `key` (an attempt that turned out to be a
/// success); the counter never goes below zero.
pub async fn take_back_one<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), RepoError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::Key.eq(key))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Blocks `key` until `until` at least (a later block is kept).
pub async fn block_until_at_least<C: ConnectionTrait>(
    db: &C,
    key: &str,
    until: DateTime<Utc>,
) -> Result<(), RepoError> {
    use sea_orm::Condition;
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::BlockedUntil, until.into())
        .filter(login_throttle::Column::Key.eq(key))
        .filter(
            Condition::any()
                .add(login_throttle::Column::BlockedUntil.is_null())
                .add(login_throttle::Column::BlockedUntil.lt(until)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes counters whose last failure is older than `before` and that
/// block nothing any more; returns how many.
pub async fn prune<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, RepoError> {
    use sea_orm::Condition;
    let result = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::LastFailureAt.lt(before))
        .filter(
            Condition::any()
                .add(login_throttle::Column::BlockedUntil.is_null())
                .add(login_throttle::Column::BlockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
