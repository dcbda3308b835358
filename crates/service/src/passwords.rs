//! Password hashing: argon2id for new hashes, bcrypt accepted from the
//! service Curio replaces. Hashing is CPU-heavy (tens of milliseconds), so
//! every call runs through [`crate::cpu`], never on a runtime worker.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::ServiceError;

/// A real argon2id hash of a random password, made once: logins for unknown
/// emails verify against it, so they cost as much time as real ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: u128 = rand::random();
        hash_now(&random.to_string()).unwrap_or_default()
    })
}

/// Hashes a password with argon2id (on the blocking pool).
pub async fn hash(password: String) -> Result<String, ServiceError> {
    crate::cpu::run(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(e.to_string().into()))
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, and the stored hash is legacy (bcrypt): here is its argon2id
    /// replacement.
    YesRehashed(String),
}

/// Checks a password against a stored hash (on the blocking pool). `None`
/// checks against a dummy hash and always answers `No`, taking as long.
pub async fn verify(password: String, stored: Option<String>) -> Result<Verified, ServiceError> {
    crate::cpu::run(move || match stored {
        None => {
            let _ = verify_argon2(&password, dummy_hash());
            Ok(Verified::No)
        }
        Some(stored) if is_bcrypt(&stored) => {
            if bcrypt::verify(&password, &stored).unwrap_or(false) {
                Ok(Verified::YesRehashed(hash_now(&password)?))
            } else {
                Ok(Verified::No)
            }
        }
        Some(stored) => Ok(if verify_argon2(&password, &stored) {
            Verified::Yes
        } else {
            Verified::No
        }),
    })
    .await?
}

fn verify_argon2(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_hashes_verify_and_reject_wrong_passwords() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap(),
            Verified::Yes
        );
        assert_eq!(verify("wrong".into(), Some(h)).await.unwrap(), Verified::No);
        assert_eq!(verify("x".into(), None).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn bcrypt_hashes_from_the_old_service_verify_and_are_rehashed() {
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let legacy = bcrypt::hash_with_result("s3cret", 4)
                .unwrap()
                .format_for_version(match prefix {
                    "$2a$" => bcrypt::Version::TwoA,
                    "$2y$" => bcrypt::Version::TwoY,
                    _ => bcrypt::Version::TwoB,
                });
            assert!(legacy.starts_with(prefix));
            match verify("s3cret".into(), Some(legacy.clone())).await.unwrap() {
                Verified::YesRehashed(new) => assert!(new.starts_with("$argon2id$")),
                other => panic!("{prefix}: {other:?}"),
            }
            assert_eq!(
                verify("nope".into(), Some(legacy)).await.unwrap(),
                Verified::No
            );
        }
    }
}
