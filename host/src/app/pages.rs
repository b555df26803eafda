//! What a list's caller may ask for: the `after` cursor and the `limit`,
//! checked once here for every list so they all answer alike (the store's
//! `pages` module reads the page).

use super::AppError;
use crate::store::{Cursor, PageRequest};

/// Most rows in one page.
pub const MAX_LIMIT: i64 = 500;

/// Rows in a page when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 100;

/// The page after `after` (a `next` a list answered; from the start when
/// absent) of at most `limit` rows (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`]
/// when absent). A cursor the service did not make, or a limit out of range,
/// is a bad request naming the parameter.
pub fn request(after: Option<&str>, limit: Option<i64>) -> Result<PageRequest, AppError> {
    request_within(after, limit, DEFAULT_LIMIT, MAX_LIMIT)
}

/// [`request`] for a list with bounds of its own (usage records, whose
/// pages were larger before lists shared these).
pub fn request_within(
    after: Option<&str>,
    limit: Option<i64>,
    default: i64,
    max: i64,
) -> Result<PageRequest, AppError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::bad("limit", format!("1 to {max}")));
    }
    let after = match after {
        None => None,
        Some(text) => Some(Cursor::decode(text).ok_or_else(|| {
            AppError::bad(
                "after",
                "not a cursor: pass the `next` of the previous page",
            )
        })?),
    };
    Ok(PageRequest { after, limit })
}
