//! CSV answers for spreadsheets (bills, bill details, transactions): when a
//! client asked for one, and how fields and rows are written.

use super::ApiError;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

/// Whether the client asked for CSV: `?format=csv` (or `json`), else an
/// `Accept` naming `text/csv`.
pub fn wanted(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::bad("format", "`csv` or `json`")),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
    }
}

/// One field: quoted when it holds a separator, a quote or a line break.
/// Text (`text`: ids, names, reasons) starting with `=`, `+`, `-` or `@` is
/// escaped with `'` so a spreadsheet does not run it as a formula; amounts
/// and times are never text.
pub fn field(value: &str, text: bool) -> String {
    let value = if text && value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A CSV answer: the header row, then one line per row, CRLF-ended.
pub fn answer(header_row: &str, rows: impl Iterator<Item = String>) -> Response {
    let mut out = String::from(header_row);
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r);
        out.push_str("\r\n");
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response()
}
