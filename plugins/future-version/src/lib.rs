//! `future-version`: a test fixture exporting `bazaar:plugin/review@0.9.0`,
//! a contract version the host does not know. The host must reject it as an
//! unsupported version instead of treating it as a review plugin of a
//! version it knows.
//!
//! Built without `bazaar-sdk` (which speaks the current version) from its own
//! copy of the review interface in `wit/review.wit`.

/// Bindings for `bazaar:plugin/review-plugin@0.9.0`.
mod bindings {
    // The generated glue lifts and lowers values through raw pointers.
    #![allow(unsafe_code, missing_docs)]
    wit_bindgen::generate!({
        world: "review-plugin",
        path: "wit",
    });
}

use bindings::exports::bazaar::plugin::review::{Finding, Guest, Listing, Severity};

struct FutureVersion;

impl Guest for FutureVersion {
    fn check_listing(listing: Listing) -> Vec<Finding> {
        vec![Finding {
            rule_id: "future-version.loaded".to_owned(),
            severity: Severity::Info,
            field: "product-id".to_owned(),
            message: format!(
                "a 0.9.0 plugin checked {}; a 0.1/0.2 host should never get here",
                listing.product_id
            ),
        }]
    }
}

// The expansion defines the component's exports with `unsafe` attributes.
#[allow(unsafe_code)]
const _: () = {
    bindings::export!(FutureVersion with_types_in bindings);
};
