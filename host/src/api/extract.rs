//! What handlers take from a request besides the caller: JSON bodies parsed
//! with errors that say where (axum's own `Json` extractor answers in plain
//! text, and the API promises JSON errors), and the `Idempotency-Key` header.

use super::ApiError;
use crate::app::AppError;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// Longest accepted idempotency key.
const MAX_KEY: usize = 200;

/// The idempotency key of a request, if it sent one.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(ApiError::bad(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY} visible ASCII characters"),
        ));
    }
    Ok(Some(key.to_string()))
}

/// Parses `body`, naming the offending field path or position on failure.
/// A number with no fraction (`3.0`) is an integer, as JSON Schema has it.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    from_value(json_value(body)?)
}

/// [`parse`], where an empty body or `null` means `T::default()`: bodies
/// documented as optional.
pub fn parse_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match json_value(body)? {
        serde_json::Value::Null => Ok(T::default()),
        value => from_value(value),
    }
}

/// `body` as one JSON value, checked and with integral floats as integers.
fn json_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    refuse_nul(body)?;
    let mut value: serde_json::Value = parse_strict(body)?;
    integral_floats_as_integers(&mut value);
    Ok(value)
}

/// `value` as a `T`, naming the offending field path on failure.
fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::from(AppError::BadRequest {
            message: format!("invalid JSON body: {inner}"),
            field: (path != ".").then_some(path),
        })
    })
}

/// Rewrites every number with a zero fraction that fits an integer as that
/// integer.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// `body` as one JSON value, syntax errors with their line and column.
fn parse_strict<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::from(AppError::BadRequest {
            message: format!("invalid JSON body: {inner}"),
            field: (path != ".").then_some(path),
        })
    })?;
    // One JSON value and nothing after it but whitespace.
    de.end().map_err(|e| {
        ApiError::from(AppError::BadRequest {
            message: format!("invalid JSON body: {e} (data after the JSON value)"),
            field: None,
        })
    })?;
    Ok(value)
}

/// A query string parsed like a JSON body: errors are JSON and name the
/// parameter (axum's own `Query` answers in plain text without it).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                ApiError::from(AppError::BadRequest {
                    message: format!("invalid query string: {inner}"),
                    field: Some(if path == "." { "query".into() } else { path }),
                })
            })
    }
}

/// Refuses a body whose strings hold NUL (`\u0000`): PostgreSQL text cannot
/// store it, and both databases must answer the same way.
pub fn refuse_nul(body: &[u8]) -> Result<(), ApiError> {
    let mut from = 0;
    while let Some(found) = find(&body[from..], b"u0000") {
        let at = from + found;
        // An escape only if the `u` follows an odd run of backslashes
        // (`\\u0000` is a backslash followed by the text `u0000`).
        let slashes = body[..at].iter().rev().take_while(|b| **b == b'\\').count();
        if slashes % 2 == 1 {
            let before = &body[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = at
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
            return Err(ApiError::from(AppError::BadRequest {
                message: format!(
                    "invalid JSON body: strings must not contain NUL (\\u0000), found at line {line} column {column}"
                ),
                field: None,
            }));
        }
        from = at + 1;
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::refuse_nul;

    #[test]
    fn only_an_escaped_nul_is_refused() {
        assert!(refuse_nul(br#"{"name": "a\u0000b"}"#).is_err());
        assert!(refuse_nul(br#"{"name": "a\\\u0000b"}"#).is_err());
        assert!(refuse_nul(br#"{"name": "a\\u0000b"}"#).is_ok());
        assert!(refuse_nul(br#"{"name": "u0000"}"#).is_ok());
        assert!(refuse_nul(br#"{"name": "a\u0001"}"#).is_ok());
    }
}
