//! Identifiers and API tokens. Ids are random, prefixed by what they name so
//! a misplaced id is obvious in logs; tokens are shown once and stored only
//! as their sha256.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh id such as `ord_3f9c0a7d1b2e4c65`.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// A fresh API token: `bz_` and 40 hex digits (160 random bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("bz_{}", hex::encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A deterministic 64-bit seed from a string, so retrying a job gives its
/// plugin the same random numbers (and so the same instance id).
pub fn seed_of(s: &str) -> u64 {
    let digest = Sha256::digest(s.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}
