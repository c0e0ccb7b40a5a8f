//! Random identifiers and secrets. Every id, token and object key prefix carries at least
//! 128 random bits from the operating system, so none can be guessed or enumerated.

use base64::Engine;
use sha2::{Digest, Sha256};

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// A 128-bit id as 32 lowercase hex digits (albums, photos, uploads, users).
pub fn random_id() -> String {
    hex::encode(random_bytes::<16>())
}

/// A 256-bit secret, URL-safe base64 without padding (session tokens, keys).
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// How a secret token is stored: its SHA-256 in hex. A leaked table reveals no token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether two secrets are equal, in time that does not depend on where they differ
/// (compared as SHA-256 digests, so their lengths do not show either).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    openssl::memcmp::eq(&given, &expected)
}

/// A number in `0..bound` (for retry jitter).
pub fn random_below(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    u64::from_le_bytes(random_bytes::<8>()) % bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_distinct_and_hashes_hide_tokens() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        let token = random_token();
        assert!(token.len() >= 43);
        assert_eq!(token_hash(&token).len(), 64);
        assert!(!token_hash(&token).contains(&token));
        assert!(random_below(10) < 10);
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", "s3cret "));
    }
}
