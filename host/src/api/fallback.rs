//! The one fallback that keeps every error JSON. Handlers answer with
//! [`ApiError`]; what never reaches a handler (an unknown method, a body over
//! the limit, a bad path encoding, a head too large) is answered by axum or
//! by this layer, and is rewritten here into the same `{error, message}` body.

use super::ApiError;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest request target (path and query) accepted, in bytes.
pub const MAX_URI: usize = 8 * 1024;
/// Most bytes of header names and values accepted in one request.
pub const MAX_HEADERS: usize = 32 * 1024;
/// Most bytes of a non-JSON error body quoted in the JSON one.
const MAX_QUOTED: usize = 1024;

/// Refuses oversized heads with a JSON answer, and turns any non-JSON error
/// answer of the layers below into one.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let uri = req.uri().to_string().len();
    if uri > MAX_URI {
        return ApiError::Http {
            status: StatusCode::URI_TOO_LONG,
            message: format!("the request target is {uri} bytes; at most {MAX_URI} are accepted"),
        }
        .into_response();
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if head > MAX_HEADERS {
        return ApiError::Http {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            message: format!("the headers are {head} bytes; at most {MAX_HEADERS} are accepted"),
        }
        .into_response();
    }
    let response = next.run(req).await;
    if !response.status().is_client_error() && !response.status().is_server_error() {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_QUOTED * 4)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string()
    } else {
        text
    };
    let mut answer = ApiError::Http {
        status: parts.status,
        message,
    }
    .into_response();
    // Keep what the layer below said about the refusal (`Allow` on a 405).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    answer
}

/// The `error` code of an answer that only has a status.
pub fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::URI_TOO_LONG => "uri-too-long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers-too-large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::TOO_MANY_REQUESTS => "busy",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "refused",
    }
}

/// The whole HTTP/1.1 answer for a request the HTTP parser itself refused
/// (a head too large, a target too long, bytes that are not HTTP, a head
/// that never finished): the same JSON error every other refusal gets,
/// where hyper would write an empty one.
pub fn parser_refusal(status: StatusCode) -> Vec<u8> {
    let message = match status {
        StatusCode::URI_TOO_LONG => {
            format!("the request target is too long; at most {MAX_URI} bytes are accepted")
        }
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => format!(
            "the request head is too large; at most {MAX_HEADERS} bytes of headers are accepted"
        ),
        StatusCode::REQUEST_TIMEOUT => "the request head did not arrive in time".to_string(),
        _ => "the request is not valid HTTP/1.1".to_string(),
    };
    let body = serde_json::json!({"error": code(status), "message": message}).to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}
