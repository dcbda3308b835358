//! User bodies.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i32,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
    pub org_id: Option<i32>,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An organization as a user's reference to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: i32,
    pub name: String,
    pub is_active: bool,
}

/// A user with its organization (`null` for platform admins).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserWithOrganizationOut {
    #[serde(flatten)]
    pub user: UserOut,
    pub organization: Option<OrganizationRef>,
}

impl From<service::users::UserWithOrganization> for UserWithOrganizationOut {
    fn from((user, org): service::users::UserWithOrganization) -> Self {
        UserWithOrganizationOut {
            user: user.into(),
            organization: org.map(|o| OrganizationRef {
                id: o.id,
                name: o.name,
                is_active: o.is_active,
            }),
        }
    }
}

impl From<service::users::User> for UserOut {
    fn from(u: service::users::User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            full_name: u.full_name,
            role: u.role,
            org_id: u.org_id,
            is_active: u.is_active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "new.member@example.org", "password": "a long passphrase", "full_name": "New Member", "role": "member", "org_id": 1}))]
pub struct CreateUserRequest {
    #[schema(schema_with = limits::EmailAddress::schema)]
    pub email: String,
    #[schema(schema_with = limits::Password::schema)]
    pub password: String,
    #[schema(schema_with = limits::PersonName::nullable)]
    pub full_name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = limits::Id::nullable)]
    pub org_id: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    #[schema(schema_with = limits::EmailAddress::nullable)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = limits::PersonName::nullable)]
    pub full_name: Option<Option<String>>,
    #[schema(schema_with = limits::Password::nullable)]
    pub password: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}
