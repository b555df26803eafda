//! The instance state machine and the lifecycle actions that drive a seller's
//! plugin. Customer orders (create, renew, trial conversion, upgrade) take
//! effect when the plugin confirms them and fail cleanly when it refuses;
//! marketplace decisions (freeze, unfreeze, release) take effect at once and
//! the plugin is told afterwards, because a seller cannot veto an expiry or an
//! unsubscription.

use serde::{Deserialize, Serialize};

/// Where an instance is in its life.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    /// Ordered; the plugin has not provisioned it yet.
    Provisioning,
    /// Serving.
    Active,
    /// Not serving, data kept (expired, arrears, quota, violation).
    Frozen,
    /// Gone for good.
    Released,
    /// The plugin refused to provision it; the order failed.
    Failed,
}

impl InstanceState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Frozen => "frozen",
            Self::Released => "released",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "provisioning" => Self::Provisioning,
            "active" => Self::Active,
            "frozen" => Self::Frozen,
            "released" => Self::Released,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

impl TryFrom<String> for InstanceState {
    type Error = String;

    /// Parses a stored name (the store's rows read through this).
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("unknown instance state `{s}`"))
    }
}

/// What an order does to its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum OrderKind {
    /// Buys a new instance.
    Subscribe,
    /// Buys more periods of an instance.
    Renew,
    /// Turns a trial into a paid subscription.
    TrialToFormal,
    /// Changes the SKU or quantity.
    Upgrade,
    /// Ends the subscription.
    Unsubscribe,
}

impl OrderKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Renew => "renew",
            Self::TrialToFormal => "trial-to-formal",
            Self::Upgrade => "upgrade",
            Self::Unsubscribe => "unsubscribe",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "subscribe" => Self::Subscribe,
            "renew" => Self::Renew,
            "trial-to-formal" => Self::TrialToFormal,
            "upgrade" => Self::Upgrade,
            "unsubscribe" => Self::Unsubscribe,
            _ => return None,
        })
    }
}

impl TryFrom<String> for OrderKind {
    type Error = String;

    /// Parses a stored name (the store's rows read through this).
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("unknown order kind `{s}`"))
    }
}

/// Where an order is: accepted and waiting for the plugin (or the service's
/// supervision), or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum OrderState {
    /// Accepted, not finished.
    Processing,
    /// Done.
    Completed,
    /// Refused or abandoned.
    Failed,
}

impl OrderState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "processing" => Self::Processing,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

impl TryFrom<String> for OrderState {
    type Error = String;

    /// Parses a stored name (the store's rows read through this).
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("unknown order state `{s}`"))
    }
}

/// Why an instance is frozen (the WIT `freeze-reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FreezeReason {
    /// The subscription period ended.
    Expired,
    /// Unpaid charges.
    Arrears,
    /// A stop-before-excess package ran out.
    QuotaExhausted,
    /// Operator action.
    Violation,
}

impl FreezeReason {
    /// The WIT enum case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Arrears => "arrears",
            Self::QuotaExhausted => "quota-exhausted",
            Self::Violation => "violation",
        }
    }
}

/// Why an instance is released (the WIT `release-reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseReason {
    /// The customer unsubscribed.
    Unsubscribed,
    /// Expired and the retention period passed.
    Expired,
    /// Arrears unpaid through the retention period.
    Arrears,
    /// A trial ended without conversion.
    TrialEnded,
    /// Operator action.
    Violation,
}

impl ReleaseReason {
    /// The WIT enum case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribed => "unsubscribed",
            Self::Expired => "expired",
            Self::Arrears => "arrears",
            Self::TrialEnded => "trial-ended",
            Self::Violation => "violation",
        }
    }
}

/// One call to make to the seller's lifecycle plugin, queued durably.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JobAction {
    /// `create-instance` for the instance's subscription order; carries
    /// what the call needs beyond the instance row, so the worker reads no
    /// more than that row.
    #[serde(rename_all = "kebab-case")]
    Create {
        /// Billing periods bought (0 for one-time and pay-per-use).
        #[serde(default)]
        periods: u32,
        /// The customer's display name.
        #[serde(default)]
        customer_name: String,
        /// The order goes through service supervision: provisioning does not
        /// complete it; the customer's acceptance of the delivery does.
        #[serde(default)]
        supervised: bool,
    },
    /// `update-instance(renew)`: the paid period now ends at `expires-at`.
    #[serde(rename_all = "kebab-case")]
    Renew {
        /// New expiry (ms).
        expires_at: i64,
    },
    /// `update-instance(trial-to-formal)`.
    #[serde(rename_all = "kebab-case")]
    TrialToFormal {
        /// New expiry (ms).
        expires_at: i64,
    },
    /// `update-instance(upgrade)` to another SKU of the same specification.
    #[serde(rename_all = "kebab-case")]
    Upgrade {
        /// The new SKU.
        sku_id: String,
        /// The new quantity.
        quantity: u32,
    },
    /// `update-instance(freeze)`.
    Freeze {
        /// Why.
        reason: FreezeReason,
    },
    /// `update-instance(unfreeze)`.
    Unfreeze,
    /// `release-instance`.
    Release {
        /// Why.
        reason: ReleaseReason,
    },
}

impl JobAction {
    /// Whether the plugin's refusal fails the order (customer orders) rather
    /// than being recorded and overridden (marketplace decisions).
    pub fn refusal_fails_order(&self) -> bool {
        matches!(
            self,
            Self::Create { .. }
                | Self::Renew { .. }
                | Self::TrialToFormal { .. }
                | Self::Upgrade { .. }
        )
    }

    /// The change-feed event a success of this action produces.
    pub fn event_kind(&self) -> &'static str {
        match self {
            Self::Create { .. } => "instance.provisioned",
            Self::Renew { .. } => "instance.renewed",
            Self::TrialToFormal { .. } => "instance.converted",
            Self::Upgrade { .. } => "instance.upgraded",
            Self::Freeze { .. } => "instance.frozen",
            Self::Unfreeze => "instance.unfrozen",
            Self::Release { .. } => "instance.released",
        }
    }
}

/// Backoff before retry number `attempts` (1-based) after a transient
/// failure: 1 s doubling to at most 10 min, so a plugin that is down for
/// hours is retried a few dozen times, not thousands.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    (1000_i64 << exp).min(600_000)
}

/// After this many failed attempts a transient failure counts as final.
pub const MAX_ATTEMPTS: u32 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay_ms(1), 1000);
        assert_eq!(retry_delay_ms(2), 2000);
        assert_eq!(retry_delay_ms(5), 16000);
        assert_eq!(retry_delay_ms(30), 600_000);
    }

    #[test]
    fn actions_round_trip_as_json() {
        let a = JobAction::Freeze {
            reason: FreezeReason::QuotaExhausted,
        };
        let s = serde_json::to_string(&a).unwrap();
        assert_eq!(s, r#"{"kind":"freeze","reason":"quota-exhausted"}"#);
        assert_eq!(serde_json::from_str::<JobAction>(&s).unwrap(), a);
        let r: JobAction = serde_json::from_str(r#"{"kind":"renew","expires-at":5}"#).unwrap();
        assert_eq!(r, JobAction::Renew { expires_at: 5 });
        assert!(r.refusal_fails_order());
        assert!(!JobAction::Unfreeze.refusal_fails_order());
    }

    #[test]
    fn states_parse_back() {
        for s in [
            InstanceState::Provisioning,
            InstanceState::Active,
            InstanceState::Frozen,
            InstanceState::Released,
            InstanceState::Failed,
        ] {
            assert_eq!(InstanceState::parse(s.as_str()), Some(s));
        }
    }
}
