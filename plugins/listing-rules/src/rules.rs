//! The KooGallery §3.1 listing rules, one function per rule. Rule ids are
//! stable: operators filter and count findings by them.

use bazaar_sdk::{Finding, Listing, Severity};

use crate::text;

const NAME_MAX_CHARS: usize = 50;
const DESCRIPTION_MIN_CHARS: usize = 1000;
const HIGHLIGHTS_MAX: usize = 5;
const LOGO_SIDE_PX: u32 = 120;
const LOGO_MAX_BYTES: u64 = 5 * 1024 * 1024;
const CATEGORY_LEVELS: usize = 2;

/// Every rule, in the order findings are reported.
pub(crate) const RULES: &[fn(&Listing, &mut Vec<Finding>)] = &[
    name_length,
    version_format,
    description_length,
    description_links,
    highlights_count,
    logo,
    overview_present,
    categories_levels,
    eula_present,
    support_time_zone,
    specification_names,
];

fn name_length(l: &Listing, out: &mut Vec<Finding>) {
    // Characters, not bytes: a 20-character Chinese name is 60 bytes.
    let chars = l.name.chars().count();
    if l.name.trim().is_empty() || chars > NAME_MAX_CHARS {
        out.push(Finding::new(
            "listing.name.length",
            Severity::Blocker,
            "name",
            format!("The name must be 1 to {NAME_MAX_CHARS} characters; it has {chars}."),
        ));
    }
}

fn version_format(l: &Listing, out: &mut Vec<Finding>) {
    if !text::is_version(&l.version) {
        out.push(Finding::new(
            "listing.version.format",
            Severity::Blocker,
            "version",
            format!(
                "The version `{}` must look like `V1.0`: a capital V and dot-separated numbers.",
                l.version
            ),
        ));
    }
}

fn description_length(l: &Listing, out: &mut Vec<Finding>) {
    let chars = l.description.chars().count();
    if chars < DESCRIPTION_MIN_CHARS {
        out.push(Finding::new(
            "listing.description.length",
            Severity::Blocker,
            "description",
            format!("The description must have at least {DESCRIPTION_MIN_CHARS} characters; it has {chars}."),
        ));
    }
}

fn description_links(l: &Listing, out: &mut Vec<Finding>) {
    let mut reported: Vec<&str> = Vec::new();
    for url in text::urls(&l.description) {
        let host = text::host_of(url);
        if text::is_huaweicloud(&host) || reported.contains(&url) {
            continue;
        }
        reported.push(url);
        out.push(Finding::new(
            "listing.description.external-link",
            Severity::Blocker,
            "description",
            format!("The description links to `{url}`; only huaweicloud.com links are allowed."),
        ));
    }
}

fn highlights_count(l: &Listing, out: &mut Vec<Finding>) {
    if l.highlights.len() > HIGHLIGHTS_MAX {
        out.push(Finding::new(
            "listing.highlights.count",
            Severity::Blocker,
            "highlights",
            format!(
                "At most {HIGHLIGHTS_MAX} highlights are allowed; there are {}.",
                l.highlights.len()
            ),
        ));
    }
}

fn logo(l: &Listing, out: &mut Vec<Finding>) {
    let Some(logo) = &l.logo else {
        out.push(Finding::new(
            "listing.logo.present",
            Severity::Blocker,
            "logo",
            "Upload a logo: a 120x120 PNG of at most 5 MB.",
        ));
        return;
    };
    if !logo.format.eq_ignore_ascii_case("png") {
        out.push(Finding::new(
            "listing.logo.format",
            Severity::Blocker,
            "logo",
            format!("The logo must be a PNG; it is `{}`.", logo.format),
        ));
    }
    if (logo.width, logo.height) != (LOGO_SIDE_PX, LOGO_SIDE_PX) {
        out.push(Finding::new(
            "listing.logo.dimensions",
            Severity::Blocker,
            "logo",
            format!(
                "The logo must be 120x120 pixels; it is {}x{}.",
                logo.width, logo.height
            ),
        ));
    }
    if logo.size_bytes > LOGO_MAX_BYTES {
        out.push(Finding::new(
            "listing.logo.size",
            Severity::Blocker,
            "logo",
            format!(
                "The logo must be at most 5 MB ({LOGO_MAX_BYTES} bytes); it is {} bytes.",
                logo.size_bytes
            ),
        ));
    }
}

fn overview_present(l: &Listing, out: &mut Vec<Finding>) {
    if l.overview.trim().is_empty() {
        out.push(Finding::new(
            "listing.overview.present",
            Severity::Warning,
            "overview",
            "Add an overview: it is what the catalog shows.",
        ));
    }
}

fn categories_levels(l: &Listing, out: &mut Vec<Finding>) {
    let levels = l.categories.iter().filter(|c| !c.trim().is_empty()).count();
    if levels != CATEGORY_LEVELS || l.categories.len() != CATEGORY_LEVELS {
        out.push(Finding::new(
            "listing.categories.levels",
            Severity::Warning,
            "categories",
            format!(
                "Choose a level-1 and a level-2 category; {levels} non-empty levels were given."
            ),
        ));
    }
}

fn eula_present(l: &Listing, out: &mut Vec<Finding>) {
    if !l.has_eula {
        out.push(Finding::new(
            "listing.eula.present",
            Severity::Blocker,
            "has-eula",
            "Upload an end-user license agreement.",
        ));
    }
}

fn support_time_zone(l: &Listing, out: &mut Vec<Finding>) {
    if !text::mentions_time_zone(&l.support) {
        out.push(Finding::new(
            "listing.support.time-zone",
            Severity::Warning,
            "support",
            "State the support hours' time zone, e.g. `09:00-18:00 (GMT+08:00)`.",
        ));
    }
}

fn specification_names(l: &Listing, out: &mut Vec<Finding>) {
    for (i, name) in l.specification_names.iter().enumerate() {
        if text::is_vague_spec_name(name) {
            out.push(Finding::new(
                "listing.specification-names.vague",
                Severity::Warning,
                format!("specification-names[{i}]"),
                format!("`{name}` does not say what the specification offers; name its edition or capacity."),
            ));
        }
    }
}
