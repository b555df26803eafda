//! Where a release application stands: filed `pending`, then decided once
//! (approved or rejected by an operator, or withdrawn by its seller).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A release application's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ApplicationState {
    /// Waiting for an operator's decision.
    Pending,
    /// Approved: its snapshot became the product's live definition.
    Approved,
    /// Rejected with a reason.
    Rejected,
    /// Withdrawn by the seller.
    Withdrawn,
}

/// A state text that is none of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown release application state `{0}`")]
pub struct UnknownState(pub String);

impl ApplicationState {
    /// Every state.
    pub const ALL: [ApplicationState; 4] = [
        ApplicationState::Pending,
        ApplicationState::Approved,
        ApplicationState::Rejected,
        ApplicationState::Withdrawn,
    ];

    /// The stored and JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Pending => "pending",
            ApplicationState::Approved => "approved",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }

    /// The state spelled `s`, if any.
    pub fn parse(s: &str) -> Option<ApplicationState> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether it still waits for a decision.
    pub fn is_pending(self) -> bool {
        self == ApplicationState::Pending
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ApplicationState {
    type Error = UnknownState;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        ApplicationState::parse(&s).ok_or(UnknownState(s))
    }
}

#[cfg(test)]
mod tests {
    use super::ApplicationState;

    #[test]
    fn spellings_round_trip() {
        for s in ApplicationState::ALL {
            assert_eq!(ApplicationState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ApplicationState::parse("done"), None);
    }
}
