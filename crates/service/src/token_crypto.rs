//! The HMAC family (HS256, HS384, HS512) as jsonwebtoken's crypto provider.
//! Curio signs and accepts HS256 only (see [`crate::auth`]); jsonwebtoken's
//! built-in providers would also build RSA, ECDSA and EdDSA, and a second
//! `rand`, for keys Curio never holds.

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::{Sha256, Sha384, Sha512};

/// A keyed MAC for one algorithm of the family.
#[derive(Clone)]
enum HmacKey {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
}

impl HmacKey {
    fn new(algorithm: Algorithm, secret: &[u8]) -> Result<Self> {
        let invalid = |_| ErrorKind::InvalidKeyFormat;
        Ok(match algorithm {
            Algorithm::HS256 => Self::Hs256(Hmac::new_from_slice(secret).map_err(invalid)?),
            Algorithm::HS384 => Self::Hs384(Hmac::new_from_slice(secret).map_err(invalid)?),
            Algorithm::HS512 => Self::Hs512(Hmac::new_from_slice(secret).map_err(invalid)?),
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256(_) => Algorithm::HS256,
            Self::Hs384(_) => Algorithm::HS384,
            Self::Hs512(_) => Algorithm::HS512,
        }
    }
}

/// The tag of `message` under `mac`.
fn tag<M: Mac + Clone>(mac: &M, message: &[u8]) -> Vec<u8> {
    let mut mac = mac.clone();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `tag` is the tag of `message`, compared in constant time.
fn check<M: Mac + Clone>(mac: &M, message: &[u8], tag: &[u8]) -> bool {
    let mut mac = mac.clone();
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

impl Signer<Vec<u8>> for HmacKey {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(match self {
            Self::Hs256(mac) => tag(mac, message),
            Self::Hs384(mac) => tag(mac, message),
            Self::Hs512(mac) => tag(mac, message),
        })
    }
}

impl Verifier<Vec<u8>> for HmacKey {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        let valid = match self {
            Self::Hs256(mac) => check(mac, message, signature),
            Self::Hs384(mac) => check(mac, message, signature),
            Self::Hs512(mac) => check(mac, message, signature),
        };
        valid.then_some(()).ok_or_else(signature::Error::new)
    }
}

impl JwtSigner for HmacKey {
    fn algorithm(&self) -> Algorithm {
        HmacKey::algorithm(self)
    }
}

impl JwtVerifier for HmacKey {
    fn algorithm(&self) -> Algorithm {
        HmacKey::algorithm(self)
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: |algorithm, key: &EncodingKey| {
        if key.family() != AlgorithmFamily::Hmac {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        Ok(Box::new(HmacKey::new(*algorithm, key.as_bytes())?))
    },
    verifier_factory: |algorithm, key: &DecodingKey| {
        if key.family() != AlgorithmFamily::Hmac {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        Ok(Box::new(HmacKey::new(*algorithm, key.try_get_as_bytes()?)?))
    },
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes the HMAC family jsonwebtoken's provider for this process; a
/// provider installed before stays.
pub fn install() {
    let _ = PROVIDER.install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_tokens_round_trip_and_a_wrong_secret_or_algorithm_fails() {
        install();
        let claims = serde_json::json!({"sub": "1", "exp": 4_102_444_800u64});
        let secret = b"0123456789abcdef0123456789abcdef";
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        let decode = |secret: &[u8], algorithm| {
            jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_secret(secret),
                &jsonwebtoken::Validation::new(algorithm),
            )
        };
        assert_eq!(decode(secret, Algorithm::HS256).unwrap().claims, claims);
        assert!(decode(b"another secret of thirty-two bytes", Algorithm::HS256).is_err());
        assert!(decode(secret, Algorithm::HS512).is_err());
        let rsa = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::RS256),
            &claims,
            &EncodingKey::from_secret(secret),
        );
        assert!(rsa.is_err(), "only the HMAC family is provided");
    }
}
