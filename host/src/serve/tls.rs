//! HTTPS with rustls: the certificate and key come from PEM files (or a
//! self-signed development pair written into the data directory), ALPN
//! offers HTTP/2 and HTTP/1.1, and the pair is reloaded when the files
//! change or the process gets SIGHUP, without touching open connections:
//! each new handshake asks the resolver for the current pair.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// Where the service's certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// A certificate chain and its private key, PEM files.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A development certificate for `localhost` and `127.0.0.1`, generated
    /// once into `DATA_DIR/tls/` so a client can be pointed at it.
    SelfSigned,
}

/// Why the TLS set-up failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {why}")]
    Pem {
        /// The file.
        path: String,
        /// What was wrong.
        why: String,
    },
    /// rustls refused the key.
    #[error("the TLS key is not usable: {0}")]
    Key(String),
    /// The self-signed pair could not be made or written.
    #[error("cannot create the self-signed certificate: {0}")]
    SelfSigned(String),
}

/// The current certificate, swapped in place on reload.
#[derive(Debug)]
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, Option<SystemTime>)>,
}

impl ReloadingCert {
    /// Loads the pair named by `source`, generating the self-signed one in
    /// `data_dir` when asked and missing.
    pub fn open(source: &TlsSource, data_dir: &Path) -> Result<Arc<Self>, TlsError> {
        let (cert, key) = match source {
            TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
            TlsSource::SelfSigned => self_signed(data_dir)?,
        };
        let loaded = load(&cert, &key)?;
        let stamp = stamp(&cert, &key);
        Ok(Arc::new(Self {
            cert,
            key,
            current: RwLock::new((loaded, stamp)),
        }))
    }

    /// The certificate file in use (for the start-up message).
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// Reads the files again; a broken new pair is logged and the old one
    /// kept, so a half-copied renewal cannot take the service down.
    pub fn reload(&self) {
        match load(&self.cert, &self.key) {
            Ok(fresh) => {
                let stamp = stamp(&self.cert, &self.key);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = (fresh, stamp);
                tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate not reloaded; keeping the old one")
            }
        }
    }

    /// Reloads when either file's modification time moved since the last load.
    pub fn reload_if_changed(&self) {
        let now = stamp(&self.cert, &self.key);
        let seen = self.current.read().unwrap_or_else(|e| e.into_inner()).1;
        if now.is_some() && now != seen {
            self.reload();
        }
    }

    /// The rustls configuration: this resolver, HTTP/2 then HTTP/1.1 by ALPN.
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        // The provider is named, not taken from the process default, so a
        // dependency enabling another one cannot make this ambiguous.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// Watches for SIGHUP and for changed files (every `every`) until the
    /// process ends.
    pub fn spawn_reloader(self: &Arc<Self>, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                {
                    let hangup = async {
                        match hup.as_mut() {
                            Some(h) => h.recv().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = hangup => me.reload(),
                        _ = tick.tick() => me.reload_if_changed(),
                    }
                }
                #[cfg(not(unix))]
                {
                    tick.tick().await;
                    me.reload_if_changed();
                }
            }
        });
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .0
                .clone(),
        )
    }
}

fn stamp(cert: &Path, key: &Path) -> Option<SystemTime> {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some(m(cert)?.max(m(key)?))
}

fn pem_error(path: &Path, why: impl std::fmt::Display) -> TlsError {
    TlsError::Pem {
        path: path.display().to_string(),
        why: why.to_string(),
    }
}

fn load(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_error(cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error(cert, e))?;
    if chain.is_empty() {
        return Err(pem_error(cert, "no CERTIFICATE block"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| TlsError::Key(e.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// `DATA_DIR/tls/self-signed.{crt,key}`, created on first use.
fn self_signed(data_dir: &Path) -> Result<(PathBuf, PathBuf), TlsError> {
    let dir = data_dir.join("tls");
    let cert = dir.join("self-signed.crt");
    let key = dir.join("self-signed.key");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let fail = |e: &dyn std::fmt::Display| TlsError::SelfSigned(e.to_string());
    std::fs::create_dir_all(&dir).map_err(|e| fail(&e))?;
    let pair =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(|e| fail(&e))?;
    std::fs::write(&cert, pair.cert.pem()).map_err(|e| fail(&e))?;
    write_private(&key, pair.signing_key.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
    tracing::info!(cert = %cert.display(), "generated a self-signed development certificate");
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}
