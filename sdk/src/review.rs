//! The `review` interface: listing review rules run by operators before a
//! product goes live.

use crate::bindings::review_plugin::exports::bazaar::plugin::review as wit;
use crate::register::Export;

/// Facts about an uploaded image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    /// The format detected from the file's content, e.g. `png`.
    pub format: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the file in bytes.
    pub size_bytes: u64,
}

/// A product listing as submitted for release.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The product's id.
    pub product_id: String,
    /// The delivery method, e.g. `saas`.
    pub delivery_method: String,
    /// The product's name.
    pub name: String,
    /// The product's version, e.g. `V1.0`.
    pub version: String,
    /// The short overview shown in the catalog.
    pub overview: String,
    /// The full description.
    pub description: String,
    /// Highlights shown on the product page.
    pub highlights: Vec<String>,
    /// Level-1 and level-2 category, e.g. `["software", "crm"]`.
    pub categories: Vec<String>,
    /// The logo, if one was uploaded.
    pub logo: Option<ImageInfo>,
    /// Names of the specifications.
    pub specification_names: Vec<String>,
    /// After-sales support text.
    pub support: String,
    /// Whether an end-user license agreement was uploaded.
    pub has_eula: bool,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Blocks approval until fixed.
    Blocker,
    /// Shown to the operator; does not block.
    Warning,
    /// For information.
    Info,
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A stable id of the rule, e.g. `listing.name.length`.
    pub rule_id: String,
    /// How serious it is.
    pub severity: Severity,
    /// The listing field concerned, e.g. `description`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Finding {
    /// A finding of `rule_id` about `field`.
    pub fn new(
        rule_id: impl Into<String>,
        severity: Severity,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule_id: rule_id.into(),
            severity,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A listing review plugin. Register it with
/// [`register_review!`](crate::register_review).
pub trait Review {
    /// Checks a listing; an empty list means no findings.
    fn check_listing(listing: Listing) -> Vec<Finding>;
}

impl<T: Review> wit::Guest for Export<T> {
    fn check_listing(listing: wit::Listing) -> Vec<wit::Finding> {
        T::check_listing(listing_from(listing))
            .into_iter()
            .map(finding_into)
            .collect()
    }
}

fn listing_from(l: wit::Listing) -> Listing {
    Listing {
        product_id: l.product_id,
        delivery_method: l.delivery_method,
        name: l.name,
        version: l.version,
        overview: l.overview,
        description: l.description,
        highlights: l.highlights,
        categories: l.categories,
        logo: l.logo.map(|i| ImageInfo {
            format: i.format,
            width: i.width,
            height: i.height,
            size_bytes: i.size_bytes,
        }),
        specification_names: l.specification_names,
        support: l.support,
        has_eula: l.has_eula,
    }
}

fn finding_into(f: Finding) -> wit::Finding {
    wit::Finding {
        rule_id: f.rule_id,
        severity: match f.severity {
            Severity::Blocker => wit::Severity::Blocker,
            Severity::Warning => wit::Severity::Warning,
            Severity::Info => wit::Severity::Info,
        },
        field: f.field,
        message: f.message,
    }
}
