//! The web console (`console/`), served by the service itself: the built
//! assets are embedded in the binary (`build.rs` picks `console/dist`, or a
//! placeholder page when it was not built), so a fresh `cargo xtask serve`
//! has a working console with no other step. The console talks only to the
//! public `/v1` API, like any other client.

use super::ApiError;
use crate::app::AppError;
use axum::extract::{OriginalUri, Path};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

static ASSETS: Dir<'static> = include_dir!("$BAZAAR_CONSOLE_DIR");

/// Paths that never fall back to the console's page: an unknown one there
/// is the API's JSON `404`.
const API_PREFIXES: [&str; 4] = ["/v1", "/healthz", "/metrics", "/assets"];

/// `GET /`: the console's page.
pub async fn index() -> Response {
    page()
}

/// `GET /assets/{*path}`: a built asset. Their names carry a content hash,
/// so they may be cached for good.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.get_file(format!("assets/{path}")) {
        Some(file) => answer(
            file.contents(),
            content_type(&path),
            "public, max-age=31536000, immutable",
        ),
        None => not_found(),
    }
}

/// Every path no route matched: the console's page for a browser asking
/// for a page outside the API (so a reload of any console URL works), the
/// API's JSON `404` for anything else.
pub async fn fallback(
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let api = API_PREFIXES
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if api || !(method == Method::GET || method == Method::HEAD) {
        return not_found();
    }
    // Files at the top of the build (the icon) keep their names.
    if let Some(file) = ASSETS.get_file(path.trim_start_matches('/')) {
        return answer(file.contents(), content_type(path), "no-cache");
    }
    if wants_page { page() } else { not_found() }
}

/// What the page may load: its own scripts, styles and API, and the logo
/// it fetches as a blob; nothing inline, no frames around it. The page
/// holds an account token, so nothing else should run in it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn page() -> Response {
    match ASSETS.get_file("index.html") {
        // Revalidated on every load: it names the current hashed assets.
        Some(file) => {
            let mut res = answer(file.contents(), "text/html; charset=utf-8", "no-cache");
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            res
        }
        None => not_found(),
    }
}

fn not_found() -> Response {
    ApiError::from(AppError::NotFound("no such route".into())).into_response()
}

fn answer(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
