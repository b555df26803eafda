//! The two query parameters every list takes, `after` and `limit`, and the
//! `next` every list answers (the convention is described in the README's
//! Pagination section; `app::pages` checks the values).

use super::ApiError;
use crate::app::pages;
use crate::store::{Page, PageRequest};
use serde::Deserialize;

/// A page of a list without filters of its own. Lists with filters repeat
/// these two fields in their own query (a flattened struct would lose the
/// number parsing of query strings and the refusal of unknown parameters).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    pub after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl PageQuery {
    /// The page asked for, or a 400 naming `after` or `limit`.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        request(self.after.as_deref(), self.limit)
    }
}

/// The page asked for by a list's `after` and `limit`.
pub fn request(after: Option<&str>, limit: Option<i64>) -> Result<PageRequest, ApiError> {
    Ok(pages::request(after, limit)?)
}

/// The `next` a page answers: its cursor as clients see it, null on the
/// last page.
pub fn next<T>(page: &Page<T>) -> Option<String> {
    page.next.as_ref().map(|c| c.encode())
}
