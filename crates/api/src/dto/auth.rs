//! Sign-in and password bodies.

use super::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(schema_with = limits::EmailAttempt::schema)]
    pub email: String,
    #[schema(schema_with = limits::PasswordAttempt::schema)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub user: UserOut,
}

/// A token for a new session (after a password change revoked the old ones).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(schema_with = limits::PasswordAttempt::schema)]
    pub current_password: String,
    #[schema(schema_with = limits::Password::schema)]
    pub new_password: String,
}
