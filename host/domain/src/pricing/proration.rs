//! The day count for what is left of a subscription, used by upgrade and
//! capacity-expansion fees (§5.3).
//!
//! **Rule**: the time from now to the expiry is split, counting back from the
//! expiry, into whole calendar periods (months or years, as in
//! [`add_months`]) and the part of one more period that remains before them.
//! That part is counted in whole UTC days, a started day counting as a whole
//! one, over the actual length of that calendar period: 28–31 days for a
//! month, 365 or 366 for a year. The remaining fraction of the subscription is
//! `whole periods + days ÷ period days`.
//!
//! So with an expiry of 31 March, on 16 March 15 of February 29 → March 31's
//! 31 days remain in a leap year; an expiry on the 31st stepping back a month
//! lands on the 30th, 29th or 28th where the month is shorter.

use rust_decimal::Decimal;

use crate::catalog::{BillingMode, MS_PER_DAY, add_months, months_per_period};

/// What is left of a subscription period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Whole periods left after the current partial one.
    pub whole_periods: u32,
    /// Days left in the current partial period (a started day counts).
    pub days: u32,
    /// The actual length in days of that partial period.
    pub period_days: u32,
}

impl Remaining {
    /// Nothing left.
    pub const NONE: Remaining = Remaining {
        whole_periods: 0,
        days: 0,
        period_days: 1,
    };

    /// `whole_periods + days / period_days`, exact to 28 places.
    pub fn factor(&self) -> Decimal {
        Decimal::from(self.whole_periods)
            + Decimal::from(self.days) / Decimal::from(self.period_days.max(1))
    }

    /// Whether nothing is left.
    pub fn is_none(&self) -> bool {
        self.whole_periods == 0 && self.days == 0
    }
}

/// What is left between `now_ms` and `expires_ms` of a `mode` subscription;
/// `None` for modes without periods or dates out of range.
pub fn remaining(now_ms: i64, expires_ms: i64, mode: BillingMode) -> Option<Remaining> {
    let months = months_per_period(mode)?;
    if expires_ms <= now_ms {
        return Some(Remaining::NONE);
    }
    // Step back whole periods from the expiry while they end after now.
    let mut whole: u32 = 0;
    let mut end = expires_ms;
    let start = loop {
        let start = add_months(expires_ms, -(i64::from(whole) + 1) * months)?;
        if start < now_ms {
            break start;
        }
        whole += 1;
        end = start;
    };
    let period_days = u32::try_from((end - start) / MS_PER_DAY).ok()?;
    let left_ms = end - now_ms;
    let days = u32::try_from(left_ms / MS_PER_DAY + i64::from(left_ms % MS_PER_DAY != 0))
        .ok()?
        .min(period_days);
    Some(Remaining {
        whole_periods: whole,
        days,
        period_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::date_ms;

    fn left(now: i64, expires: i64, mode: BillingMode) -> (u32, u32, u32) {
        let r = remaining(now, expires, mode).expect("periodic");
        (r.whole_periods, r.days, r.period_days)
    }

    #[test]
    fn month_ending_on_the_31st_in_a_leap_year() {
        let expires = date_ms(2024, 3, 31);
        // Back one month from 31 March is 29 February: a 31-day period.
        assert_eq!(
            left(date_ms(2024, 3, 16), expires, BillingMode::Monthly),
            (0, 15, 31)
        );
        // Same in 2023: 28 February → 31 March is 31 days too.
        assert_eq!(
            left(
                date_ms(2023, 3, 16),
                date_ms(2023, 3, 31),
                BillingMode::Monthly
            ),
            (0, 15, 31)
        );
    }

    #[test]
    fn february_is_short() {
        let expires = date_ms(2024, 2, 29);
        // 29 January → 29 February: 31 days; from 15 February 14 remain.
        assert_eq!(
            left(date_ms(2024, 2, 15), expires, BillingMode::Monthly),
            (0, 14, 31)
        );
        let expires = date_ms(2023, 3, 1);
        // 1 February → 1 March 2023: 28 days.
        assert_eq!(
            left(date_ms(2023, 2, 15), expires, BillingMode::Monthly),
            (0, 14, 28)
        );
    }

    #[test]
    fn leap_years_have_366_days() {
        let expires = date_ms(2024, 12, 31);
        assert_eq!(
            left(date_ms(2024, 7, 1), expires, BillingMode::Yearly),
            (0, 183, 366)
        );
        assert_eq!(
            left(
                date_ms(2023, 7, 1),
                date_ms(2023, 12, 31),
                BillingMode::Yearly
            ),
            (0, 183, 365)
        );
    }

    #[test]
    fn whole_periods_and_started_days() {
        let expires = date_ms(2025, 6, 30);
        // 3 whole months (30 Mar → 30 Jun) plus 20 Mar → 30 Mar, 10 days of
        // the 28 Feb → 30 Mar period (30 days).
        assert_eq!(
            left(date_ms(2025, 3, 20), expires, BillingMode::Monthly),
            (3, 10, 30)
        );
        // A started day counts: one millisecond into a day leaves the day.
        assert_eq!(
            left(date_ms(2025, 6, 29) + 1, expires, BillingMode::Monthly),
            (0, 1, 31)
        );
        // Exactly on a period boundary: whole periods only.
        assert_eq!(
            left(date_ms(2025, 5, 30), expires, BillingMode::Monthly),
            (1, 0, 30)
        );
    }

    #[test]
    fn nothing_left_after_expiry_or_without_periods() {
        let t = date_ms(2025, 1, 1);
        assert!(remaining(t, t, BillingMode::Monthly).expect("m").is_none());
        assert!(
            remaining(t + 1, t, BillingMode::Yearly)
                .expect("y")
                .is_none()
        );
        assert!(remaining(t, t + 1, BillingMode::OneTime).is_none());
        assert_eq!(
            remaining(
                date_ms(2024, 12, 17),
                date_ms(2025, 1, 1),
                BillingMode::Monthly
            )
            .expect("m")
            .factor(),
            Decimal::from(15) / Decimal::from(31)
        );
    }
}
