//! The connection layer under the router: accepts TCP (and TLS), holds the
//! limits that belong to a connection rather than a request — how many may
//! be open, how long a client may take to send a request head, how long a
//! connection may sit silent — and drains gracefully on shutdown. Request
//! limits (body size and time, request time, rate) are the router's, in
//! `api/limits.rs`.

mod connections;
mod tls;

use connections::{Activity, Registry, Running};
pub use tls::{ReloadingCert, TlsError, TlsSource};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Connection limits and TLS; the defaults are the ones README states.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// HTTPS instead of plain HTTP.
    pub tls: Option<TlsSource>,
    /// A client must finish the TLS handshake, and send a complete request
    /// head, within this of connecting or of the previous response.
    pub header_timeout: Duration,
    /// A connection with no request running and no byte either way for this
    /// long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; more are closed on accept, so an attacker
    /// exhausts this number, not the process's file descriptors.
    pub max_connections: usize,
    /// How long shutdown waits for in-flight requests before cutting them.
    pub shutdown_grace: Duration,
    /// How often the certificate files are checked for a change.
    pub tls_reload_every: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            tls: None,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(20),
            tls_reload_every: Duration::from_secs(2),
        }
    }
}

/// A socket that records when bytes last moved, and that replaces the
/// empty error answers hyper's HTTP/1 parser writes by itself with the
/// service's JSON ones.
struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
    /// A JSON answer being written in place of hyper's, how much of it is
    /// written, and how many bytes hyper believes it wrote.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<T> Tracked<T> {
    fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self {
            inner,
            activity,
            replacing: None,
        }
    }
}

/// The status of `buf` when it is a whole bodiless HTTP/1.1 error head
/// without a content type. Every error answer of the router is JSON with a
/// content type, so such a head can only be hyper refusing what it parsed.
fn parser_error(buf: &[u8]) -> Option<axum::http::StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let code = std::str::from_utf8(rest.get(..3)?)
        .ok()?
        .parse::<u16>()
        .ok()?;
    let status = axum::http::StatusCode::from_u16(code).ok()?;
    if !status.is_client_error() && !status.is_server_error() {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let bodiless = end == buf.len() && head.contains("content-length: 0\r\n");
    (bodiless && !head.contains("content-type")).then_some(status)
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.replacing.is_none()
            && let Some(status) = parser_error(buf)
        {
            self.replacing = Some((crate::api::parser_refusal(status), 0, buf.len()));
        }
        if let Some((answer, written, claimed)) = self.replacing.take() {
            let mut written = written;
            while written < answer.len() {
                match Pin::new(&mut self.inner).poll_write(cx, &answer[written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Ok(claimed)),
                    Poll::Ready(Ok(n)) => written += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        self.replacing = Some((answer, written, claimed));
                        return Poll::Pending;
                    }
                }
            }
            self.activity.touch();
            return Poll::Ready(Ok(claimed));
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets running requests finish within the grace period and
/// returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    tls: Option<Arc<ReloadingCert>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tls.map(|cert| {
        cert.spawn_reloader(config.tls_reload_every);
        tokio_rustls::TlsAcceptor::from(cert.server_config())
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .keep_alive_interval(config.idle_timeout / 2)
        .keep_alive_timeout(config.header_timeout);
    let builder = Arc::new(builder);
    let config = ServeConfig {
        max_connections: connection_cap(config.max_connections),
        ..config
    };
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let registry = Arc::new(Registry::default());
    let waiting = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut refused: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors or a connection reset before accept:
                // pausing keeps the loop from spinning on a persistent error.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = slots.clone().try_acquire_owned().ok();
        if slot.is_none() && !make_room(&registry, &waiting) {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    refused,
                    limit = config.max_connections,
                    "connection limit reached with every connection busy; refusing new ones"
                );
            }
            if acceptor.is_none() {
                refuse(tcp, config.max_connections);
            }
            continue;
        }
        let _ = tcp.set_nodelay(true);
        let job = Connection {
            router: router.clone(),
            builder: builder.clone(),
            config: config.clone(),
            stop: stop_rx.clone(),
            peer,
        };
        let (acceptor, slots, registry, waiting) = (
            acceptor.clone(),
            slots.clone(),
            registry.clone(),
            waiting.clone(),
        );
        tokio::spawn(async move {
            let slot = match slot {
                Some(slot) => slot,
                // The evicted connection's slot comes back as its task ends.
                None => {
                    let freed = tokio::time::timeout(ROOM_WAIT, slots.acquire_owned()).await;
                    waiting.fetch_sub(1, Ordering::Relaxed);
                    match freed {
                        Ok(Ok(slot)) => slot,
                        _ => {
                            if acceptor.is_none() {
                                refuse(tcp, job.config.max_connections);
                            }
                            return;
                        }
                    }
                }
            };
            let _slot = slot;
            let registered = registry.register();
            job.run(tcp, acceptor, registered.activity.clone()).await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(config.max_connections).unwrap_or(u32::MAX);
    match tokio::time::timeout(config.shutdown_grace, slots.acquire_many(all)).await {
        Ok(_) => tracing::info!("all connections drained"),
        Err(_) => tracing::warn!(
            open = config.max_connections - slots.available_permits(),
            "shutdown grace period over; cutting the remaining connections"
        ),
    }
    Ok(())
}

/// How long a newcomer at the cap waits for the connection it evicted to
/// close.
const ROOM_WAIT: Duration = Duration::from_millis(250);

/// Newcomers waiting for room at once; more are refused, so a flood of
/// connections cannot hold descriptors while it waits.
const MAX_WAITING: usize = 64;

/// At the cap: asks the oldest idle connection to close, for a newcomer
/// that will wait for its slot; false (refuse it) when every connection is
/// busy or too many newcomers already wait.
fn make_room(registry: &Registry, waiting: &AtomicUsize) -> bool {
    if waiting.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING {
        waiting.fetch_sub(1, Ordering::Relaxed);
        return false;
    }
    if registry.evict_oldest_idle() {
        return true;
    }
    waiting.fetch_sub(1, Ordering::Relaxed);
    false
}

/// Descriptors kept back from connections: the database pool, plugin
/// artifacts, logs and the listener itself.
const RESERVED_FDS: u64 = 256;

/// `wanted`, or fewer if the process cannot open that many files even after
/// raising its soft limit to the hard one: the cap must be reached before
/// `accept` fails with `EMFILE`.
fn connection_cap(wanted: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let room = usize::try_from(limit.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX);
    if room < wanted {
        tracing::warn!(
            wanted,
            open_files = limit,
            cap = room,
            "the open-file limit is below --max-connections; capping connections"
        );
    }
    wanted.min(room)
}

/// Answers a connection over the cap with a JSON `503` and closes it; the
/// write goes to the socket's empty send buffer, so it never waits, and
/// the descriptor is released at once either way.
fn refuse(mut tcp: tokio::net::TcpStream, limit: usize) {
    use tokio::io::AsyncWriteExt;
    let body = serde_json::json!({
        "error": "unavailable",
        "message": format!("the service holds its limit of {limit} open connections; retry shortly"),
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::spawn(async move {
        let write = tcp.write_all(answer.as_bytes());
        let _ = tokio::time::timeout(Duration::from_millis(200), write).await;
    });
}

/// One accepted connection and what it needs.
struct Connection {
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    config: ServeConfig,
    stop: watch::Receiver<bool>,
    peer: SocketAddr,
}

impl Connection {
    async fn run(
        self,
        tcp: tokio::net::TcpStream,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
        activity: Arc<Activity>,
    ) {
        match acceptor {
            None => {
                let io = Tracked::new(tcp, activity.clone());
                self.drive(TokioIo::new(io), activity).await;
            }
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(self.config.header_timeout, acceptor.accept(tcp));
                let handshake = tokio::select! {
                    done = handshake => done,
                    () = activity.evict.notified() => return,
                };
                match handshake {
                    Ok(Ok(stream)) => {
                        let io = Tracked::new(stream, activity.clone());
                        self.drive(TokioIo::new(io), activity).await;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
        }
    }

    async fn drive<I>(mut self, io: I, activity: Arc<Activity>)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let router = self.router.clone();
        let seen = activity.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let router = router.clone();
            let running = Running::begin(&seen);
            async move {
                req.extensions_mut().insert(ConnectInfo(peer));
                let answer = router.oneshot(req.map(axum::body::Body::new)).await;
                drop(running);
                answer
            }
        });
        let conn = self.builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(conn);
        let mut tick = tokio::time::interval(Duration::from_secs(1).min(self.config.idle_timeout));
        let mut stopping = *self.stop.borrow();
        if stopping {
            conn.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                    }
                    break;
                }
                _ = self.stop.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = activity.evict.notified() => {
                    // A request may have begun since it was picked.
                    if activity.in_flight.load(Ordering::Relaxed) == 0 {
                        tracing::debug!(peer = %peer, "closing the oldest idle connection to make room");
                        break;
                    }
                }
                _ = tick.tick() => {
                    let idle = activity.in_flight.load(Ordering::Relaxed) == 0;
                    if idle && activity.silent_for() >= self.config.idle_timeout {
                        tracing::debug!(peer = %peer, "closing an idle connection");
                        break;
                    }
                }
            }
        }
    }
}
