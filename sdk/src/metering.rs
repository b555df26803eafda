//! The `metering` interface: usage collection for pay-per-use
//! specifications.

use rust_decimal::Decimal;

use crate::bindings::imports::bazaar::plugin::types::PluginError as WitPluginError;
use crate::bindings::metering_plugin::exports::bazaar::plugin::metering as wit;
use crate::register::Export;
use crate::{PluginError, Timestamp, decimal};

/// The half-open time window `[start, end)` to report usage for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsageWindow {
    /// Inclusive start.
    pub start: Timestamp,
    /// Exclusive end.
    pub end: Timestamp,
}

impl UsageWindow {
    /// The window's length in milliseconds (0 if `end` is not after `start`).
    pub fn duration_ms(&self) -> i64 {
        self.end.saturating_sub(self.start).max(0)
    }
}

/// One pay-per-use instance to report usage for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MeteredInstance {
    /// The seller's id for the instance.
    pub instance_id: String,
    /// The SKU it runs.
    pub sku_code: String,
}

/// One usage record (what KooGallery calls an SDR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// The seller's unique id for this record: the dedup key. Sending the
    /// same id twice charges once, so derive it from the instance and window
    /// rather than from randomness.
    pub metering_id: String,
    /// The instance the usage belongs to.
    pub instance_id: String,
    /// The billing item: the instance's pay-per-use SKU code.
    pub billing_item: String,
    /// When the usage began.
    pub begin: Timestamp,
    /// When it ended.
    pub end: Timestamp,
    /// How much was used; positive.
    pub value: Decimal,
    /// The id of the instance's stop-before-excess package to deduct it
    /// from; `None`: the default order, soonest to expire first.
    pub package: Option<String>,
}

/// A usage collection plugin. Register it with
/// [`register_metering!`](crate::register_metering) (or
/// [`register_saas!`](crate::register_saas) together with
/// [`Lifecycle`](crate::Lifecycle)).
pub trait Metering {
    /// Reports the usage of `instances` within `window`.
    fn collect_usage(
        window: UsageWindow,
        instances: Vec<MeteredInstance>,
    ) -> Result<Vec<UsageRecord>, PluginError>;
}

impl<T: Metering> wit::Guest for Export<T> {
    fn collect_usage(
        window: wit::UsageWindow,
        instances: Vec<wit::MeteredInstance>,
    ) -> Result<Vec<wit::UsageRecord>, WitPluginError> {
        let window = UsageWindow {
            start: window.start,
            end: window.end,
        };
        let instances = instances
            .into_iter()
            .map(|i| MeteredInstance {
                instance_id: i.instance_id,
                sku_code: i.sku_code,
            })
            .collect();
        let records = T::collect_usage(window, instances)?;
        Ok(records.into_iter().map(record_into).collect())
    }
}

fn record_into(r: UsageRecord) -> wit::UsageRecord {
    wit::UsageRecord {
        metering_id: r.metering_id,
        instance_id: r.instance_id,
        billing_item: r.billing_item,
        begin: r.begin,
        end: r.end,
        value: decimal::format(r.value),
        package: r.package,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_record_values_canonically() {
        let record = record_into(UsageRecord {
            metering_id: "i:0".into(),
            instance_id: "i".into(),
            billing_item: "minutes".into(),
            begin: 0,
            end: 60_000,
            value: Decimal::new(1500, 2),
            package: Some("pkg_1".into()),
        });
        assert_eq!(record.value, "15.00");
        assert_eq!(record.metering_id, "i:0");
        assert_eq!(record.package.as_deref(), Some("pkg_1"));
    }

    #[test]
    fn window_duration_never_negative() {
        assert_eq!(UsageWindow { start: 10, end: 70 }.duration_ms(), 60);
        assert_eq!(UsageWindow { start: 70, end: 10 }.duration_ms(), 0);
        assert_eq!(
            UsageWindow {
                start: i64::MIN,
                end: i64::MAX
            }
            .duration_ms(),
            i64::MAX
        );
    }
}
