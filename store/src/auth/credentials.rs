//! Secrets as they are made and checked: passwords hashed with argon2id, random session ids and
//! token secrets, and the digest under which those two are stored (SHA-256: they are 256 random
//! bits each, so a fast hash is enough; a password is not, so it gets argon2id).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use super::types::PasswordHash;
use crate::error::{Error, Result};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The prefix of every API token, so that a leaked one is recognisable (and greppable).
pub const TOKEN_PREFIX: &str = "fwt_";

/// Why a password is refused, or `None` when it is acceptable.
pub fn password_problem(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Some(format!("the password must have at least {MIN_PASSWORD_CHARS} characters"))
    } else if password.len() > MAX_PASSWORD_BYTES {
        Some(format!("the password must have at most {MAX_PASSWORD_BYTES} bytes"))
    } else {
        None
    }
}

/// The argon2id hash (default parameters, random salt) of `password`, as a PHC string.
pub fn hash_password(password: &str) -> Result<PasswordHash> {
    let hash: Phc = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::Corrupt(format!("cannot hash a password: {e}")))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Whether `password` matches `hash`. An unreadable hash matches nothing.
pub fn verify_password(password: &str, hash: &PasswordHash) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match Phc::new(&hash.0) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to check a password against when there is no such user, so that a login for an
/// unknown name takes as long as one for a known name.
pub fn decoy_hash() -> &'static PasswordHash {
    static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_else(|_| PasswordHash(String::new())))
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Corrupt(format!("no randomness from the system: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A new API token secret: [`TOKEN_PREFIX`] and 64 hex digits.
pub fn new_token_secret() -> Result<String> {
    Ok(format!("{TOKEN_PREFIX}{}", random_hex()?))
}

/// The stored form of a session id or token secret: SHA-256, hex.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap_or_else(|e| panic!("{e}"));
        assert!(hash.0.starts_with("$argon2id$"), "{}", hash.0);
        assert!(!hash.0.contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", &PasswordHash("garbage".into())));
        assert!(!verify_password("anything", decoy_hash()));
        assert!(!format!("{hash:?}").contains("argon2"));
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let a = new_token_secret().unwrap_or_default();
        let b = new_token_secret().unwrap_or_default();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough!").is_none());
        assert!(password_problem(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_some());
    }
}
