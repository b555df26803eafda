//! `listing-rules`: a review plugin (world `review-plugin`) that checks a
//! product listing against the KooGallery §3.1 listing rules and reports each
//! violation as a finding with a stable rule id.
//!
//! | rule id | severity | field |
//! |---|---|---|
//! | `listing.name.length` (1–50 characters) | blocker | `name` |
//! | `listing.version.format` (`V1.0`) | blocker | `version` |
//! | `listing.description.length` (≥ 1000 characters) | blocker | `description` |
//! | `listing.description.external-link` (one per non-huaweicloud.com URL) | blocker | `description` |
//! | `listing.highlights.count` (≤ 5) | blocker | `highlights` |
//! | `listing.logo.present`, `.format` (PNG), `.dimensions` (120×120), `.size` (≤ 5 MiB) | blocker | `logo` |
//! | `listing.overview.present` | warning | `overview` |
//! | `listing.categories.levels` (exactly 2) | warning | `categories` |
//! | `listing.eula.present` | blocker | `has-eula` |
//! | `listing.support.time-zone` (e.g. `(GMT+08:00)`) | warning | `support` |
//! | `listing.specification-names.vague` (one per name) | warning | `specification-names[i]` |

mod rules;
mod text;

use bazaar_sdk::{Finding, Listing, Review, log};

struct ListingRules;

impl Review for ListingRules {
    fn check_listing(listing: Listing) -> Vec<Finding> {
        let findings = check(&listing);
        log::info(format!(
            "check-listing {}: {} findings",
            listing.product_id,
            findings.len()
        ));
        findings
    }
}

bazaar_sdk::register_review!(ListingRules);

fn check(listing: &Listing) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in rules::RULES {
        rule(listing, &mut findings);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_sdk::{ImageInfo, Severity};

    fn good() -> Listing {
        Listing {
            product_id: "p-1".into(),
            delivery_method: "saas".into(),
            name: "云端客户关系管理 CRM".into(),
            version: "V1.0".into(),
            overview: "A CRM for small teams.".into(),
            description: format!(
                "Docs at https://support.huaweicloud.com/crm. {}",
                "word ".repeat(200)
            ),
            highlights: vec!["Fast".into(), "Cheap".into()],
            categories: vec!["software".into(), "crm".into()],
            logo: Some(ImageInfo {
                format: "png".into(),
                width: 120,
                height: 120,
                size_bytes: 5 * 1024 * 1024,
            }),
            specification_names: vec!["Basic, 10 users".into()],
            support: "Mon-Fri 09:00-18:00 (GMT+08:00)".into(),
            has_eula: true,
        }
    }

    fn rule_ids(listing: &Listing) -> Vec<String> {
        check(listing).into_iter().map(|f| f.rule_id).collect()
    }

    #[test]
    fn a_good_listing_has_no_findings() {
        assert_eq!(check(&good()), []);
    }

    #[test]
    fn a_bad_listing_breaks_every_rule() {
        let bad = Listing {
            name: "n".repeat(51),
            version: "First Version".into(),
            overview: " ".into(),
            description: "Buy at http://shop.example.com and https://x.huaweicloud.com.evil.io"
                .into(),
            highlights: vec!["h".into(); 6],
            categories: vec!["software".into()],
            logo: Some(ImageInfo {
                format: "jpeg".into(),
                width: 120,
                height: 121,
                size_bytes: 5 * 1024 * 1024 + 1,
            }),
            specification_names: vec!["Yearly".into(), "Pro".into(), "Specifications 1".into()],
            support: "weekdays".into(),
            has_eula: false,
            ..good()
        };
        let findings = check(&bad);
        let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "listing.name.length",
                "listing.version.format",
                "listing.description.length",
                "listing.description.external-link",
                "listing.description.external-link",
                "listing.highlights.count",
                "listing.logo.format",
                "listing.logo.dimensions",
                "listing.logo.size",
                "listing.overview.present",
                "listing.categories.levels",
                "listing.eula.present",
                "listing.support.time-zone",
                "listing.specification-names.vague",
                "listing.specification-names.vague",
            ]
        );
        let spec_fields: Vec<&str> = findings
            .iter()
            .filter(|f| f.rule_id == "listing.specification-names.vague")
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            spec_fields,
            ["specification-names[0]", "specification-names[2]"]
        );
        assert!(
            findings
                .iter()
                .filter(|f| f.field == "logo")
                .all(|f| f.severity == Severity::Blocker)
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        let mut listing = good();
        listing.name = "名".repeat(50);
        assert_eq!(rule_ids(&listing), Vec::<String>::new());
        listing.name = String::new();
        assert_eq!(rule_ids(&listing), ["listing.name.length"]);
        listing = good();
        listing.description = "描".repeat(999);
        assert_eq!(rule_ids(&listing), ["listing.description.length"]);
    }

    #[test]
    fn a_missing_logo_is_one_blocker() {
        let listing = Listing {
            logo: None,
            ..good()
        };
        let findings = check(&listing);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule_id, "listing.logo.present");
        assert_eq!(findings[0].field, "logo");
    }
}
