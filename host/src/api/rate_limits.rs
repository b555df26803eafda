//! Rate limits, kept per node in memory: requests per token, requests per
//! client address, and — strictly — failed authentications per address,
//! after which that address's credentialed requests wait out a penalty. A
//! refusal is `429` with `Retry-After`. With several nodes each keeps its
//! own counts, so a client spread over N nodes gets up to N times the rate.

use super::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A sustained rate with a burst allowance; `per_second == 0` turns it off.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// The service's rate limits; README states the defaults.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Requests per bearer token.
    pub per_token: Rate,
    /// Requests per client address, with or without a token.
    pub per_address: Rate,
    /// Failed authentications per address per minute, before the address is
    /// made to wait.
    pub auth_failures_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_token: Rate {
                per_second: 100,
                burst: 1_000,
            },
            per_address: Rate {
                per_second: 500,
                burst: 2_000,
            },
            auth_failures_per_minute: 10,
        }
    }
}

impl RateLimits {
    /// No limits at all (benchmarks).
    pub fn off() -> Self {
        let off = Rate {
            per_second: 0,
            burst: 0,
        };
        Self {
            per_token: off,
            per_address: off,
            auth_failures_per_minute: 0,
        }
    }
}

/// The limiters' state.
pub struct Limiter {
    per_token: Option<DefaultKeyedRateLimiter<[u8; 16]>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses that failed authentication too often, until when.
    penalised: Mutex<HashMap<IpAddr, Instant>>,
    checks: AtomicU64,
}

fn quota(rate: Rate) -> Option<Quota> {
    let per_second = NonZeroU32::new(rate.per_second)?;
    let burst = NonZeroU32::new(rate.burst.max(rate.per_second))?;
    Some(Quota::per_second(per_second).allow_burst(burst))
}

impl Limiter {
    /// Limiters for `limits`.
    pub fn new(limits: &RateLimits) -> Arc<Self> {
        let failures = NonZeroU32::new(limits.auth_failures_per_minute)
            .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(Self {
            per_token: quota(limits.per_token).map(DefaultKeyedRateLimiter::keyed),
            per_address: quota(limits.per_address).map(DefaultKeyedRateLimiter::keyed),
            failures,
            penalised: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        })
    }

    /// Forgets keys that are back to a full allowance, now and then, so a
    /// scan of many addresses or tokens cannot grow the maps forever.
    fn tidy(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 != 9_999 {
            return;
        }
        for l in [&self.per_address, &self.failures].into_iter().flatten() {
            l.retain_recent();
        }
        if let Some(l) = &self.per_token {
            l.retain_recent();
        }
        let now = Instant::now();
        self.penalised
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
    }
}

fn wait<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Option<Duration> {
    let limiter = limiter.as_ref()?;
    limiter
        .check_key(key)
        .err()
        .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

fn too_many(wait: Duration, what: &str) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut answer = ApiError::Http {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: format!("too many requests {what}; retry in {seconds} s"),
    }
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        answer.headers_mut().insert(header::RETRY_AFTER, v);
    }
    answer
}

/// Refuses requests over a limit; counts failed authentications.
pub async fn limit_rates(
    State(limiter): State<Arc<Limiter>>,
    req: Request,
    next: Next,
) -> Response {
    limiter.tidy();
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let digest = Sha256::digest(v.trim().as_bytes());
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            key
        });
    if let Some(ip) = address {
        if token.is_some() {
            let until = limiter
                .penalised
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&ip)
                .copied();
            if let Some(until) = until.filter(|u| *u > Instant::now()) {
                return too_many(
                    until - Instant::now(),
                    "with failed authentication from this address",
                );
            }
        }
        if let Some(w) = wait(&limiter.per_address, &ip) {
            return too_many(w, "from this address");
        }
    }
    if let Some(key) = &token
        && let Some(w) = wait(&limiter.per_token, key)
    {
        return too_many(w, "with this token");
    }
    let answer = next.run(req).await;
    if answer.status() == StatusCode::UNAUTHORIZED
        && let Some(ip) = address
        && let Some(w) = wait(&limiter.failures, &ip)
    {
        tracing::warn!(address = %ip, "too many failed authentications; penalising the address");
        limiter
            .penalised
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ip, Instant::now() + w.max(Duration::from_secs(1)));
    }
    answer
}
