//! The `serve` flags of the production edge: TLS, connection and request
//! limits, rate limits. Each has an environment variable, and its default
//! is the one README's "Running in production" states.

use crate::api::Guards;
use crate::api::limits::RouteLimit;
use crate::api::rate_limits::Rate;
use crate::serve::{ServeConfig, TlsSource};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// TLS and limits.
#[derive(Debug, Args)]
pub struct EdgeFlags {
    /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`.
    #[arg(long, env = "BAZAAR_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, env = "BAZAAR_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed development certificate for
    /// localhost, generated into DATA_DIR/tls/.
    #[arg(long, env = "BAZAAR_TLS_SELF_SIGNED", conflicts_with = "tls_cert")]
    tls_self_signed: bool,
    /// Seconds a client has to finish the TLS handshake and send a request
    /// head, from connecting or from the previous answer.
    #[arg(long, env = "BAZAAR_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a connection may stay silent with no request running.
    #[arg(long, env = "BAZAAR_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    idle_timeout_secs: u64,
    /// Connections open at once; more are closed on accept.
    #[arg(long, env = "BAZAAR_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// Seconds shutdown waits for in-flight requests and the worker's round.
    #[arg(long, env = "BAZAAR_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u64,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "BAZAAR_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Seconds a JSON request body may take to arrive.
    #[arg(long, env = "BAZAAR_BODY_TIMEOUT_SECS", default_value_t = 15)]
    body_timeout_secs: u64,
    /// Seconds a JSON request may take to be answered.
    #[arg(long, env = "BAZAAR_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Seconds a plugin upload (body and compilation) may take.
    #[arg(long, env = "BAZAAR_UPLOAD_TIMEOUT_SECS", default_value_t = 300)]
    upload_timeout_secs: u64,
    /// Requests per second per token (0: unlimited).
    #[arg(long, env = "BAZAAR_RATE_PER_TOKEN", default_value_t = 100)]
    rate_per_token: u32,
    /// Burst allowance per token.
    #[arg(long, env = "BAZAAR_BURST_PER_TOKEN", default_value_t = 1000)]
    burst_per_token: u32,
    /// Requests per second per client address (0: unlimited).
    #[arg(long, env = "BAZAAR_RATE_PER_ADDRESS", default_value_t = 500)]
    rate_per_address: u32,
    /// Burst allowance per client address.
    #[arg(long, env = "BAZAAR_BURST_PER_ADDRESS", default_value_t = 2000)]
    burst_per_address: u32,
    /// Failed authentications per address per minute before it must wait (0: unlimited).
    #[arg(long, env = "BAZAAR_AUTH_FAILURES_PER_MINUTE", default_value_t = 10)]
    auth_failures_per_minute: u32,
}

impl EdgeFlags {
    /// The connection settings these flags name.
    pub fn serve_config(&self) -> ServeConfig {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ if self.tls_self_signed => Some(TlsSource::SelfSigned),
            _ => None,
        };
        ServeConfig {
            tls,
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            ..ServeConfig::default()
        }
    }

    /// The request and rate limits these flags name.
    pub fn guards(&self) -> Guards {
        let mut guards = Guards::default();
        guards.requests.json = RouteLimit {
            body_bytes: self.max_body_bytes,
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
        };
        let upload = Duration::from_secs(self.upload_timeout_secs.max(1));
        guards.requests.upload.request_timeout = upload;
        guards.requests.upload.body_timeout = upload;
        guards.rates.per_token = Rate {
            per_second: self.rate_per_token,
            burst: self.burst_per_token,
        };
        guards.rates.per_address = Rate {
            per_second: self.rate_per_address,
            burst: self.burst_per_address,
        };
        guards.rates.auth_failures_per_minute = self.auth_failures_per_minute;
        guards
    }
}
