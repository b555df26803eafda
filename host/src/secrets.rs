//! Encryption at rest of what plugins provision (credentials), with
//! AES-256-GCM. The key comes from configuration (`BAZAAR_SECRET_KEY`, 64 hex
//! digits); an embedded service without one generates a key file in its data
//! directory on first start so a restart can still decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use std::path::Path;

const NONCE_LEN: usize = 12;

/// Failures of the secret box.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured key is not 32 bytes of hex.
    #[error("the secret key must be 64 hex digits (32 bytes)")]
    BadKey,
    /// The key file cannot be read or written.
    #[error("secret key file: {0}")]
    Io(#[from] std::io::Error),
    /// The ciphertext was not produced with this key for this record.
    #[error("cannot decrypt: wrong key or tampered record")]
    Decrypt,
}

/// Encrypts and decrypts records, binding each ciphertext to the record it
/// belongs to (associated data) so ciphertexts cannot be swapped between rows.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    fingerprint: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box from 64 hex digits.
    pub fn from_hex(key: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(key.trim()).map_err(|_| SecretError::BadKey)?;
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretError::BadKey)?;
        // A hash of the key under a fixed label: the same key always gives
        // the same fingerprint, which tells nothing about the key itself.
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(b"bazaar secret-key fingerprint v1\0");
        hash.update(&bytes);
        let fingerprint = hex::encode(&hash.finalize()[..8]);
        Ok(Self {
            cipher,
            fingerprint,
        })
    }

    /// Which key this is, safe to store and show: nodes sharing a database
    /// must have the same one.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The configured key, or the one in `dir/secret.key`, created on first
    /// use with owner-only permissions.
    pub fn from_config_or_file(key: Option<&str>, dir: &Path) -> Result<Self, SecretError> {
        if let Some(key) = key {
            return Self::from_hex(key);
        }
        let path = dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(key) => Self::from_hex(&key),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                let key = hex::encode(bytes);
                write_private(&path, &key)?;
                tracing::warn!(path = %path.display(), "generated a secret key; set BAZAAR_SECRET_KEY to manage it yourself");
                Self::from_hex(&key)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `nonce || ciphertext` of `plain`, bound to `record`.
    pub fn seal(&self, record: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: record.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext of what [`SecretBox::seal`] produced for `record`.
    pub fn open(&self, record: &str, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: record.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Decrypt)
    }
}

/// How a sealed configuration value starts; what follows is hex.
const SEALED_CONFIG: &str = "sealed:v1:";

impl SecretBox {
    /// A product's plugin-config value, sealed for storing in its definition
    /// (bound to the product and key, so it cannot be moved to another).
    pub fn seal_config(&self, product_id: &str, key: &str, value: &str) -> String {
        let sealed = self.seal(&config_record(product_id, key), value.as_bytes());
        format!("{SEALED_CONFIG}{}", hex::encode(sealed))
    }

    /// Whether `value` is a sealed configuration value.
    pub fn is_sealed_config(value: &str) -> bool {
        value.starts_with(SEALED_CONFIG)
    }

    /// A product's plugin config with its values opened, as plugins get it.
    /// Values stored before sealing existed pass through; a value that does
    /// not open (tampered) is handed over empty and logged.
    pub fn open_config(
        &self,
        product_id: &str,
        config: &std::collections::BTreeMap<String, String>,
    ) -> std::collections::BTreeMap<String, String> {
        config
            .iter()
            .map(|(k, v)| {
                let Some(sealed) = v.strip_prefix(SEALED_CONFIG) else {
                    return (k.clone(), v.clone());
                };
                let plain = hex::decode(sealed)
                    .ok()
                    .and_then(|b| self.open(&config_record(product_id, k), &b).ok())
                    .and_then(|b| String::from_utf8(b).ok());
                if plain.is_none() {
                    tracing::warn!(product = product_id, key = %k, "a plugin-config value does not open");
                }
                (k.clone(), plain.unwrap_or_default())
            })
            .collect()
    }
}

fn config_record(product_id: &str, key: &str) -> String {
    format!("product-config\0{product_id}\0{key}")
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_bound_to_the_record() {
        let b = SecretBox::from_hex(&"11".repeat(32)).unwrap();
        let sealed = b.seal("ins_1", b"password");
        assert_ne!(&sealed[NONCE_LEN..], b"password");
        assert_eq!(b.open("ins_1", &sealed).unwrap(), b"password");
        assert!(b.open("ins_2", &sealed).is_err());
        let other = SecretBox::from_hex(&"22".repeat(32)).unwrap();
        assert!(other.open("ins_1", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::from_config_or_file(None, dir.path()).unwrap();
        let sealed = a.seal("r", b"x");
        let b = SecretBox::from_config_or_file(None, dir.path()).unwrap();
        assert_eq!(b.open("r", &sealed).unwrap(), b"x");
        assert!(SecretBox::from_hex("abcd").is_err());
    }
}
