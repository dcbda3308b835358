//! User administration.

use entity::enums::UserRole;
use repository::users::{self, NewUser, UserUpdate};
pub use repository::users::{User, UserWithOrganization};
use repository::{Page, Paginated, organizations};
use sea_orm::DatabaseConnection;

use crate::access::{self, Actor};
use crate::{ConflictKind, FieldError, ServiceError, limits, passwords};

/// A user to create, as submitted.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    pub role: Option<UserRole>,
    pub org_id: Option<i32>,
}

/// A partial change, as submitted; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PatchUser {
    pub email: Option<String>,
    pub full_name: Option<Option<String>>,
    pub password: Option<String>,
    pub role: Option<UserRole>,
    pub is_active: Option<bool>,
}

/// A syntactically plausible email (see [`limits::EmailAddress`]).
pub fn validate_email(email: &str) -> Result<(), FieldError> {
    limits::check("email", limits::EmailAddress::refusal(email)).map_or(Ok(()), Err)
}

/// Passwords: [`limits::PASSWORD_MIN_CHARS`] to
/// [`limits::PASSWORD_MAX_CHARS`] characters.
pub fn validate_password(password: &str) -> Result<(), ServiceError> {
    match limits::check("password", limits::Password::refusal(password)) {
        Some(e) => Err(ServiceError::Validation(vec![e])),
        None => Ok(()),
    }
}

/// What is wrong with a new user's email and password, field by field.
fn credential_errors(email: &str, password: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = validate_email(email) {
        errors.push(e);
    }
    if let Err(ServiceError::Validation(mut e)) = validate_password(password) {
        errors.append(&mut e);
    }
    errors
}

fn validate_full_name(name: &Option<String>) -> Result<(), FieldError> {
    match name
        .as_deref()
        .and_then(|n| limits::check("full_name", limits::PersonName::refusal(n)))
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Users: listing, creation, changes and removal under the access rules.
#[derive(Clone)]
pub struct UserService {
    db: DatabaseConnection,
}

impl UserService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Lists users with their organizations: all for a platform admin, the
    /// organization's for an org admin.
    pub async fn list(
        &self,
        actor: &Actor,
        page: Page,
    ) -> Result<Paginated<UserWithOrganization>, ServiceError> {
        let db = &self.db;
        match actor.role {
            UserRole::PlatformAdmin => Ok(users::list_with_organizations(db, None, page).await?),
            UserRole::OrgAdmin => Ok(users::list_with_organizations(db, actor.org_id, page).await?),
            UserRole::Member => Err(ServiceError::Forbidden(
                "only administrators list users".into(),
            )),
        }
    }

    /// Creates a user. An org admin creates users of its own organization and
    /// never platform admins; members create nobody.
    pub async fn create(&self, actor: &Actor, input: CreateUser) -> Result<User, ServiceError> {
        let db = &self.db;
        let role = input.role.unwrap_or(UserRole::Member);
        let org_id = match actor.role {
            UserRole::Member => {
                return Err(ServiceError::Forbidden(
                    "members cannot create users".into(),
                ));
            }
            UserRole::OrgAdmin => {
                if role == UserRole::PlatformAdmin {
                    return Err(ServiceError::Forbidden(
                        "org admins cannot create platform admins".into(),
                    ));
                }
                if input.org_id.is_some_and(|o| Some(o) != actor.org_id) {
                    return Err(ServiceError::Forbidden(
                        "org admins create users of their own organization".into(),
                    ));
                }
                actor.org_id
            }
            UserRole::PlatformAdmin => input.org_id,
        };
        let mut errors = credential_errors(&input.email, &input.password);
        if let Err(e) = validate_full_name(&input.full_name) {
            errors.push(e);
        }
        match (role, org_id) {
            (UserRole::PlatformAdmin, Some(_)) => errors.push(FieldError::new(
                "org_id",
                "platform admins belong to no organization",
            )),
            (UserRole::OrgAdmin | UserRole::Member, None) => {
                errors.push(FieldError::new("org_id", "is required for this role"))
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        // A reference to a missing organization is a 404, like its own URL.
        if let Some(org) = org_id
            && organizations::find(db, org).await?.is_none()
        {
            return Err(ServiceError::NotFound("organization"));
        }
        // Hashing happens before any transaction or connection is taken.
        let password_hash = passwords::hash(input.password).await?;
        Ok(users::create(
            db,
            NewUser {
                email: input.email,
                password_hash,
                full_name: input.full_name,
                role,
                org_id,
            },
        )
        .await?)
    }

    /// A user the caller may see.
    pub async fn get(&self, actor: &Actor, id: i32) -> Result<User, ServiceError> {
        Ok(self.get_with_organization(actor, id).await?.0)
    }

    /// A user the caller may see, with its organization.
    pub async fn get_with_organization(
        &self,
        actor: &Actor,
        id: i32,
    ) -> Result<UserWithOrganization, ServiceError> {
        let db = &self.db;
        match users::find_with_organization(db, id).await? {
            Some((user, org)) if access::can_see_user(actor, &user) => Ok((user, org)),
            _ => Err(ServiceError::NotFound("user")),
        }
    }

    /// Changes a user. Anyone edits their own email, name and password;
    /// administrators also role and activation, within their reach. Nobody
    /// demotes or deactivates the last active platform admin.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: PatchUser,
    ) -> Result<User, ServiceError> {
        let db = &self.db;
        let target = self.get(actor, id).await?;
        may_update(actor, &target, &patch)?;
        let errors = update_errors(&target, &patch);
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let password_hash = match patch.password {
            Some(p) => Some(passwords::hash(p).await?),
            None => None,
        };
        let loses_admin = target.role == UserRole::PlatformAdmin
            && (patch.role.is_some_and(|r| r != UserRole::PlatformAdmin)
                || patch.is_active == Some(false));
        let revoke_tokens = password_hash.is_some()
            || patch.is_active == Some(false)
            || patch.role.is_some_and(|r| r != target.role);
        let txn = repository::database::begin_write(db).await?;
        if loses_admin && other_active_admins(&txn, target.id).await? == 0 {
            return Err(ConflictKind::LastPlatformAdmin
                .because("the last platform admin cannot be demoted or deactivated"));
        }
        let updated = users::update(
            &txn,
            id,
            UserUpdate {
                email: patch.email,
                password_hash,
                full_name: patch.full_name,
                role: patch.role,
                org_id: None,
                is_active: patch.is_active,
                revoke_tokens,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Deletes a user. Nobody deletes themselves or the last platform admin.
    pub async fn delete(&self, actor: &Actor, id: i32) -> Result<(), ServiceError> {
        let db = &self.db;
        let target = self.get(actor, id).await?;
        if target.id == actor.id {
            return Err(ServiceError::Forbidden("you cannot delete yourself".into()));
        }
        if !access::can_administer_user(actor, &target)
            || (target.role == UserRole::PlatformAdmin && !actor.is_platform_admin())
        {
            return Err(ServiceError::Forbidden(
                "your role does not allow deleting this user".into(),
            ));
        }
        let txn = repository::database::begin_write(db).await?;
        if target.role == UserRole::PlatformAdmin
            && other_active_admins(&txn, target.id).await? == 0
        {
            return Err(ConflictKind::LastPlatformAdmin
                .because("the last platform admin cannot be deleted"));
        }
        users::delete(&txn, id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Creates a platform admin without an acting user: the operator's way to
    /// make the first one (`curio create-admin`). A taken email is a `Conflict`.
    pub async fn create_platform_admin(
        &self,
        email: &str,
        password: String,
    ) -> Result<User, ServiceError> {
        let db = &self.db;
        let errors = credential_errors(email, &password);
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let password_hash = passwords::hash(password).await?;
        Ok(users::create(
            db,
            NewUser {
                email: email.trim().to_owned(),
                password_hash,
                full_name: None,
                role: UserRole::PlatformAdmin,
                org_id: None,
            },
        )
        .await?)
    }
}

/// Active platform admins other than `user_id`, counted under a lock on
/// them, so that two admins demoting each other at once cannot both pass.
async fn other_active_admins(
    txn: &sea_orm::DatabaseTransaction,
    user_id: i32,
) -> Result<usize, ServiceError> {
    let admins = users::lock_active_platform_admins(txn).await?;
    Ok(admins.iter().filter(|&&id| id != user_id).count())
}

/// Whether `actor` may make this change to `target` at all.
fn may_update(actor: &Actor, target: &User, patch: &PatchUser) -> Result<(), ServiceError> {
    let administers = access::can_administer_user(actor, target);
    let refuse = |why: &str| Err(ServiceError::Forbidden(why.into()));
    if (patch.role.is_some() || patch.is_active.is_some()) && !administers {
        return refuse("only administrators change roles and activation");
    }
    if actor.id != target.id && !administers {
        return refuse("you may only edit yourself");
    }
    if actor.id == target.id && patch.password.is_some() {
        return refuse(
            "change your own password with the password change, which asks for the current one",
        );
    }
    if patch.role == Some(UserRole::PlatformAdmin) && !actor.is_platform_admin() {
        return refuse("only platform admins grant that role");
    }
    if target.role == UserRole::PlatformAdmin && !actor.is_platform_admin() {
        return refuse("only platform admins change platform admins");
    }
    Ok(())
}

/// What is wrong with the change's fields, all at once.
fn update_errors(target: &User, patch: &PatchUser) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(email) = &patch.email
        && let Err(e) = validate_email(email)
    {
        errors.push(e);
    }
    if let Some(name) = &patch.full_name
        && let Err(e) = validate_full_name(name)
    {
        errors.push(e);
    }
    if let Some(password) = &patch.password
        && let Err(ServiceError::Validation(mut e)) = validate_password(password)
    {
        errors.append(&mut e);
    }
    match (patch.role, target.org_id) {
        (Some(UserRole::PlatformAdmin), Some(_)) => errors.push(FieldError::new(
            "role",
            "platform admins belong to no organization",
        )),
        (Some(UserRole::OrgAdmin | UserRole::Member), None) => errors.push(FieldError::new(
            "role",
            "this user belongs to no organization",
        )),
        _ => {}
    }
    errors
}
