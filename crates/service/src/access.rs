//! Access control, in one place: who sees and who changes what.
//!
//! Not visible is `NotFound` (no existence leak); visible but not allowed is
//! `Forbidden`. Roles and organizations come from the database, never from
//! a token's claims.

use entity::enums::{StreamScope, UserRole};
use repository::Viewer;
use repository::streams::Stream;
use repository::users::User;

use crate::ServiceError;

/// The authenticated caller, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i32,
    pub email: String,
    pub org_id: Option<i32>,
    pub role: UserRole,
}

impl From<&User> for Actor {
    fn from(u: &User) -> Self {
        Actor {
            id: u.id,
            email: u.email.clone(),
            org_id: u.org_id,
            role: u.role,
        }
    }
}

impl Actor {
    /// The visibility filter for repository queries.
    pub(crate) fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.id,
            org_id: self.org_id,
            role: self.role,
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        self.role == UserRole::PlatformAdmin
    }

    /// An org admin of `org_id`, or a platform admin.
    pub fn administers_org(&self, org_id: i32) -> bool {
        self.is_platform_admin() || (self.role == UserRole::OrgAdmin && self.org_id == Some(org_id))
    }
}

/// Whether `actor` may change `stream` (and curate, summarize, approve its
/// reports): `personal` its owner, `organization` an org admin of its
/// organization, `global` a platform admin; platform admins always.
pub fn can_change_stream(actor: &Actor, stream: &Stream) -> bool {
    if actor.is_platform_admin() {
        return true;
    }
    match stream.scope {
        StreamScope::Personal => stream.owner_user_id == Some(actor.id),
        StreamScope::Organization => {
            actor.role == UserRole::OrgAdmin
                && stream.org_id.is_some()
                && stream.org_id == actor.org_id
        }
        StreamScope::Global => false,
    }
}

/// `Forbidden` unless `actor` may change `stream`.
pub fn require_stream_change(actor: &Actor, stream: &Stream) -> Result<(), ServiceError> {
    if can_change_stream(actor, stream) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "your role does not allow changing this stream or its reports".into(),
        ))
    }
}

/// Whether `actor` may create a stream of `scope` in `org_id`.
pub fn can_create_stream(actor: &Actor, scope: StreamScope, org_id: Option<i32>) -> bool {
    match scope {
        StreamScope::Personal => true,
        StreamScope::Organization => org_id.is_some_and(|org| actor.administers_org(org)),
        StreamScope::Global => actor.is_platform_admin(),
    }
}

/// Whether `actor` may see `user`: themselves, an org admin their own
/// organization's users, a platform admin everyone.
pub fn can_see_user(actor: &Actor, user: &User) -> bool {
    actor.id == user.id
        || actor.is_platform_admin()
        || (actor.role == UserRole::OrgAdmin
            && user.org_id.is_some()
            && user.org_id == actor.org_id)
}

/// Whether `actor` may administer `user` (role, organization, activation,
/// deletion): an org admin within its organization, a platform admin anyone.
pub fn can_administer_user(actor: &Actor, user: &User) -> bool {
    actor.is_platform_admin()
        || (actor.role == UserRole::OrgAdmin
            && user.org_id.is_some()
            && user.org_id == actor.org_id)
}

/// Whether `actor` may choose what LLM work costs (a stream's models, token
/// ceilings, concurrency, and ad-hoc prompts in previews): org admins and
/// platform admins, on streams they may change.
pub fn may_configure_llm(actor: &Actor) -> bool {
    matches!(actor.role, UserRole::PlatformAdmin | UserRole::OrgAdmin)
}

/// Whether `actor` is held to the member quotas (`quotas.*`): everyone but
/// administrators.
pub fn has_member_quotas(actor: &Actor) -> bool {
    actor.role == UserRole::Member
}

/// Whether `actor` may write articles (the shared bibliography).
pub fn can_write_articles(actor: &Actor) -> bool {
    matches!(actor.role, UserRole::PlatformAdmin | UserRole::OrgAdmin)
}
