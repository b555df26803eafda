//! Usage records (what KooGallery calls SDRs, seller guide §3.5.4): what one
//! record must hold before it may be charged, and the outcome of each record
//! of a batch. Nothing here touches storage; `store/usage.rs` deduplicates.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// At most this many records per batch.
pub const BATCH_MAX: usize = 1_000;
/// Metering ids are 1–128 bytes.
const METERING_ID_MAX: usize = 128;
/// Usage values carry at most this many decimal places.
const VALUE_SCALE_MAX: u32 = 6;
/// A record may end at most this far in the future (clock skew).
pub const FUTURE_SKEW_MS: i64 = 5 * 60_000;
/// Usage is collected in windows of an hour, aligned to the hour (UTC);
/// so the hour an instance was bought in counts as a whole.
pub const COLLECTION_WINDOW_MS: i64 = 3_600_000;
/// How old (by its end) a record may be by default: 7 days.
pub const DEFAULT_LATE_WINDOW_MS: i64 = 7 * 86_400_000;

/// One record as a seller sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub struct RawRecord {
    /// The seller's unique id for the record: the dedup key.
    #[serde(default)]
    pub metering_id: Option<String>,
    /// Bazaar's instance id (`ins_...`).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The billing item: the instance's pay-per-use SKU.
    #[serde(default)]
    pub billing_item: Option<String>,
    /// Start of the usage, Unix milliseconds.
    #[serde(default)]
    pub begin: Option<i64>,
    /// End of the usage, Unix milliseconds.
    #[serde(default)]
    pub end: Option<i64>,
    /// How much was used: a positive decimal string.
    #[serde(default)]
    pub value: Option<String>,
    /// The instance's package to deduct it from first (§3.5.4.2), e.g. a
    /// stop-before-excess one; by default packages are used
    /// earliest-expiring first.
    #[serde(default)]
    pub package: Option<String>,
}

/// A record that passed the checks that need no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// The dedup key.
    pub metering_id: String,
    /// The instance.
    pub instance_id: String,
    /// The billing item.
    pub billing_item: String,
    /// Start, ms.
    pub begin_ms: i64,
    /// End, ms.
    pub end_ms: i64,
    /// Positive usage.
    pub value: Decimal,
    /// The package named to deduct it from first.
    pub package: Option<String>,
}

/// What became of one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RecordStatus {
    /// Stored; it will be charged.
    Accepted,
    /// A record with this metering id was already stored (or is earlier in
    /// the batch); nothing changed.
    Duplicate,
    /// A field is missing or malformed.
    Invalid,
    /// No such instance.
    UnknownInstance,
    /// The instance belongs to another seller.
    NotYourInstance,
    /// The instance is not billed pay-per-use.
    NotPayPerUse,
    /// The instance was released or never provisioned.
    InstanceNotLive,
    /// The billing item is not the instance's.
    UnknownBillingItem,
    /// The package named is not one of the instance's for this billing item.
    UnknownPackage,
    /// The time range is impossible (end before begin, or in the future).
    BadTime,
    /// The record ended before the late-data window.
    TooLate,
    /// The value is not a positive decimal.
    BadValue,
}

/// Identifiers are stored as sent; PostgreSQL text cannot hold NUL and no
/// seller means a tab or newline in an id, so control characters are refused.
fn printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Checks one record's own fields at `now_ms`; records ending before
/// `now_ms - late_window_ms` are refused as too late.
pub fn check_record(
    raw: &RawRecord,
    now_ms: i64,
    late_window_ms: i64,
) -> Result<UsageRecord, (RecordStatus, String)> {
    let invalid = |m: &str| (RecordStatus::Invalid, m.to_string());
    let metering_id = raw
        .metering_id
        .as_deref()
        .filter(|m| !m.is_empty() && m.len() <= METERING_ID_MAX && m.trim() == *m)
        .filter(|m| printable(m))
        .ok_or_else(|| {
            invalid(
                "metering-id must be 1-128 bytes without surrounding spaces or control characters",
            )
        })?;
    let instance_id = raw
        .instance_id
        .as_deref()
        .filter(|m| !m.is_empty() && printable(m))
        .ok_or_else(|| invalid("instance-id is required, without control characters"))?;
    let billing_item = raw
        .billing_item
        .as_deref()
        .filter(|m| !m.is_empty() && printable(m))
        .ok_or_else(|| invalid("billing-item is required, without control characters"))?;
    let (Some(begin_ms), Some(end_ms)) = (raw.begin, raw.end) else {
        return Err(invalid("begin and end are required (Unix milliseconds)"));
    };
    let value = parse_value(raw.value.as_deref())?;
    let package = match raw.package.as_deref() {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= METERING_ID_MAX && printable(p) => {
            Some(p.to_string())
        }
        Some(_) => {
            return Err(invalid(
                "package must be 1-128 bytes without control characters",
            ));
        }
    };
    if end_ms < begin_ms {
        return Err((RecordStatus::BadTime, "end is before begin".into()));
    }
    if begin_ms < 0 || end_ms > now_ms + FUTURE_SKEW_MS {
        return Err((
            RecordStatus::BadTime,
            "the record ends in the future".into(),
        ));
    }
    if end_ms < now_ms - late_window_ms {
        return Err((
            RecordStatus::TooLate,
            format!(
                "the record ended more than {} hours ago; late records are refused",
                late_window_ms / 3_600_000
            ),
        ));
    }
    Ok(UsageRecord {
        metering_id: metering_id.into(),
        instance_id: instance_id.into(),
        billing_item: billing_item.into(),
        begin_ms,
        end_ms,
        value,
        package,
    })
}

fn parse_value(v: Option<&str>) -> Result<Decimal, (RecordStatus, String)> {
    let bad = |m: String| (RecordStatus::BadValue, m);
    let s = v.ok_or_else(|| bad("value is required, as a decimal string".into()))?;
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return Err(bad(format!(
            "{s:?} is not a positive decimal string such as \"12.5\""
        )));
    }
    let value: Decimal = s.parse().map_err(|_| bad(format!("{s} does not fit")))?;
    if value.is_zero() {
        return Err(bad("value must be positive".into()));
    }
    if value.normalize().scale() > VALUE_SCALE_MAX {
        return Err(bad(format!("at most {VALUE_SCALE_MAX} decimal places")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn raw() -> RawRecord {
        RawRecord {
            metering_id: Some("m-1".into()),
            instance_id: Some("ins_1".into()),
            billing_item: Some("calls".into()),
            begin: Some(NOW - 60_000),
            end: Some(NOW),
            value: Some("8".into()),
            package: None,
        }
    }

    fn status(edit: impl FnOnce(&mut RawRecord)) -> RecordStatus {
        let mut r = raw();
        edit(&mut r);
        check_record(&r, NOW, DEFAULT_LATE_WINDOW_MS)
            .expect_err("refused")
            .0
    }

    #[test]
    fn a_good_record_passes() {
        let r = check_record(&raw(), NOW, DEFAULT_LATE_WINDOW_MS).expect("ok");
        assert_eq!(r.value, Decimal::from(8));
    }

    #[test]
    fn each_fault_has_its_status() {
        assert_eq!(status(|r| r.metering_id = None), RecordStatus::Invalid);
        for bad in ["m\u{0}1", "m\t1", "m\n1"] {
            assert_eq!(
                status(|r| r.metering_id = Some(bad.into())),
                RecordStatus::Invalid
            );
        }
        assert_eq!(
            status(|r| r.instance_id = Some("ins\u{0}".into())),
            RecordStatus::Invalid
        );
        assert_eq!(
            status(|r| r.billing_item = Some("calls\r".into())),
            RecordStatus::Invalid
        );
        assert_eq!(
            status(|r| r.metering_id = Some(" m".into())),
            RecordStatus::Invalid
        );
        assert_eq!(
            status(|r| r.billing_item = Some(String::new())),
            RecordStatus::Invalid
        );
        assert_eq!(status(|r| r.end = None), RecordStatus::Invalid);
        assert_eq!(
            status(|r| r.value = Some("0".into())),
            RecordStatus::BadValue
        );
        assert_eq!(
            status(|r| r.value = Some("-1".into())),
            RecordStatus::BadValue
        );
        assert_eq!(
            status(|r| r.value = Some("1e3".into())),
            RecordStatus::BadValue
        );
        assert_eq!(
            status(|r| r.value = Some("0.0000001".into())),
            RecordStatus::BadValue
        );
        assert_eq!(status(|r| r.begin = Some(NOW + 1)), RecordStatus::BadTime);
        assert_eq!(
            status(|r| r.end = Some(NOW + FUTURE_SKEW_MS + 1)),
            RecordStatus::BadTime
        );
        assert_eq!(
            status(|r| {
                r.begin = Some(NOW - DEFAULT_LATE_WINDOW_MS - 10);
                r.end = Some(NOW - DEFAULT_LATE_WINDOW_MS - 1);
            }),
            RecordStatus::TooLate
        );
    }
}
