//! `saas-lifecycle`: a reference pay-per-use SaaS plugin (world
//! `saas-plugin`) that provisions instances, tracks their state in KV and
//! reports usage by the minute.
//!
//! # KV layout
//!
//! - `order/<order-id>` → the instance id created for that order (UTF-8). A
//!   repeated `create-instance` for the order answers from here, so the host
//!   may retry freely.
//! - `instance/<instance-id>` → the instance record, one `key=value` line per
//!   field (see `record.rs`): `instance-id`, `order-id`, `state`
//!   (`running`/`frozen`/`released`), `expires-at`, `sku`, `quantity`,
//!   `trial`, `frontend-url`, `username`, `frozen-for`, `released-for`.
//!   No password: the initial one is answered once, never stored.
//!
//! # Usage
//!
//! `collect-usage` bills each instance it is asked about for the window's
//! length in minutes (rounded half-even to 6 places), billing item the
//! instance's SKU code, metering id `<instance-id>:<window.start>`. Deriving
//! the value from the window rather than from a counter makes a
//! re-collection of the same window return the same records, and the
//! metering id makes the host charge them once. With the seller config
//! `report-usage = false` it reports nothing (the seller sends usage by API).

mod credentials;
mod record;

use bazaar_sdk::rust_decimal::RoundingStrategy;
use bazaar_sdk::{
    AppInfo, Change, Decimal, InstanceChange, InstanceState, InstanceStatus, Lifecycle,
    MeteredInstance, Metering, PluginError, Provisioned, ReleaseReason, Subscription, UsageRecord,
    UsageWindow, config, kv, log,
};

use crate::record::{InstanceRecord, State};

/// Frontend base URL when the seller configured no `base-url`.
const DEFAULT_BASE_URL: &str = "https://app.example.com";

/// The initial user of every instance.
const USERNAME: &str = "admin";

/// Draws of a fresh instance id before giving up; a collision of 64 random
/// bits means the host's generator is broken, not that we were unlucky.
const MAX_ID_DRAWS: usize = 4;

struct SaasLifecycle;

impl Lifecycle for SaasLifecycle {
    fn create_instance(subscription: Subscription) -> Result<Provisioned, PluginError> {
        log::info(format!(
            "create-instance for order {}",
            subscription.order_id
        ));
        let order_key = order_key(&subscription.order_id);
        if let Some(instance_id) = kv::get_string(&order_key)? {
            log::info(format!("order already provisioned as {instance_id}"));
            // The same instance; its initial password was answered the
            // first time and is not kept, so the answer carries none.
            let record = load(&instance_id)?.ok_or_else(|| {
                PluginError::refused(format!("{order_key} names missing instance {instance_id}"))
            })?;
            return Ok(provisioned(&record, None));
        }
        if subscription.quantity <= Decimal::ZERO {
            return Err(PluginError::invalid_input(
                "subscription.quantity",
                "must be positive",
            ));
        }

        let instance_id = fresh_instance_id()?;
        let base_url = config::get_or("base-url", DEFAULT_BASE_URL);
        let record = InstanceRecord {
            frontend_url: format!("{}/t/{instance_id}", base_url.trim_end_matches('/')),
            instance_id,
            order_id: subscription.order_id,
            state: State::Running,
            expires_at: subscription.expires_at,
            sku: subscription.sku_code,
            quantity: subscription.quantity,
            trial: subscription.trial,
            username: USERNAME.to_owned(),
            frozen_for: None,
            released_for: None,
        };
        let password = credentials::new_password();
        store(&record)?;
        kv::set_string(&order_key, &record.instance_id)?;
        Ok(provisioned(&record, Some(password)))
    }

    fn query_instance(instance_ids: Vec<String>) -> Result<Vec<InstanceStatus>, PluginError> {
        log::info(format!(
            "query-instance for {} instances",
            instance_ids.len()
        ));
        instance_ids
            .into_iter()
            .map(|instance_id| {
                let record = load(&instance_id)?;
                Ok(InstanceStatus {
                    state: match record.as_ref().map(|r| r.state) {
                        Some(State::Running) => InstanceState::Running,
                        Some(State::Frozen) => InstanceState::Frozen,
                        Some(State::Released) => InstanceState::Released,
                        None => InstanceState::Unknown,
                    },
                    expires_at: record.and_then(|r| r.expires_at),
                    instance_id,
                })
            })
            .collect()
    }

    fn update_instance(change: InstanceChange) -> Result<(), PluginError> {
        log::info(format!(
            "update-instance {} for order {}: {:?}",
            change.instance_id, change.order_id, change.change
        ));
        let mut record = load(&change.instance_id)?
            .ok_or_else(|| PluginError::invalid_input("change.instance-id", "no such instance"))?;
        if record.state == State::Released {
            return Err(PluginError::refused(format!(
                "instance {} is released",
                record.instance_id
            )));
        }
        // Every case sets state rather than toggling it, so a repeated change
        // leaves the record as the first one did.
        match change.change {
            Change::Renew(expires_at) => {
                record.expires_at = Some(expires_at);
                thaw_if_frozen_for_expiry(&mut record);
            }
            Change::TrialToFormal(expires_at) => {
                record.trial = false;
                record.expires_at = Some(expires_at);
                thaw_if_frozen_for_expiry(&mut record);
            }
            Change::Upgrade(upgrade) => {
                if upgrade.quantity <= Decimal::ZERO {
                    return Err(PluginError::invalid_input(
                        "change.change.upgrade.quantity",
                        "must be positive",
                    ));
                }
                record.sku = upgrade.sku_code;
                record.quantity = upgrade.quantity;
            }
            Change::Freeze(reason) => {
                record.state = State::Frozen;
                record.frozen_for = Some(reason.as_str().to_owned());
            }
            Change::Unfreeze => {
                record.state = State::Running;
                record.frozen_for = None;
            }
        }
        store(&record)
    }

    fn release_instance(instance_id: String, reason: ReleaseReason) -> Result<(), PluginError> {
        log::info(format!(
            "release-instance {instance_id}: {}",
            reason.as_str()
        ));
        let mut record = load(&instance_id)?
            .ok_or_else(|| PluginError::invalid_input("instance-id", "no such instance"))?;
        if record.state == State::Released {
            return Ok(());
        }
        record.state = State::Released;
        record.frozen_for = None;
        record.released_for = Some(reason.as_str().to_owned());
        store(&record)
    }
}

impl Metering for SaasLifecycle {
    fn collect_usage(
        window: UsageWindow,
        instances: Vec<MeteredInstance>,
    ) -> Result<Vec<UsageRecord>, PluginError> {
        log::info(format!(
            "collect-usage [{}, {}) for {} instances",
            window.start,
            window.end,
            instances.len()
        ));
        if window.duration_ms() == 0 {
            return Err(PluginError::invalid_input(
                "window.end",
                "must be after window.start",
            ));
        }
        // A seller may switch reporting off and send usage by API instead.
        if config::get("report-usage").as_deref() == Some("false") {
            return Ok(Vec::new());
        }
        let minutes = (Decimal::from(window.duration_ms()) / Decimal::from(60_000))
            .round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven);
        Ok(instances
            .into_iter()
            .map(|instance| UsageRecord {
                metering_id: format!("{}:{}", instance.instance_id, window.start),
                instance_id: instance.instance_id,
                billing_item: instance.sku_code.clone(),
                begin: window.start,
                end: window.end,
                value: minutes,
                package: None,
            })
            .collect())
    }
}

bazaar_sdk::register_saas!(SaasLifecycle);

/// A renewal pays for the period whose end froze the instance, so it serves
/// again; other freezes (arrears, violations) need their own unfreeze.
fn thaw_if_frozen_for_expiry(record: &mut InstanceRecord) {
    if record.state == State::Frozen && record.frozen_for.as_deref() == Some("expired") {
        record.state = State::Running;
        record.frozen_for = None;
    }
}

fn fresh_instance_id() -> Result<String, PluginError> {
    for _ in 0..MAX_ID_DRAWS {
        let id = credentials::new_instance_id();
        if kv::get(&instance_key(&id))?.is_none() {
            return Ok(id);
        }
    }
    Err(PluginError::transient(
        "could not draw an unused instance id",
    ))
}

/// What `create-instance` answers; `password` only the first time.
fn provisioned(record: &InstanceRecord, password: Option<String>) -> Provisioned {
    let memo = match &password {
        Some(_) => format!(
            "Instance {} for order {}. Change the password after the first login.",
            record.instance_id, record.order_id
        ),
        None => format!(
            "Instance {} for order {} was provisioned before; its initial password was given then.",
            record.instance_id, record.order_id
        ),
    };
    Provisioned {
        instance_id: record.instance_id.clone(),
        app: AppInfo {
            frontend_url: record.frontend_url.clone(),
            admin_url: None,
            username: record.username.clone(),
            password: password.unwrap_or_default(),
            memo: Some(memo),
        },
    }
}

fn order_key(order_id: &str) -> String {
    format!("order/{order_id}")
}

fn instance_key(instance_id: &str) -> String {
    format!("instance/{instance_id}")
}

fn load(instance_id: &str) -> Result<Option<InstanceRecord>, PluginError> {
    let key = instance_key(instance_id);
    kv::get_string(&key)?
        .map(|text| InstanceRecord::decode(&key, &text))
        .transpose()
}

fn store(record: &InstanceRecord) -> Result<(), PluginError> {
    Ok(kv::set_string(
        &instance_key(&record.instance_id),
        &record.encode(),
    )?)
}
