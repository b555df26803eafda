//! Subscription expiry in UTC calendar terms, on proleptic Gregorian civil dates.
//!
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`, written out
//! here so the domain needs no date-time dependency.

use super::BillingMode;

/// Milliseconds in a day; days are UTC days.
pub const MS_PER_DAY: i64 = 86_400_000;

/// The instant `periods` months (monthly) or years (yearly) after `start_ms`, in Unix
/// milliseconds UTC, keeping the time of day.
///
/// Periods are counted from the start date, not chained: a subscription starting on
/// 31 January ends on 28/29 February after one month and on 31 March after two. When the
/// target month is shorter than the start day, the day is clamped to the month's last day
/// (29 February + 1 year = 28 February).
///
/// Returns `None` for one-time and pay-per-use, which have no expiry, and when the result
/// does not fit in an `i64`.
pub fn add_period(start_ms: i64, mode: BillingMode, periods: u32) -> Option<i64> {
    let months_per_period = months_per_period(mode)?;
    add_months(start_ms, i64::from(periods) * months_per_period)
}

/// Months in one period of `mode`; `None` for modes without periods.
pub fn months_per_period(mode: BillingMode) -> Option<i64> {
    match mode {
        BillingMode::Monthly => Some(1),
        BillingMode::Yearly => Some(12),
        BillingMode::OneTime | BillingMode::PayPerUse => None,
    }
}

/// The instant `months` calendar months after (or, negative, before)
/// `start_ms`, keeping the time of day and clamping the day to the target
/// month's length, as [`add_period`] does.
pub fn add_months(start_ms: i64, months: i64) -> Option<i64> {
    let days = start_ms.div_euclid(MS_PER_DAY);
    let time_of_day = start_ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);

    // Month index counted from year 0.
    let target = (year * 12 + i64::from(month - 1)).checked_add(months)?;
    let new_year = target.div_euclid(12);
    let new_month = u32::try_from(target.rem_euclid(12)).ok()? + 1;
    let new_day = day.min(days_in_month(new_year, new_month));

    days_from_civil(new_year, new_month, new_day)
        .checked_mul(MS_PER_DAY)?
        .checked_add(time_of_day)
}

/// Midnight UTC on the first of the month `ms` falls in.
pub fn month_start(ms: i64) -> i64 {
    let (year, month, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    date_ms(year, month, 1)
}

/// The UTC civil date `(year, month 1–12, day 1–31)` that `ms` falls on.
pub fn civil_date(ms: i64) -> (i64, u32, u32) {
    civil_from_days(ms.div_euclid(MS_PER_DAY))
}

/// Midnight UTC of a civil date (`month` 1–12, `day` 1–31), in Unix
/// milliseconds.
pub fn date_ms(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) * MS_PER_DAY
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of the given civil date (`month` 1–12, `day` 1–31).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start in March so the leap day falls at the end of the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1–12, day 1–31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and non-negative by construction of the algorithm.
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix milliseconds of a UTC date-time, via the algorithm under test.
    fn ms(year: i64, month: u32, day: u32, hour: i64, minute: i64) -> i64 {
        days_from_civil(year, month, day) * MS_PER_DAY + (hour * 60 + minute) * 60_000
    }

    #[test]
    fn civil_round_trip_and_known_points() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 2024-02-29T00:00:00Z
        assert_eq!(ms(2024, 2, 29, 0, 0), 1_709_164_800_000);
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn monthly_clamps_to_month_end() {
        let start = ms(2025, 1, 31, 10, 30);
        let add = |n| add_period(start, BillingMode::Monthly, n);
        assert_eq!(add(1), Some(ms(2025, 2, 28, 10, 30)));
        assert_eq!(add(2), Some(ms(2025, 3, 31, 10, 30)));
        assert_eq!(add(3), Some(ms(2025, 4, 30, 10, 30)));
        assert_eq!(add(0), Some(start));
    }

    #[test]
    fn monthly_in_leap_year_reaches_29_february() {
        let start = ms(2024, 1, 31, 0, 0);
        assert_eq!(
            add_period(start, BillingMode::Monthly, 1),
            Some(ms(2024, 2, 29, 0, 0))
        );
        // 1900 is not a leap year, 2000 is.
        assert_eq!(
            add_period(ms(1900, 1, 30, 0, 0), BillingMode::Monthly, 1),
            Some(ms(1900, 2, 28, 0, 0))
        );
        assert_eq!(
            add_period(ms(2000, 1, 30, 0, 0), BillingMode::Monthly, 1),
            Some(ms(2000, 2, 29, 0, 0))
        );
    }

    #[test]
    fn yearly_from_leap_day() {
        let start = ms(2024, 2, 29, 8, 0);
        assert_eq!(
            add_period(start, BillingMode::Yearly, 1),
            Some(ms(2025, 2, 28, 8, 0))
        );
        assert_eq!(
            add_period(start, BillingMode::Yearly, 4),
            Some(ms(2028, 2, 29, 8, 0))
        );
    }

    #[test]
    fn year_rollover() {
        let start = ms(2025, 12, 15, 23, 59);
        assert_eq!(
            add_period(start, BillingMode::Monthly, 1),
            Some(ms(2026, 1, 15, 23, 59))
        );
        assert_eq!(
            add_period(ms(2025, 11, 30, 0, 0), BillingMode::Monthly, 3),
            Some(ms(2026, 2, 28, 0, 0))
        );
        assert_eq!(
            add_period(start, BillingMode::Monthly, 25),
            Some(ms(2028, 1, 15, 23, 59))
        );
    }

    #[test]
    fn before_the_epoch() {
        assert_eq!(
            add_period(ms(1969, 12, 31, 12, 0), BillingMode::Monthly, 2),
            Some(ms(1970, 2, 28, 12, 0))
        );
    }

    #[test]
    fn no_expiry_for_one_time_and_pay_per_use() {
        assert_eq!(add_period(0, BillingMode::OneTime, 1), None);
        assert_eq!(add_period(0, BillingMode::PayPerUse, 1), None);
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(
            add_period(i64::MAX - 1, BillingMode::Yearly, u32::MAX),
            None
        );
        assert!(add_period(i64::MIN, BillingMode::Monthly, 1).is_some());
    }
}
