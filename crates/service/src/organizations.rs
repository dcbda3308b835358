//! Organizations, their usage and their subscriptions to global streams.

use entity::enums::StreamScope;
pub use repository::organizations::Organization;
use repository::organizations::{self, OrganizationUpdate};
use repository::usage;
pub use repository::usage::UsageSummary;

/// A platform admin's change of an organization; `None` leaves a field as
/// it is, and `Some(None)` removes a monthly limit.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub is_active: Option<bool>,
    /// LLM calls allowed per UTC calendar month.
    pub monthly_llm_calls: Option<Option<i32>>,
    /// Prompt and completion tokens allowed per UTC calendar month.
    pub monthly_llm_tokens: Option<Option<i64>>,
}
use repository::{Page, Paginated, RepoError, streams};
use sea_orm::DatabaseConnection;

use crate::access::Actor;
use crate::{ConflictKind, FieldError, ServiceError};

/// An organization with its member and stream counts.
#[derive(Debug, Clone)]
pub struct OrganizationDetail {
    pub organization: Organization,
    pub member_count: u64,
    pub stream_count: u64,
}

fn validate_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    use crate::limits::{Name, check};
    if let Some(e) = check("name", Name::refusal(name)) {
        return Err(ServiceError::Validation(vec![e]));
    }
    Ok(name.to_owned())
}

fn visible(actor: &Actor, org_id: i32) -> bool {
    actor.is_platform_admin() || actor.org_id == Some(org_id)
}

fn require_platform_admin(actor: &Actor) -> Result<(), ServiceError> {
    if actor.is_platform_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only platform admins manage organizations".into(),
        ))
    }
}

/// Organizations: who may see, change and subscribe them.
#[derive(Clone)]
pub struct OrganizationService {
    db: DatabaseConnection,
}

impl OrganizationService {
    /// Over a pool (cheap to clone).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// All organizations for a platform admin; one's own otherwise.
    pub async fn list(
        &self,
        actor: &Actor,
        page: Page,
    ) -> Result<Paginated<Organization>, ServiceError> {
        let db = &self.db;
        if actor.is_platform_admin() {
            return Ok(organizations::list(db, None, page).await?);
        }
        match actor.org_id {
            Some(own) => Ok(organizations::list(db, Some(own), page).await?),
            None => Ok(Paginated {
                items: vec![],
                total: 0,
                page,
            }),
        }
    }

    /// Creates an organization (platform admins).
    pub async fn create(&self, actor: &Actor, name: &str) -> Result<Organization, ServiceError> {
        let db = &self.db;
        require_platform_admin(actor)?;
        let name = validate_name(name)?;
        Ok(organizations::create(db, &name).await?)
    }

    /// An organization the caller belongs to (or any, for platform admins).
    pub async fn get(&self, actor: &Actor, id: i32) -> Result<OrganizationDetail, ServiceError> {
        let db = &self.db;
        if !visible(actor, id) {
            return Err(ServiceError::NotFound("organization"));
        }
        let organization = organizations::get(db, id).await?;
        let (member_count, stream_count) = organizations::counts(db, id).await?;
        Ok(OrganizationDetail {
            organization,
            member_count,
            stream_count,
        })
    }

    /// Renames, (de)activates or sets the monthly LLM limits of an
    /// organization (platform admins).
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        changes: OrganizationChanges,
    ) -> Result<Organization, ServiceError> {
        let db = &self.db;
        if !visible(actor, id) {
            return Err(ServiceError::NotFound("organization"));
        }
        require_platform_admin(actor)?;
        let name = changes.name.map(|n| validate_name(&n)).transpose()?;
        let mut errors = Vec::new();
        if changes.monthly_llm_calls.flatten().is_some_and(|n| n < 0) {
            errors.push(FieldError::new("monthly_llm_calls", "must be 0 or more"));
        }
        if changes.monthly_llm_tokens.flatten().is_some_and(|n| n < 0) {
            errors.push(FieldError::new("monthly_llm_tokens", "must be 0 or more"));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let update = OrganizationUpdate {
            name,
            is_active: changes.is_active,
            monthly_llm_calls: changes.monthly_llm_calls,
            monthly_llm_tokens: changes.monthly_llm_tokens,
        };
        let txn = repository::database::begin_write(db).await?;
        let org = organizations::update(&txn, id, update).await?;
        // Deactivation revokes: a token issued before it stays dead when the
        // organization comes back.
        if changes.is_active == Some(false) {
            repository::users::revoke_tokens_of_org(&txn, id).await?;
        }
        txn.commit().await?;
        Ok(org)
    }

    /// Deletes an organization (platform admins); refused while it has users.
    pub async fn delete(&self, actor: &Actor, id: i32) -> Result<(), ServiceError> {
        let db = &self.db;
        if !visible(actor, id) {
            return Err(ServiceError::NotFound("organization"));
        }
        require_platform_admin(actor)?;
        match organizations::delete(db, id).await {
            Err(RepoError::ForeignKey(_)) => {
                Err(ConflictKind::InUse
                    .because("the organization still has users: remove them first"))
            }
            other => Ok(other?),
        }
    }

    /// LLM calls and tokens per model and day (its org admins, platform admins).
    pub async fn usage(&self, actor: &Actor, id: i32) -> Result<Vec<UsageSummary>, ServiceError> {
        let db = &self.db;
        if !visible(actor, id) {
            return Err(ServiceError::NotFound("organization"));
        }
        if !actor.administers_org(id) {
            return Err(ServiceError::Forbidden(
                "only administrators read usage".into(),
            ));
        }
        organizations::get(db, id).await?;
        Ok(usage::summary_for_org(db, id).await?)
    }

    /// Subscribes (or unsubscribes) an organization to a global stream: its org
    /// admins or a platform admin.
    pub async fn set_subscription(
        &self,
        actor: &Actor,
        org_id: i32,
        stream_id: i32,
        subscribed: bool,
    ) -> Result<(), ServiceError> {
        let db = &self.db;
        if !visible(actor, org_id) {
            return Err(ServiceError::NotFound("organization"));
        }
        if !actor.administers_org(org_id) {
            return Err(ServiceError::Forbidden(
                "only administrators manage subscriptions".into(),
            ));
        }
        organizations::get(db, org_id).await?;
        // Global streams are a catalogue every administrator may subscribe to;
        // other streams are not offered, and not revealed.
        match streams::find(db, stream_id).await? {
            Some(s) if s.scope == StreamScope::Global => {}
            _ => return Err(ServiceError::NotFound("stream")),
        }
        if subscribed {
            streams::subscribe(db, org_id, stream_id).await?;
        } else if !streams::unsubscribe(db, org_id, stream_id).await? {
            return Err(ServiceError::NotFound("subscription"));
        }
        Ok(())
    }
}
