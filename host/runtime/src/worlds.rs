//! The plugin interfaces a component can export, and the WIT versions this
//! host implements.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The newest version of `bazaar:plugin` this host implements.
pub const WIT_VERSION: &str = crate::wit::latest::VERSION;

/// Every version of `bazaar:plugin` a component may be built against.
pub const WIT_VERSIONS: [&str; 2] = crate::wit::VERSIONS;

/// The WIT package name, without version.
pub const WIT_PACKAGE: &str = "bazaar:plugin";

/// A plugin interface. Named "world" in the API because each has a world of
/// its own in the WIT (`lifecycle-plugin`...), and a plugin exports the
/// interfaces of the worlds it implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    /// SaaS instance lifecycle callbacks.
    Lifecycle,
    /// Usage collection for pay-per-use.
    Metering,
    /// Custom pricing.
    Pricing,
    /// Listing review rules.
    Review,
    /// Settlement tax rules (since 0.2.0).
    Settlement,
}

impl World {
    /// Every world, in a fixed order.
    pub const ALL: [World; 5] = [
        World::Lifecycle,
        World::Metering,
        World::Pricing,
        World::Review,
        World::Settlement,
    ];

    /// The WIT interface name, e.g. `lifecycle`.
    pub fn interface(self) -> &'static str {
        match self {
            World::Lifecycle => "lifecycle",
            World::Metering => "metering",
            World::Pricing => "pricing",
            World::Review => "review",
            World::Settlement => "settlement",
        }
    }

    /// The fully qualified export name in the latest version, e.g.
    /// `bazaar:plugin/lifecycle@0.2.0`.
    pub fn export_name(self) -> String {
        format!("{WIT_PACKAGE}/{}@{WIT_VERSION}", self.interface())
    }

    /// Parses `lifecycle` or `lifecycle-plugin`.
    pub fn parse(s: &str) -> Option<World> {
        let s = s.strip_suffix("-plugin").unwrap_or(s);
        World::ALL.into_iter().find(|w| w.interface() == s)
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// Splits `bazaar:plugin/kv@0.1.0` into (`kv`, `0.1.0`); `None` for names of
/// other packages.
pub fn parse_bazaar_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(WIT_PACKAGE)?.strip_prefix('/')?;
    Some(rest.split_once('@').unwrap_or((rest, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in World::ALL {
            assert_eq!(World::parse(w.interface()), Some(w));
            assert_eq!(World::parse(&format!("{w}-plugin")), Some(w));
            assert_eq!(
                parse_bazaar_name(&w.export_name()),
                Some((w.interface(), WIT_VERSION))
            );
        }
        assert_eq!(World::parse("billing"), None);
        assert_eq!(parse_bazaar_name("wasi:cli/environment@0.2.0"), None);
    }
}
