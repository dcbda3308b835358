//! Sign-in, tokens and password changes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::enums::UserRole;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use repository::users::{self, Credentials, User};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::error::StartupError;
use crate::login_throttle::{ClientAddress, LoginThrottle, ThrottlePolicy};
use crate::passwords::{self, Verified};
use crate::{Actor, AuthSettings, FieldError, ServiceError, limits};

/// The claims of a Curio token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub email: String,
    pub org_id: Option<i32>,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's `token_version` when the token was issued.
    #[serde(default)]
    pub ver: i32,
    /// When the session began (the sign-in); refreshed tokens keep it, and
    /// refresh stops `max_session_hours` after it.
    #[serde(default)]
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aud: Option<String>,
}

/// A signed token and how long it lives.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct Login {
    pub token: IssuedToken,
    pub user: User,
}

/// A validated token: the caller as stored now, and a fresh token when the
/// old one is due for renewal (80 % of its lifetime passed, or the role or
/// organization changed since it was issued).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub refreshed: Option<IssuedToken>,
}

/// Sign-in and token validation.
#[derive(Clone)]
pub struct AuthService {
    db: DatabaseConnection,
    settings: Arc<AuthSettings>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    throttle: LoginThrottle,
}

impl AuthService {
    /// A service signing with the configured secret; refuses a missing,
    /// short or published one (see [`AuthSettings::checked_secret`]).
    pub fn new(db: DatabaseConnection, settings: AuthSettings) -> Result<Self, StartupError> {
        crate::token_crypto::install();
        let secret = settings
            .checked_secret()
            .map_err(StartupError::Config)?
            .expose_secret()
            .as_bytes()
            .to_vec();
        let throttle = LoginThrottle::new(db.clone(), ThrottlePolicy::from(&settings));
        Ok(Self {
            db,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            settings: Arc::new(settings),
            throttle,
        })
    }

    /// Checks an email and password. Unknown email, wrong password and
    /// inactive user are the same `Unauthorized`, and take the same time.
    /// A bcrypt hash is replaced by an argon2id one on success. An account
    /// past its free failures, or an address past its limit, is `Throttled`
    /// (see [`LoginThrottle`]).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: ClientAddress,
    ) -> Result<Login, LoginError> {
        let email = users::normalize_email(email);
        // Bounded before anything is stored or hashed.
        let errors: Vec<FieldError> = [
            limits::check("email", limits::EmailAttempt::refusal(&email)),
            limits::check("password", limits::PasswordAttempt::refusal(password)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors).into());
        }
        let attempt = self
            .throttle
            .begin(&email, client)
            .await?
            .map_err(LoginError::Throttled)?;
        let found = users::find_by_email_with_org_status(&self.db, &email)
            .await
            .map_err(ServiceError::from)?;
        let verified = passwords::verify(
            password.to_owned(),
            found.as_ref().map(|(u, _)| u.password_hash.clone()),
        )
        .await?;
        let user = match (found, verified) {
            (Some((user, org_active)), verified @ (Verified::Yes | Verified::YesRehashed(_)))
                if may_act(user.is_active, org_active) =>
            {
                if let Verified::YesRehashed(new_hash) = verified {
                    users::replace_password_hash(&self.db, user.id, &user.password_hash, &new_hash)
                        .await
                        .map_err(ServiceError::from)?;
                }
                user
            }
            _ => {
                self.throttle.failed(attempt).await?;
                return Err(LoginError::Service(ServiceError::Unauthorized(
                    "incorrect email or password".into(),
                )));
            }
        };
        self.throttle.succeeded(attempt).await?;
        users::touch_last_login(&self.db, user.id)
            .await
            .map_err(ServiceError::from)?;
        Ok(Login {
            token: self.issue(&user, Utc::now().timestamp())?,
            user,
        })
    }

    /// When a session that began at `auth_time` ends (Unix seconds).
    fn session_end(&self, auth_time: i64) -> i64 {
        auth_time + self.settings.max_session_hours * 3600
    }

    /// Forgets sign-in failures that neither count nor block any more.
    pub async fn prune_login_failures(&self) -> Result<u64, ServiceError> {
        self.throttle.prune().await
    }

    /// Signs a token for `user` in a session that began at `auth_time`; it
    /// expires after the token lifetime or at the session limit, whichever
    /// comes first.
    pub fn issue(&self, user: &User, auth_time: i64) -> Result<IssuedToken, ServiceError> {
        self.sign(Subject::from(user), auth_time)
    }

    fn sign(&self, user: Subject<'_>, auth_time: i64) -> Result<IssuedToken, ServiceError> {
        let now = Utc::now().timestamp();
        let exp =
            (now + self.settings.token_lifetime_minutes * 60).min(self.session_end(auth_time));
        let claims = Claims {
            sub: user.id.to_string(),
            email: user.email.to_owned(),
            org_id: user.org_id,
            role: role_name(user.role),
            iat: now,
            exp,
            ver: user.token_version,
            auth_time,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(ServiceError::internal)?;
        Ok(IssuedToken {
            access_token,
            expires_in: exp - now,
        })
    }

    /// Validates a bearer token: HS256 only, signature, expiry, issuer and
    /// audience when configured; then loads the user, who must be active, in
    /// an active organization, with the token version the token carries (a
    /// password change, reset, deactivation or role change revokes every
    /// earlier token). A token past 80 % of its lifetime is renewed, up to
    /// the session limit.
    pub async fn validate_token(&self, token: &str) -> Result<Authenticated, ServiceError> {
        let unauthorized = || ServiceError::Unauthorized("invalid or expired token".into());
        let claims = self.verified_claims(token).ok_or_else(unauthorized)?;
        let user_id: i32 = claims.sub.parse().map_err(|_| unauthorized())?;
        let user = users::credentials(&self.db, user_id)
            .await?
            .ok_or_else(unauthorized)?;
        if !may_act(user.is_active, user.org_active) || claims.ver != user.token_version {
            return Err(unauthorized());
        }
        let now = Utc::now().timestamp();
        // Tokens from before sessions were tracked began at their issue.
        let auth_time = if claims.auth_time > 0 {
            claims.auth_time
        } else {
            claims.iat
        };
        let session_end = self.session_end(auth_time);
        if now >= session_end {
            return Err(unauthorized());
        }
        let lifetime = (claims.exp - claims.iat).max(1);
        let elapsed = now - claims.iat;
        let changed = claims.org_id != user.org_id;
        let renewable = claims.exp < session_end;
        let refreshed = if renewable && (changed || elapsed * 5 >= lifetime * 4) {
            Some(self.sign(Subject::from(&user), auth_time)?)
        } else {
            None
        };
        Ok(Authenticated {
            actor: Actor {
                id: user.id,
                email: user.email,
                org_id: user.org_id,
                role: user.role,
            },
            refreshed,
        })
    }

    /// Whether `token` is one this service signed and has not expired,
    /// without reading the database: cheap enough to decide, before a
    /// request's body is read, whether its sender may send a large one.
    /// Revocation is checked later, by [`Self::validate_token`].
    pub fn is_signed(&self, token: &str) -> bool {
        self.verified_claims(token).is_some()
    }

    /// The claims of a token with a valid HS256 signature, unexpired, with
    /// the configured issuer and audience.
    fn verified_claims(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        match &self.settings.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.settings.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|t| t.claims)
    }

    /// Changes the caller's password after checking the current one
    /// (throttled like sign-in), revokes every earlier token and returns a
    /// token for a new session.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        client: ClientAddress,
    ) -> Result<IssuedToken, LoginError> {
        crate::users::validate_password(new)?;
        let attempt = self
            .throttle
            .begin(&actor.email, client)
            .await?
            .map_err(LoginError::Throttled)?;
        let user = users::get(&self.db, actor.id)
            .await
            .map_err(ServiceError::from)?;
        if let Verified::No =
            passwords::verify(current.to_owned(), Some(user.password_hash.clone())).await?
        {
            self.throttle.failed(attempt).await?;
            // Not a malformed field but a missing proof: 403, like any
            // other change the caller may not make.
            return Err(ServiceError::Forbidden("the current password is incorrect".into()).into());
        }
        self.throttle.succeeded(attempt).await?;
        let hash = passwords::hash(new.to_owned()).await?;
        let user = users::update(
            &self.db,
            actor.id,
            users::UserUpdate {
                password_hash: Some(hash),
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
        .map_err(ServiceError::from)?;
        Ok(self.issue(&user, Utc::now().timestamp())?)
    }
}

/// Whom a token is signed for.
struct Subject<'a> {
    id: i32,
    email: &'a str,
    org_id: Option<i32>,
    role: UserRole,
    token_version: i32,
}

impl<'a> From<&'a User> for Subject<'a> {
    fn from(u: &'a User) -> Self {
        Subject {
            id: u.id,
            email: &u.email,
            org_id: u.org_id,
            role: u.role,
            token_version: u.token_version,
        }
    }
}

impl<'a> From<&'a Credentials> for Subject<'a> {
    fn from(u: &'a Credentials) -> Self {
        Subject {
            id: u.id,
            email: &u.email,
            org_id: u.org_id,
            role: u.role,
            token_version: u.token_version,
        }
    }
}

/// Whether a user may sign in and act: active, in an active organization
/// (`org_active` is `None` for a user without one).
pub(crate) fn may_act(is_active: bool, org_active: Option<bool>) -> bool {
    is_active && org_active != Some(false)
}

fn role_name(role: UserRole) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Why a login did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many failures: retry after this long.
    #[error("too many failed logins")]
    Throttled(Duration),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// A new random HS256 secret: 256 bits from the thread's cryptographically
/// secure generator (seeded by the operating system), hex-encoded.
pub fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
