//! The `lifecycle` interface: provisioning, querying, changing and releasing
//! SaaS instances.

use rust_decimal::Decimal;

use crate::bindings::imports::bazaar::plugin::types::PluginError as WitPluginError;
use crate::bindings::lifecycle_plugin::exports::bazaar::plugin::lifecycle as wit;
use crate::register::Export;
use crate::types::attributes_from;
use crate::{Attribute, BillingMode, PluginError, Timestamp, decimal};

/// A paid or trial order the customer placed: provision an instance for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The marketplace order id. The same order id must always yield the same
    /// instance: the host may call again after a crash or a retry.
    pub order_id: String,
    /// The customer's marketplace id.
    pub customer_id: String,
    /// The customer's display name.
    pub customer_name: String,
    /// The product bought.
    pub product_id: String,
    /// The SKU bought.
    pub sku_code: String,
    /// How it is billed.
    pub billing_mode: BillingMode,
    /// Enumeration and quantity attributes of the SKU.
    pub attributes: Vec<Attribute>,
    /// Number of units of the quantity attribute (1 when there is none).
    pub quantity: Decimal,
    /// Number of billing periods bought (months or years); 0 for one-time and
    /// pay-per-use.
    pub period_count: u32,
    /// Whether this is a free trial.
    pub trial: bool,
    /// When the instance expires, if it does.
    pub expires_at: Option<Timestamp>,
}

/// How the customer reaches the provisioned instance. The host stores it
/// encrypted and shows it only to the customer and the seller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppInfo {
    /// The URL customers log in at.
    pub frontend_url: String,
    /// The administration URL, if separate.
    pub admin_url: Option<String>,
    /// The initial user name.
    pub username: String,
    /// The initial password.
    pub password: String,
    /// Free text shown to the customer with the credentials.
    pub memo: Option<String>,
}

/// A provisioned instance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provisioned {
    /// The seller's id for the instance; unique per seller.
    pub instance_id: String,
    /// How to reach it.
    pub app: AppInfo,
}

/// The state of an instance as the seller's side sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// Serving.
    Running,
    /// Provisioned but not serving.
    Frozen,
    /// Released; its data may be gone.
    Released,
    /// The plugin does not know this instance.
    Unknown,
}

/// One instance in a [`Lifecycle::query_instance`] answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceStatus {
    /// The seller's id for the instance.
    pub instance_id: String,
    /// Its state.
    pub state: InstanceState,
    /// When it expires, as the seller knows it.
    pub expires_at: Option<Timestamp>,
}

/// Why an instance is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FreezeReason {
    /// The subscription period ended.
    Expired,
    /// The customer's balance cannot pay a charge.
    Arrears,
    /// A stop-before-excess package's quota is used up.
    QuotaExhausted,
    /// The operator froze it for breaking the rules.
    Violation,
}

/// An upgrade to another SKU of the same specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The upgrade order's id.
    pub order_id: String,
    /// The new SKU.
    pub sku_code: String,
    /// The new SKU's attributes.
    pub attributes: Vec<Attribute>,
    /// The new quantity.
    pub quantity: Decimal,
}

/// What changes about an existing instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Renewed: the new expiry time.
    Renew(Timestamp),
    /// A trial became a paid subscription; the new expiry time.
    TrialToFormal(Timestamp),
    /// Moved to a higher SKU.
    Upgrade(Upgrade),
    /// Stop serving, keep the data.
    Freeze(FreezeReason),
    /// Serve again.
    Unfreeze,
}

/// A change to one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceChange {
    /// The seller's id for the instance.
    pub instance_id: String,
    /// The order that caused the change; repeated calls with the same order id
    /// and change must be harmless.
    pub order_id: String,
    /// What changes.
    pub change: Change,
}

/// Why an instance is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseReason {
    /// The customer unsubscribed.
    Unsubscribed,
    /// The subscription expired and its retention period passed.
    Expired,
    /// Arrears were not paid within the retention period.
    Arrears,
    /// A trial ended without conversion.
    TrialEnded,
    /// The operator removed it for breaking the rules.
    Violation,
}

impl InstanceState {
    /// The WIT name of the state, e.g. `running`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Frozen => "frozen",
            Self::Released => "released",
            Self::Unknown => "unknown",
        }
    }
}

impl FreezeReason {
    /// The WIT name of the reason, e.g. `quota-exhausted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Arrears => "arrears",
            Self::QuotaExhausted => "quota-exhausted",
            Self::Violation => "violation",
        }
    }
}

impl ReleaseReason {
    /// The WIT name of the reason, e.g. `trial-ended`.
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

/// A SaaS lifecycle plugin. Register it with
/// [`register_lifecycle!`](crate::register_lifecycle) (or
/// [`register_saas!`](crate::register_saas) together with [`Metering`](crate::Metering)).
///
/// Every function is an associated function: a plugin keeps no state in
/// memory between calls (each call may run in a fresh instance), so state
/// belongs in [`kv`](crate::kv).
pub trait Lifecycle {
    /// Provisions an instance for a new order. Must be idempotent on
    /// [`Subscription::order_id`]: the host calls again after crashes and
    /// retries and expects the same instance back.
    fn create_instance(subscription: Subscription) -> Result<Provisioned, PluginError>;

    /// Reports the state of the given instances, in the same order.
    ///
    /// The default knows no instance and answers [`InstanceState::Unknown`]
    /// for each.
    fn query_instance(instance_ids: Vec<String>) -> Result<Vec<InstanceStatus>, PluginError> {
        Ok(instance_ids
            .into_iter()
            .map(|instance_id| InstanceStatus {
                instance_id,
                state: InstanceState::Unknown,
                expires_at: None,
            })
            .collect())
    }

    /// Applies a renewal, trial conversion, upgrade, freeze or unfreeze.
    ///
    /// The default accepts every change and does nothing, which suits
    /// instances whose access the marketplace controls on its own.
    fn update_instance(change: InstanceChange) -> Result<(), PluginError> {
        let _ = change;
        Ok(())
    }

    /// Releases an instance for good. Releasing a released instance must
    /// succeed.
    ///
    /// The default does nothing and succeeds.
    fn release_instance(instance_id: String, reason: ReleaseReason) -> Result<(), PluginError> {
        let _ = (instance_id, reason);
        Ok(())
    }
}

impl<T: Lifecycle> wit::Guest for Export<T> {
    fn create_instance(
        subscription: wit::Subscription,
    ) -> Result<wit::Provisioned, WitPluginError> {
        let subscription = subscription_from(subscription)?;
        Ok(provisioned_into(T::create_instance(subscription)?))
    }

    fn query_instance(
        instance_ids: Vec<String>,
    ) -> Result<Vec<wit::InstanceStatus>, WitPluginError> {
        let statuses = T::query_instance(instance_ids)?;
        Ok(statuses.into_iter().map(status_into).collect())
    }

    fn update_instance(change: wit::InstanceChange) -> Result<(), WitPluginError> {
        Ok(T::update_instance(change_from(change)?)?)
    }

    fn release_instance(
        instance_id: String,
        reason: wit::ReleaseReason,
    ) -> Result<(), WitPluginError> {
        let reason = match reason {
            wit::ReleaseReason::Unsubscribed => ReleaseReason::Unsubscribed,
            wit::ReleaseReason::Expired => ReleaseReason::Expired,
            wit::ReleaseReason::Arrears => ReleaseReason::Arrears,
            wit::ReleaseReason::TrialEnded => ReleaseReason::TrialEnded,
            wit::ReleaseReason::Violation => ReleaseReason::Violation,
        };
        Ok(T::release_instance(instance_id, reason)?)
    }
}

fn subscription_from(s: wit::Subscription) -> Result<Subscription, PluginError> {
    Ok(Subscription {
        quantity: decimal::parse("subscription.quantity", &s.quantity)?,
        order_id: s.order_id,
        customer_id: s.customer_id,
        customer_name: s.customer_name,
        product_id: s.product_id,
        sku_code: s.sku_code,
        billing_mode: s.billing_mode.into(),
        attributes: attributes_from(s.attributes),
        period_count: s.period_count,
        trial: s.trial,
        expires_at: s.expires_at,
    })
}

fn provisioned_into(p: Provisioned) -> wit::Provisioned {
    wit::Provisioned {
        instance_id: p.instance_id,
        app: wit::AppInfo {
            frontend_url: p.app.frontend_url,
            admin_url: p.app.admin_url,
            username: p.app.username,
            password: p.app.password,
            memo: p.app.memo,
        },
    }
}

fn status_into(s: InstanceStatus) -> wit::InstanceStatus {
    wit::InstanceStatus {
        instance_id: s.instance_id,
        state: match s.state {
            InstanceState::Running => wit::InstanceState::Running,
            InstanceState::Frozen => wit::InstanceState::Frozen,
            InstanceState::Released => wit::InstanceState::Released,
            InstanceState::Unknown => wit::InstanceState::Unknown,
        },
        expires_at: s.expires_at,
    }
}

fn change_from(c: wit::InstanceChange) -> Result<InstanceChange, PluginError> {
    let change = match c.change {
        wit::Change::Renew(at) => Change::Renew(at),
        wit::Change::TrialToFormal(at) => Change::TrialToFormal(at),
        wit::Change::Upgrade(u) => Change::Upgrade(Upgrade {
            quantity: decimal::parse("change.change.upgrade.quantity", &u.quantity)?,
            order_id: u.order_id,
            sku_code: u.sku_code,
            attributes: attributes_from(u.attributes),
        }),
        wit::Change::Freeze(reason) => Change::Freeze(match reason {
            wit::FreezeReason::Expired => FreezeReason::Expired,
            wit::FreezeReason::Arrears => FreezeReason::Arrears,
            wit::FreezeReason::QuotaExhausted => FreezeReason::QuotaExhausted,
            wit::FreezeReason::Violation => FreezeReason::Violation,
        }),
        wit::Change::Unfreeze => Change::Unfreeze,
    };
    Ok(InstanceChange {
        instance_id: c.instance_id,
        order_id: c.order_id,
        change,
    })
}
