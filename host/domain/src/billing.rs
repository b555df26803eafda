//! Pay-per-use billing rules (seller guide §3.5.4): billing cycles, which
//! cycle a usage record belongs to, and the arrears timeline (grace, freeze,
//! retention, release).

use serde::{Deserialize, Serialize};

/// How often a pay-per-use specification's usage is charged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum BillingCycle {
    /// Every UTC hour.
    Hourly,
    /// Every UTC day (the default).
    #[default]
    Daily,
}

impl BillingCycle {
    /// The cycle's length in milliseconds.
    pub fn ms(self) -> i64 {
        match self {
            BillingCycle::Hourly => 3_600_000,
            BillingCycle::Daily => 86_400_000,
        }
    }

    /// The cycle `[start, end)` a record ending at `end_ms` is charged in:
    /// the one its last millisecond falls in, so a record of 10:00–11:00 is
    /// charged with the 10:00 hour, not the 11:00 one.
    pub fn cycle_of(self, end_ms: i64) -> (i64, i64) {
        let last = end_ms - 1;
        let start = last - last.rem_euclid(self.ms());
        (start, start + self.ms())
    }
}

/// Over how long tiered usage prices accumulate (§3.5.4.3): the tiers restart
/// at the start of each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AccumulationCycle {
    /// The UTC calendar month.
    Monthly,
}

/// Where an instance with unpaid charges stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrearsStep {
    /// Within the grace period: the instance keeps serving.
    Grace,
    /// Grace is over: freeze (reason `arrears`).
    Freeze,
    /// Frozen through the retention period too: release (reason `arrears`).
    Release,
}

/// The arrears step of an instance in arrears since `since_ms`.
pub fn arrears_step(since_ms: i64, now_ms: i64, grace_ms: i64, retention_ms: i64) -> ArrearsStep {
    let overdue = now_ms - since_ms;
    if overdue >= grace_ms.saturating_add(retention_ms) {
        ArrearsStep::Release
    } else if overdue >= grace_ms {
        ArrearsStep::Freeze
    } else {
        ArrearsStep::Grace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn records_belong_to_the_cycle_of_their_last_millisecond() {
        let c = BillingCycle::Hourly;
        assert_eq!(c.cycle_of(11 * H), (10 * H, 11 * H));
        assert_eq!(c.cycle_of(11 * H + 1), (11 * H, 12 * H));
        assert_eq!(BillingCycle::Daily.cycle_of(25 * H), (24 * H, 48 * H));
    }

    #[test]
    fn arrears_go_grace_freeze_release() {
        let (grace, retention) = (24 * H, 15 * 24 * H);
        assert_eq!(
            arrears_step(0, 23 * H, grace, retention),
            ArrearsStep::Grace
        );
        assert_eq!(
            arrears_step(0, 24 * H, grace, retention),
            ArrearsStep::Freeze
        );
        assert_eq!(
            arrears_step(0, 16 * 24 * H, grace, retention),
            ArrearsStep::Release
        );
    }
}
