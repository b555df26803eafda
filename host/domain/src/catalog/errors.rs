//! The validation error type and its collector, with the small field checks every
//! rule file shares; below `validate`, `spec_rules` and `skus` so the rules import
//! it rather than each other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One validation problem, located by the JSON path of the offending field, e.g.
/// `specifications[0].skus[2].prices.monthly`. Paths use the JSON (kebab-case) field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong, in words a seller can act on.
    pub message: String,
}

/// Collects every problem so a seller can fix a draft in one round trip.
#[derive(Default)]
pub(super) struct Errors(Vec<FieldError>);

impl Errors {
    /// Every problem found, or `Ok` when there was none.
    pub(super) fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }

    pub(super) fn at(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Reports a blank or over-long display text.
    pub(super) fn text(&mut self, field: String, value: &str, max_chars: usize) {
        if value.trim().is_empty() {
            self.at(field, "must not be blank");
        } else if value.chars().count() > max_chars {
            self.at(field, format!("must be at most {max_chars} characters"));
        }
    }

    /// Reports the second and later occurrences of each key, naming the first.
    pub(super) fn duplicates<K: Ord>(
        &mut self,
        keys: impl IntoIterator<Item = (String, K)>,
        what: &str,
    ) {
        let mut seen: BTreeMap<K, usize> = BTreeMap::new();
        for (i, (field, key)) in keys.into_iter().enumerate() {
            if let Some(first) = seen.get(&key) {
                self.at(field, format!("duplicate {what} (same as entry {first})"));
            } else {
                seen.insert(key, i);
            }
        }
    }
}

/// Longest display name of a product, specification or package.
pub(super) const NAME_MAX: usize = 50;

/// `[a-z0-9-]{1,40}`.
pub(super) fn is_slug(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
