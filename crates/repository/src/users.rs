//! Users. Emails are stored trimmed and lowercased, which makes the unique
//! index case-insensitive on every backend.

use chrono::Utc;
use entity::enums::UserRole;
use std::sync::OnceLock;

use entity::{organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
};

use crate::{Page, Paginated, RepoError};

pub use entity::user::Model as User;

/// The canonical form of an email address: trimmed, lowercase.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A user to create; `password_hash` is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub full_name: Option<String>,
    pub role: UserRole,
    pub org_id: Option<i32>,
}

/// Fields a caller may change; `None` leaves a field as it is, and
/// `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub full_name: Option<Option<String>>,
    pub role: Option<UserRole>,
    pub org_id: Option<Option<i32>>,
    pub is_active: Option<bool>,
    /// Bumps `token_version`, which revokes every token issued before.
    pub revoke_tokens: bool,
}

/// Creates a user. A taken email (in any letter case) is
/// `Duplicate(UserEmail)`.
pub async fn create<C: ConnectionTrait>(db: &C, new: NewUser) -> Result<User, RepoError> {
    let now = Utc::now();
    Ok(user::ActiveModel {
        email: Set(normalize_email(&new.email)),
        password_hash: Set(new.password_hash),
        full_name: Set(new.full_name),
        role: Set(new.role),
        org_id: Set(new.org_id),
        is_active: Set(true),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The user with this email, in any letter case.
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<User>, RepoError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

/// The user with this id, if any.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<User>, RepoError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// What authenticating a request needs of a user: who it is, its role and
/// token version, and whether it and its organization are active.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct Credentials {
    pub id: i32,
    pub email: String,
    pub role: UserRole,
    pub org_id: Option<i32>,
    pub is_active: bool,
    pub token_version: i32,
    /// `None` for a user without an organization.
    pub org_active: Option<bool>,
}

/// The credentials of the user with this id, in one statement.
pub async fn credentials<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Credentials>, RepoError> {
    // Every authenticated request runs this statement, so its SQL is built
    // once per backend (building it was a tenth of a GET's CPU) and only
    // the id is bound each time.
    static SQL: [OnceLock<String>; 3] = [const { OnceLock::new() }; 3];
    let backend = db.get_database_backend();
    let slot = match backend {
        DbBackend::MySql => 0,
        DbBackend::Postgres => 1,
        _ => 2,
    };
    let sql = SQL[slot].get_or_init(|| {
        user::Entity::find_by_id(0)
            .select_only()
            .columns([
                user::Column::Id,
                user::Column::Email,
                user::Column::Role,
                user::Column::OrgId,
                user::Column::IsActive,
                user::Column::TokenVersion,
            ])
            .column_as(organization::Column::IsActive, "org_active")
            .left_join(organization::Entity)
            .build(backend)
            .sql
    });
    let statement = Statement::from_sql_and_values(backend, sql.as_str(), [id.into()]);
    Ok(Credentials::find_by_statement(statement).one(db).await?)
}

/// The user with this email (in any letter case) and whether its
/// organization is active, in one statement: what signing in needs.
pub async fn find_by_email_with_org_status<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> Result<Option<(User, Option<bool>)>, RepoError> {
    let query = user::Entity::find().filter(user::Column::Email.eq(normalize_email(email)));
    with_org_status(db, query).await
}

async fn with_org_status<C: ConnectionTrait>(
    db: &C,
    query: sea_orm::Select<user::Entity>,
) -> Result<Option<(User, Option<bool>)>, RepoError> {
    Ok(query
        .find_also_related(entity::organization::Entity)
        .one(db)
        .await?
        .map(|(user, org)| (user, org.map(|o| o.is_active))))
}

/// The user with this id, or `NotFound`.
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> Result<User, RepoError> {
    crate::rows::get_by_id::<user::Entity, _>(db, "user", id).await
}

/// A user and the organization it belongs to (none for platform admins).
pub type UserWithOrganization = (User, Option<crate::organizations::Organization>);

fn listed(org_id: Option<i32>) -> sea_orm::Select<user::Entity> {
    let query = user::Entity::find().order_by_asc(user::Column::Id);
    match org_id {
        Some(org_id) => query.filter(user::Column::OrgId.eq(org_id)),
        None => query,
    }
}

/// A page of users ordered by id; `org_id` restricts to one organization.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    org_id: Option<i32>,
    page: Page,
) -> Result<Paginated<User>, RepoError> {
    crate::pagination::fetch_page(db, listed(org_id), page).await
}

/// Like [`list`], each user with its organization: two statements
/// whatever the page size (the count, and the page joined to its
/// organizations).
pub async fn list_with_organizations<C: ConnectionTrait>(
    db: &C,
    org_id: Option<i32>,
    page: Page,
) -> Result<Paginated<UserWithOrganization>, RepoError> {
    let query = listed(org_id);
    let total = query.clone().count(db).await?;
    let items = query
        .find_also_related(entity::organization::Entity)
        .offset(page.offset())
        .limit(page.limit())
        .all(db)
        .await?;
    Ok(Paginated { items, total, page })
}

/// The user with this id and its organization, in one statement.
pub async fn find_with_organization<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<UserWithOrganization>, RepoError> {
    Ok(user::Entity::find_by_id(id)
        .find_also_related(entity::organization::Entity)
        .one(db)
        .await?)
}

/// Applies a partial update and returns the new row.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i32,
    changes: UserUpdate,
) -> Result<User, RepoError> {
    let mut active: user::ActiveModel = get(db, id).await?.into();
    if let Some(email) = changes.email {
        active.email = Set(normalize_email(&email));
    }
    if let Some(hash) = changes.password_hash {
        active.password_hash = Set(hash);
    }
    if let Some(full_name) = changes.full_name {
        active.full_name = Set(full_name);
    }
    if let Some(role) = changes.role {
        active.role = Set(role);
    }
    if let Some(org_id) = changes.org_id {
        active.org_id = Set(org_id);
    }
    if let Some(is_active) = changes.is_active {
        active.is_active = Set(is_active);
    }
    if changes.revoke_tokens {
        let current = *active.token_version.as_ref();
        active.token_version = Set(current.wrapping_add(1));
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Revokes every token issued to the users of `org_id` (their token
/// versions move on): what an organization's deactivation does, so that a
/// later reactivation brings none of them back.
pub async fn revoke_tokens_of_org<C: ConnectionTrait>(
    db: &C,
    org_id: i32,
) -> Result<u64, RepoError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let result = user::Entity::update_many()
        .col_expr(
            user::Column::TokenVersion,
            Expr::col(user::Column::TokenVersion).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Utc::now().into())
        .filter(user::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Records a successful sign-in.
pub async fn touch_last_login<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), RepoError> {
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Utc::now().into())
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces a stored hash only if it is still `old_hash` (a concurrent
/// password change wins over a re-hash on login).
pub async fn replace_password_hash<C: ConnectionTrait>(
    db: &C,
    id: i32,
    old_hash: &str,
    new_hash: &str,
) -> Result<bool, RepoError> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, new_hash.into())
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::PasswordHash.eq(old_hash))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes a user.
pub async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), RepoError> {
    let result = user::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(RepoError::NotFound {
            entity: "user",
            id: id.into(),
        });
    }
    Ok(())
}

/// The ids of the active platform admins, locked until the transaction
/// ends (`FOR UPDATE`; SQLite's write transactions are serialized anyway):
/// two admins demoting each other at once see each other's change, so the
/// last one is never lost.
pub async fn lock_active_platform_admins<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<i32>, RepoError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(UserRole::PlatformAdmin))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(db)
        .await?)
}

/// Reads a user under a row lock (`SELECT … FOR UPDATE`; SQLite's write
/// transactions are exclusive already): writers that must see each other's
/// work for one user (a cap on their active runs) take it in turn.
pub async fn lock<C: ConnectionTrait>(txn: &C, id: i32) -> Result<User, RepoError> {
    user::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(RepoError::NotFound {
            entity: "user",
            id: id.into(),
        })
}
