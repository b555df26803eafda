//! Logical time and seeded randomness from the host.
//!
//! Both are deterministic per call: the same call with the same host seed
//! sees the same time and the same random bits, which is what lets the host
//! replay a call exactly. Prefer these to `std::time` and `getrandom`, whose
//! determinism depends on how the host configured WASI.

use crate::bindings::imports::bazaar::plugin::host;

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// The host's per-call limit on one `random-bytes` request.
const MAX_RANDOM_BYTES_PER_CALL: usize = 4096;

/// The logical time of this call. It does not advance during the call.
pub fn now() -> Timestamp {
    host::now()
}

/// The next 64 random bits from the generator the host seeded for this call.
pub fn random_u64() -> u64 {
    host::random_u64()
}

/// `len` bytes from the same seeded generator as [`random_u64`].
///
/// The host hands out at most 4096 bytes per request; longer requests are
/// split here so callers need not care.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        let chunk = (len - bytes.len()).min(MAX_RANDOM_BYTES_PER_CALL);
        // `chunk` is at most 4096, so the cast cannot truncate.
        bytes.extend(host::random_bytes(chunk as u32));
    }
    bytes
}

/// A random index below `bound` (which must not be zero), without the modulo
/// bias of `random_u64() % bound`.
pub fn random_below(bound: u64) -> u64 {
    assert!(bound > 0, "random_below(0)");
    // Reject the top partial range so every residue is equally likely.
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let value = random_u64();
        if value < zone {
            return value % bound;
        }
    }
}
