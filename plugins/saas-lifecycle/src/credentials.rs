//! Instance ids and initial passwords drawn from the host's seeded
//! randomness.
//!
//! Drawing from the host (not from WASI randomness) keeps a call replayable:
//! the same call with the same seed yields the same id and password. A retry
//! of the same order may be given different bits, which is why the plugin
//! looks the order up in KV before drawing anything.

/// Characters of generated passwords: letters and digits without the ones
/// people confuse when copying (`0`/`O`, `1`/`l`/`I`).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Length of generated passwords.
pub(crate) const PASSWORD_LEN: usize = 16;

/// A fresh instance id: `inst-` and 16 lowercase hex digits from 8 random
/// bytes.
pub(crate) fn new_instance_id() -> String {
    instance_id_from(&bazaar_sdk::random_bytes(8))
}

/// A fresh password of [`PASSWORD_LEN`] characters from
/// [`PASSWORD_ALPHABET`].
pub(crate) fn new_password() -> String {
    let mut password = String::with_capacity(PASSWORD_LEN);
    while password.len() < PASSWORD_LEN {
        // Ask for a few spare bytes: rejection sampling discards some.
        password.extend(password_chars(&bazaar_sdk::random_bytes(PASSWORD_LEN * 2)));
        password.truncate(PASSWORD_LEN);
    }
    password
}

fn instance_id_from(bytes: &[u8]) -> String {
    let mut id = String::from("inst-");
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// Maps bytes to alphabet characters, dropping bytes from the top partial
/// range so that every character is equally likely.
fn password_chars(bytes: &[u8]) -> impl Iterator<Item = char> + '_ {
    let n = PASSWORD_ALPHABET.len();
    let limit = 256 - 256 % n;
    bytes
        .iter()
        .map(|&b| usize::from(b))
        .filter(move |&b| b < limit)
        .map(move |b| char::from(PASSWORD_ALPHABET[b % n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_prefixed_hex() {
        let id = instance_id_from(&[0x00, 0x11, 0xab, 0xff, 1, 2, 3, 4]);
        assert_eq!(id, "inst-0011abff01020304");
    }

    #[test]
    fn password_chars_come_from_the_alphabet_without_bias() {
        let all: Vec<u8> = (0..=255).collect();
        let chars: String = password_chars(&all).collect();
        let per_char = 256 / PASSWORD_ALPHABET.len();
        assert_eq!(chars.len(), per_char * PASSWORD_ALPHABET.len());
        for &c in PASSWORD_ALPHABET {
            assert_eq!(chars.matches(char::from(c)).count(), per_char);
        }
    }
}
