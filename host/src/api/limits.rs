//! Per-request limits: how big a body may be and how long it may take to
//! arrive, and how long the whole request may run, by route — a plugin
//! upload is large and compiles for seconds, every other JSON route is
//! small and quick. Every refusal is the usual JSON error.

use super::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// The limits of one class of route.
#[derive(Debug, Clone, Copy)]
pub struct RouteLimit {
    /// Most bytes of body accepted.
    pub body_bytes: usize,
    /// The body must have arrived this long after the head.
    pub body_timeout: Duration,
    /// The answer must be ready this long after the head.
    pub request_timeout: Duration,
}

/// Request limits of the service; README states the defaults.
#[derive(Debug, Clone)]
pub struct RequestLimits {
    /// JSON routes.
    pub json: RouteLimit,
    /// `POST /v1/plugins`: the body is a component, and compiling it is
    /// part of the request. Its byte limit is the runtime's component limit.
    pub upload: RouteLimit,
    /// Case imports, listing files (logo, EULA) and debug calls, whose
    /// input the runtime limits itself, with a typed error.
    pub files: RouteLimit,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            json: RouteLimit {
                body_bytes: 1 << 20,
                body_timeout: Duration::from_secs(15),
                request_timeout: Duration::from_secs(30),
            },
            upload: RouteLimit {
                body_bytes: 64 << 20,
                body_timeout: Duration::from_secs(120),
                request_timeout: Duration::from_secs(300),
            },
            files: RouteLimit {
                body_bytes: 16 << 20,
                body_timeout: Duration::from_secs(60),
                request_timeout: Duration::from_secs(90),
            },
        }
    }
}

impl RequestLimits {
    /// The class of `method` on the route template `route`.
    pub fn for_route(&self, method: &Method, route: &str) -> RouteLimit {
        match (method, route) {
            (&Method::POST, "/v1/plugins") => self.upload,
            (&Method::POST, "/v1/cases/import")
            | (&Method::POST, "/v1/plugins/{sha256}/calls")
            | (&Method::PUT, "/v1/products/{id}/logo")
            | (&Method::PUT, "/v1/products/{id}/eula") => self.files,
            _ => self.json,
        }
    }
}

/// Applies the route's limits: a declared length over the limit is refused
/// before any byte is read; the body is cut at the limit and at its
/// deadline; the handler at the request deadline.
pub async fn limit_requests(
    State(limits): State<Arc<RequestLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(req.uri().path(), MatchedPath::as_str);
    let limit = limits.for_route(req.method(), route);
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.body_bytes as u64) {
        return too_large(limit.body_bytes);
    }
    let late = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = DeadlineBody {
        inner: http_body_util::Limited::new(body, limit.body_bytes),
        sleep: Box::pin(tokio::time::sleep(limit.body_timeout)),
        late: late.clone(),
    };
    let req = Request::from_parts(parts, Body::new(body));
    let answer = tokio::time::timeout(limit.request_timeout, next.run(req)).await;
    match answer {
        _ if late.load(Ordering::Relaxed) => ApiError::Http {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!(
                "the request body did not arrive within {} s",
                limit.body_timeout.as_secs()
            ),
        }
        .into_response(),
        Ok(answer) => answer,
        Err(_) => ApiError::Http {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!(
                "the request took longer than {} s; what it changed was not committed unless a later read shows it",
                limit.request_timeout.as_secs()
            ),
        }
        .into_response(),
    }
}

fn too_large(limit: usize) -> Response {
    ApiError::Http {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!("the request body is over this route's limit of {limit} bytes"),
    }
    .into_response()
}

/// A body that fails once its deadline passes, and says so through `late`.
struct DeadlineBody {
    inner: http_body_util::Limited<Body>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    late: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let me = self.get_mut();
        if me.sleep.as_mut().poll(cx).is_ready() {
            me.late.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err("request body timeout".into())));
        }
        Pin::new(&mut me.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
