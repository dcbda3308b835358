//! Sign-in, tokens and password hashing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{SECRET, at};
use entity::enums::UserRole;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use service::ServiceError;
use service::auth::{Claims, LoginError};
use test_support::{TestDb, backend_tests};

fn unauthorized<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> bool {
    matches!(r, Err(ServiceError::Unauthorized(_)))
}

backend_tests! {
    async fn login_accepts_the_right_password_and_rejects_the_rest_alike(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let ok = auth.login("ADMIN@a.test", common::PASSWORD, at("10.0.0.1")).await.unwrap();
        assert_eq!(ok.user.id, w.admin_a.id);
        assert_eq!(ok.token.expires_in, 3600);
        let validated = auth.validate_token(&ok.token.access_token).await.unwrap();
        assert_eq!(validated.actor, w.admin_a);
        assert!(validated.refreshed.is_none());

        let wrong = auth.login("admin@a.test", "wrong password", at("10.0.0.2")).await.unwrap_err().to_string();
        let unknown = auth.login("nobody@a.test", common::PASSWORD, at("10.0.0.3")).await.unwrap_err().to_string();
        assert_eq!(wrong, unknown, "same error for unknown email and wrong password");
        w.services.users.update(&w.platform, w.member_a.id, service::users::PatchUser { is_active: Some(false), ..Default::default() }).await.unwrap();
        let inactive = auth.login("member@a.test", common::PASSWORD, at("10.0.0.4")).await.unwrap_err().to_string();
        assert_eq!(inactive, wrong);
    }
}

backend_tests! {
    async fn bcrypt_hashes_are_upgraded_to_argon2id_after_login(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let legacy = bcrypt::hash("legacy-password", 4).unwrap();
        repository::users::update(&db.conn, w.member_b.id, repository::users::UserUpdate { password_hash: Some(legacy), ..Default::default() }).await.unwrap();
        w.services.auth.login("member@b.test", "legacy-password", at("10.0.0.9")).await.unwrap();
        let stored = repository::users::get(&db.conn, w.member_b.id).await.unwrap().password_hash;
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        w.services.auth.login("member@b.test", "legacy-password", at("10.0.0.9")).await.unwrap();
    }
}

/// Claims of `member@a.test` for a token issued at `iat`, expiring at `exp`,
/// in a session that began at `auth_time`.
fn member_claims(w: &common::World, iat: i64, exp: i64, auth_time: i64) -> Claims {
    Claims {
        sub: w.member_a.id.to_string(),
        email: "member@a.test".into(),
        org_id: Some(w.org_a),
        role: "member".into(),
        iat,
        exp,
        ver: 0,
        auth_time,
        iss: None,
        aud: None,
    }
}

fn sign(claims: &Claims, alg: Algorithm, secret: &str) -> String {
    service::token_crypto::install();
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

backend_tests! {
    async fn tampered_unsigned_foreign_algorithm_expired_and_deactivated_tokens_are_rejected(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let now = chrono::Utc::now().timestamp();
        let claims = member_claims(&w, now, now + 3600, now);
        let good = sign(&claims, Algorithm::HS256, SECRET);
        assert!(auth.validate_token(&good).await.is_ok());

        // Tampered payload: claim to be the platform admin, keep the signature.
        let parts: Vec<&str> = good.split('.').collect();
        let forged_claims = Claims { sub: w.platform.id.to_string(), ..claims.clone() };
        let forged_payload = sign(&forged_claims, Algorithm::HS256, "other-secret").split('.').nth(1).unwrap().to_owned();
        assert!(unauthorized(auth.validate_token(&format!("{}.{}.{}", parts[0], forged_payload, parts[2])).await));
        // alg: none
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        assert!(unauthorized(auth.validate_token(&none).await));
        // Another algorithm with the same secret.
        assert!(unauthorized(auth.validate_token(&sign(&claims, Algorithm::HS512, SECRET)).await));
        // Expired.
        let expired = Claims { iat: now - 7200, exp: now - 10, ..claims.clone() };
        assert!(unauthorized(auth.validate_token(&sign(&expired, Algorithm::HS256, SECRET)).await));
        // Garbage.
        assert!(unauthorized(auth.validate_token("not.a.token").await));
        // Deactivated after issue.
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { is_active: Some(false), ..Default::default() }).await.unwrap();
        assert!(unauthorized(auth.validate_token(&good).await));
    }
}

backend_tests! {
    async fn a_fresh_token_is_issued_after_80_percent_of_its_lifetime_within_the_session(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let now = chrono::Utc::now().timestamp();
        let claims = member_claims(&w, now - 2900, now + 700, now - 2900);
        let old = auth.validate_token(&sign(&claims, Algorithm::HS256, SECRET)).await.unwrap();
        let fresh = old.refreshed.expect("81% of the lifetime has passed");
        assert!(auth.validate_token(&fresh.access_token).await.unwrap().refreshed.is_none());
        let young = Claims { iat: now - 60, exp: now + 3540, ..claims.clone() };
        assert!(auth.validate_token(&sign(&young, Algorithm::HS256, SECRET)).await.unwrap().refreshed.is_none());
    }
}

backend_tests! {
    async fn refresh_stops_at_the_session_limit(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let now = chrono::Utc::now().timestamp();
        let day = 24 * 3600;
        // Signed in 23.5 hours ago, token in its last minutes: the renewal
        // ends with the session, not an hour later.
        let late = member_claims(&w, now - 3000, now + 600, now - day + 1800);
        let renewed = auth.validate_token(&sign(&late, Algorithm::HS256, SECRET)).await.unwrap().refreshed.expect("renewed");
        assert!(renewed.expires_in <= 1800, "capped at the session's end: {}", renewed.expires_in);
        // A token that reaches the session's end is not renewed again.
        let last = Claims { iat: now - 1500, exp: now + 100, auth_time: now - day + 100, ..late.clone() };
        assert!(auth.validate_token(&sign(&last, Algorithm::HS256, SECRET)).await.unwrap().refreshed.is_none());
        // Past the limit, even an unexpired token is refused.
        let over = Claims { iat: now - 60, exp: now + 3000, auth_time: now - day - 1, ..late };
        assert!(unauthorized(auth.validate_token(&sign(&over, Algorithm::HS256, SECRET)).await));
    }
}

backend_tests! {
    async fn a_password_change_reset_role_change_or_deactivation_revokes_earlier_tokens(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let token = |email: &'static str| async move { auth.login(email, common::PASSWORD, at("10.0.0.9")).await.unwrap().token.access_token };

        // Own password, with the current one: the old token dies, the new works.
        let before = token("member@a.test").await;
        let fresh = auth.change_password(&w.member_a, common::PASSWORD, "a brand new password", at("10.0.0.9")).await.unwrap();
        assert!(unauthorized(auth.validate_token(&before).await), "password change revokes");
        assert!(auth.validate_token(&fresh.access_token).await.is_ok());
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { password: Some(common::PASSWORD.into()), ..Default::default() }).await.unwrap();
        assert!(unauthorized(auth.validate_token(&fresh.access_token).await), "an admin's reset revokes");

        // Role change.
        let before = token("member@a.test").await;
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { role: Some(UserRole::OrgAdmin), ..Default::default() }).await.unwrap();
        assert!(unauthorized(auth.validate_token(&before).await), "role change revokes");
        let after = token("member@a.test").await;
        assert_eq!(auth.validate_token(&after).await.unwrap().actor.role, UserRole::OrgAdmin);

        // Deactivation, and reactivation does not bring old tokens back.
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { is_active: Some(false), ..Default::default() }).await.unwrap();
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { is_active: Some(true), ..Default::default() }).await.unwrap();
        assert!(unauthorized(auth.validate_token(&after).await), "deactivation revokes for good");

        // A name change revokes nothing.
        let kept = token("member@a.test").await;
        w.services.users.update(&w.admin_a, w.member_a.id, service::users::PatchUser { full_name: Some(Some("M".into())), ..Default::default() }).await.unwrap();
        assert!(auth.validate_token(&kept).await.is_ok());
    }
}

backend_tests! {
    async fn ones_own_password_changes_only_with_the_current_one(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let patch = service::users::PatchUser { password: Some("taken over account".into()), ..Default::default() };
        let err = w.services.users.update(&w.member_a, w.member_a.id, patch.clone()).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");
        let err = w.services.users.update(&w.admin_a, w.admin_a.id, patch).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "admins too: {err:?}");
        let wrong = w.services.auth.change_password(&w.member_a, "not the password", "taken over account", at("10.0.0.9")).await.unwrap_err();
        assert!(matches!(wrong, LoginError::Service(ServiceError::Forbidden(_))), "{wrong:?}");
        assert!(w.services.auth.login("member@a.test", common::PASSWORD, at("10.0.0.9")).await.is_ok(), "unchanged");
    }
}

backend_tests! {
    async fn an_inactive_organization_signs_its_users_out_and_keeps_them_out(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let token = auth.login("member@a.test", common::PASSWORD, at("10.0.0.9")).await.unwrap().token.access_token;
        repository::organizations::update(&db.conn, w.org_a, repository::organizations::OrganizationUpdate { is_active: Some(false), ..Default::default() }).await.unwrap();
        assert!(unauthorized(auth.validate_token(&token).await));
        let err = auth.login("member@a.test", common::PASSWORD, at("10.0.0.9")).await.unwrap_err();
        assert!(matches!(err, LoginError::Service(ServiceError::Unauthorized(_))), "{err:?}");
        assert!(auth.login("member@b.test", common::PASSWORD, at("10.0.0.9")).await.is_ok(), "other organizations unaffected");
    }
}

#[test]
fn missing_short_and_published_secrets_are_refused() {
    for secret in [
        None,
        Some("short"),
        Some("curio-demo-secret-change-me-0123456789abcdef"),
    ] {
        let settings = service::AuthSettings {
            jwt_secret: secret.map(|s| s.to_owned().into()),
            ..service::AuthSettings::default()
        };
        let err = settings.checked_secret().unwrap_err();
        assert!(err.contains("auth.jwt_secret"), "{err}");
    }
}

backend_tests! {
    async fn repeated_failures_are_throttled_even_when_concurrent(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = w.services.auth.clone();
        let attempts = (0..12).map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await })
        });
        let results = futures::future::join_all(attempts).await;
        let throttled = results.iter().filter(|r| matches!(r.as_ref().unwrap(), Err(LoginError::Throttled(_)))).count();
        assert_eq!(throttled, 12 - 5, "at most 5 attempts are evaluated");
        assert!(matches!(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await, Err(LoginError::Throttled(_))), "blocked per account");
    }
}

backend_tests! {
    async fn failed_logins_of_one_account_do_not_lock_out_others_at_the_same_address(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        for _ in 0..8 {
            auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        }
        assert!(matches!(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.1")).await, Err(LoginError::Throttled(_))));
        assert!(auth.login("member@a.test", common::PASSWORD, at("10.0.0.1")).await.is_ok(), "another account, same address");
    }
}

backend_tests! {
    async fn an_account_past_its_free_failures_waits_a_growing_delay_then_signs_in(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = &w.services.auth;
        let wait = |r: Result<_, LoginError>| match r {
            Err(LoginError::Throttled(wait)) => wait,
            other => panic!("expected Throttled, got {:?}", other.map(|_| ())),
        };
        for _ in 0..5 {
            auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        }
        let first = wait(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await);
        assert_eq!(first, Duration::from_secs(1), "the first delay");
        tokio::time::sleep(first + Duration::from_millis(100)).await;
        // One more failure doubles the delay, and a correct password must wait it out too.
        auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        let second = wait(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await);
        assert_eq!(second, Duration::from_secs(2), "the delay doubles");
        tokio::time::sleep(second + Duration::from_millis(100)).await;
        assert!(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await.is_ok(), "after the delay");
        auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        assert!(auth.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await.is_ok(), "success forgot the failures");
    }
}

backend_tests! {
    async fn an_address_past_its_far_higher_limit_stops_guessing_but_not_accounts_without_failures(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let auth = service::auth::AuthService::new(db.conn.clone(), service::AuthSettings {
            max_failed_logins_per_address: 6,
            ..common::auth_settings()
        }).unwrap();
        for i in 0..6 {
            auth.login(&format!("nobody{i}@a.test"), "wrong password", at("203.0.113.7")).await.unwrap_err();
        }
        // Everyone behind the address could be locked out by one guesser;
        // an account that failed nothing still signs in.
        assert!(auth.login("member@a.test", common::PASSWORD, at("203.0.113.7")).await.is_ok(), "an account without failures of its own");
        // A guess at another account counts against it: from then on the
        // address block holds for that account too, even with its password.
        assert!(matches!(auth.login("admin@a.test", "a wrong guess", at("203.0.113.7")).await, Err(LoginError::Service(ServiceError::Unauthorized(_)))));
        assert!(matches!(auth.login("admin@a.test", common::PASSWORD, at("203.0.113.7")).await, Err(LoginError::Throttled(_))), "the address is blocked for an account it failed");
        assert!(matches!(auth.login("nobody9@a.test", "wrong password", at("203.0.113.7")).await, Err(LoginError::Service(ServiceError::Unauthorized(_)))), "one guess per unknown account, then");
        assert!(matches!(auth.login("nobody9@a.test", "wrong password", at("203.0.113.7")).await, Err(LoginError::Throttled(_))));
        assert!(auth.login("admin@a.test", common::PASSWORD, at("198.51.100.2")).await.is_ok(), "elsewhere the account waits only for its own failures");
        drop(w);
    }
}

backend_tests! {
    async fn login_throttling_is_shared_by_every_process_on_the_database(backend: Backend) {
        let db = TestDb::new(backend).await;
        let _w = common::world(&db.conn, common::offline(), 1).await;
        let process = || service::auth::AuthService::new(db.conn.clone(), common::auth_settings()).unwrap();
        let (one, two) = (process(), process());
        for _ in 0..5 {
            one.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        }
        assert!(matches!(two.login("admin@a.test", common::PASSWORD, at("10.0.0.2")).await, Err(LoginError::Throttled(_))));
    }
}

backend_tests! {
    async fn an_over_long_email_is_refused_before_anything_is_stored(backend: Backend) {
        let db = TestDb::new(backend).await;
        let w = common::world(&db.conn, common::offline(), 1).await;
        let email = format!("{}@a.test", "x".repeat(10_000));
        let err = w.services.auth.login(&email, "wrong password", at("10.0.0.1")).await.unwrap_err();
        assert!(matches!(err, LoginError::Service(ServiceError::Validation(_))), "{err:?}");
        use sea_orm::{EntityTrait, PaginatorTrait};
        assert_eq!(entity::login_throttle::Entity::find().count(&db.conn).await.unwrap(), 0);
    }
}

backend_tests! {
    async fn counters_past_the_window_are_pruned(backend: Backend) {
        let db = TestDb::new(backend).await;
        let _w = common::world(&db.conn, common::offline(), 1).await;
        let auth = service::auth::AuthService::new(db.conn.clone(), service::AuthSettings {
            failed_login_window_secs: 1,
            ..common::auth_settings()
        }).unwrap();
        auth.login("admin@a.test", "wrong password", at("10.0.0.1")).await.unwrap_err();
        assert_eq!(auth.prune_login_failures().await.unwrap(), 0, "still within the window");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(auth.prune_login_failures().await.unwrap(), 2, "the account and the address");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_hashing_does_not_block_the_runtime() {
    let started = Instant::now();
    service::passwords::hash("calibrate".into()).await.unwrap();
    let one_hash = started.elapsed();
    let max_lag = Arc::new(AtomicU64::new(0));
    let lag = max_lag.clone();
    let ticker = tokio::spawn(async move {
        loop {
            let before = Instant::now();
            tokio::time::sleep(Duration::from_millis(1)).await;
            let late = before.elapsed().saturating_sub(Duration::from_millis(1));
            lag.fetch_max(late.as_micros() as u64, Ordering::SeqCst);
        }
    });
    let hashes = (0..8).map(|i| service::passwords::hash(format!("password {i}")));
    futures::future::join_all(hashes).await;
    ticker.abort();
    let max_lag = Duration::from_micros(max_lag.load(Ordering::SeqCst));
    assert!(
        max_lag < one_hash / 2,
        "scheduling delay {max_lag:?} vs one hash {one_hash:?}"
    );
}
