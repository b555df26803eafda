//! Pay-per-use packages (seller guide §3.5.4.1–2): prepaid usage quotas that
//! are deducted before usage is charged, earliest-expiring first; quotas
//! that reset each month or year or last the whole term; and
//! stop-before-excess packages, whose instance stops when the quota is gone.

use rust_decimal::Decimal;

pub use super::catalog::PackageOffer;
use super::catalog::{BillingMode, add_months, months_per_period};

/// A customer may hold at most this many live packages.
pub const PACKAGES_MAX: i64 = 30;

/// A bought package as the deduction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Package id.
    pub id: String,
    /// Quota per period (reset) or for the term.
    pub quota: Decimal,
    /// Used in the period `period_index` (or in the term).
    pub used: Decimal,
    /// Which reset period `used` counts.
    pub period_index: i64,
    /// Start of validity.
    pub starts_at: i64,
    /// End of validity (exclusive).
    pub expires_at: i64,
    /// Monthly or yearly.
    pub period: BillingMode,
    /// Whether the quota resets each period.
    pub reset: bool,
}

/// The index of the period of a package started at `starts_at` that `t`
/// falls in (0 for the first), counted in calendar months or years.
pub fn period_index(starts_at: i64, t: i64, period: BillingMode) -> i64 {
    let Some(months) = months_per_period(period) else {
        return 0;
    };
    let mut k = 0;
    while add_months(starts_at, (k + 1) * months).is_some_and(|next| next <= t) {
        k += 1;
    }
    k
}

/// Deducts `usage` of the cycle `[start, end)` from the packages valid for
/// part of it (one bought during the cycle covers it), earliest-expiring
/// first. Returns what each package covered and the excess left to charge;
/// `held` is updated in place.
pub fn deduct(
    held: &mut [Held],
    usage: Decimal,
    (start, end): (i64, i64),
) -> (Vec<(String, Decimal)>, Decimal) {
    held.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)));
    let mut left = usage;
    let mut covered = Vec::new();
    for p in held.iter_mut() {
        if left <= Decimal::ZERO || p.starts_at >= end || p.expires_at <= start {
            continue;
        }
        if p.reset {
            let k = period_index(p.starts_at, start.max(p.starts_at), p.period);
            if k != p.period_index {
                p.period_index = k;
                p.used = Decimal::ZERO;
            }
        }
        let free = (p.quota - p.used).max(Decimal::ZERO);
        let take = free.min(left);
        if take > Decimal::ZERO {
            p.used += take;
            left -= take;
            covered.push((p.id.clone(), take));
        }
    }
    (covered, left)
}

/// [`deduct`], but each of `named`'s amounts goes to the package it names
/// first (§3.5.4.2: a usage record may name the package to deduct it from);
/// what a named package cannot cover, and `other`, go the usual way.
/// Returns what each package covered (one entry per package) and the
/// excess.
pub fn deduct_named(
    held: &mut [Held],
    named: &[(String, Decimal)],
    other: Decimal,
    cycle: (i64, i64),
) -> (Vec<(String, Decimal)>, Decimal) {
    let mut covered: Vec<(String, Decimal)> = Vec::new();
    let add = |id: String, take: Decimal, covered: &mut Vec<(String, Decimal)>| match covered
        .iter_mut()
        .find(|(c, _)| *c == id)
    {
        Some((_, t)) => *t += take,
        None => covered.push((id, take)),
    };
    let mut rest = other;
    for (package, amount) in named {
        match held.iter().position(|h| &h.id == package) {
            Some(i) => {
                let (took, left) = deduct(&mut held[i..=i], *amount, cycle);
                for (id, take) in took {
                    add(id, take, &mut covered);
                }
                rest += left;
            }
            None => rest += amount,
        }
    }
    let (took, excess) = deduct(held, rest, cycle);
    for (id, take) in took {
        add(id, take, &mut covered);
    }
    (covered, excess)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::date_ms;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn hour(t: i64) -> (i64, i64) {
        (t, t + 3_600_000)
    }

    fn held(id: &str, quota: &str, starts: i64, months: u32, reset: bool) -> Held {
        Held {
            id: id.into(),
            quota: d(quota),
            used: Decimal::ZERO,
            period_index: 0,
            starts_at: starts,
            expires_at: add_months(starts, i64::from(months)).expect("date"),
            period: BillingMode::Monthly,
            reset,
        }
    }

    #[test]
    fn seeds_example_1000_gb_a_month_for_3_months() {
        // 1,000 GB a month, reset monthly, bought for 3 months: 1,000 GB in
        // each month, 3,000 in all; usage beyond a month's 1,000 is excess.
        let start = date_ms(2026, 1, 15);
        let mut p = [held("gb", "1000", start, 3, true)];
        assert_eq!(deduct(&mut p, d("700"), hour(start)).1, d("0"));
        assert_eq!(
            deduct(&mut p, d("500"), hour(start + 86_400_000)).1,
            d("200")
        );
        let (covered, excess) = deduct(&mut p, d("900"), hour(date_ms(2026, 2, 15)));
        assert_eq!((covered[0].1, excess), (d("900"), d("0")));
        assert_eq!(
            deduct(&mut p, d("1000"), hour(date_ms(2026, 3, 20))).1,
            d("0")
        );
        // Expired after three months: everything is excess.
        assert_eq!(deduct(&mut p, d("5"), hour(date_ms(2026, 4, 15))).1, d("5"));
    }

    #[test]
    fn a_term_quota_does_not_reset() {
        let start = date_ms(2026, 1, 1);
        let mut p = [held("t", "100", start, 3, false)];
        assert_eq!(deduct(&mut p, d("80"), hour(start)).1, d("0"));
        assert_eq!(
            deduct(&mut p, d("30"), hour(date_ms(2026, 2, 10))).1,
            d("10")
        );
    }

    #[test]
    fn the_earliest_expiring_package_is_used_first() {
        let start = date_ms(2026, 1, 1);
        let mut p = [
            held("late", "10", start, 3, false),
            held("soon", "10", start, 1, false),
        ];
        let (covered, excess) = deduct(&mut p, d("15"), hour(start));
        assert_eq!(
            covered,
            vec![("soon".into(), d("10")), ("late".into(), d("5"))]
        );
        assert_eq!(excess, d("0"));
    }

    #[test]
    fn period_index_counts_calendar_months() {
        let start = date_ms(2026, 1, 31);
        assert_eq!(
            period_index(start, date_ms(2026, 2, 27), BillingMode::Monthly),
            0
        );
        assert_eq!(
            period_index(start, date_ms(2026, 2, 28), BillingMode::Monthly),
            1
        );
        assert_eq!(
            period_index(start, date_ms(2027, 2, 1), BillingMode::Yearly),
            1
        );
    }

    #[test]
    fn a_named_package_is_used_first_and_its_excess_goes_the_usual_way() {
        let t = date_ms(2025, 1, 10);
        // `a` expires first, so it would be used first; the record names `b`.
        let mut held = vec![
            self::held("a", "10", t, 1, false),
            self::held("b", "4", t, 2, false),
        ];
        let named = vec![("b".to_string(), d("6"))];
        let (covered, excess) = deduct_named(&mut held, &named, d("3"), hour(t));
        // b takes 4 of the 6; the other 2 and the unnamed 3 go to a.
        assert_eq!(
            covered,
            vec![("b".to_string(), d("4")), ("a".to_string(), d("5"))]
        );
        assert_eq!(excess, Decimal::ZERO);
        // A package the instance does not hold changes nothing.
        let mut held = vec![self::held("a", "1", t, 1, false)];
        let named = vec![("zz".to_string(), d("2"))];
        let (covered, excess) = deduct_named(&mut held, &named, Decimal::ZERO, hour(t));
        assert_eq!(covered, vec![("a".to_string(), d("1"))]);
        assert_eq!(excess, d("1"));
    }
}
