//! `legacy-lifecycle`: a test fixture built against the frozen
//! `bazaar:plugin@0.1.0` (`wit/v0.1.0/plugin.wit`), as a seller's plugin
//! uploaded before 0.2.0 was published would be. The host must keep loading
//! and running it unchanged next to 0.2.0 plugins: its typed lifecycle calls
//! and its `host`, `kv` and `config` imports go through the host's 0.1.0
//! forwarding.
//!
//! Built with wit-bindgen directly: `bazaar-sdk` speaks the current version.

/// Bindings for `bazaar:plugin/lifecycle-plugin@0.1.0`.
mod bindings {
    // The generated glue lifts and lowers values through raw pointers.
    #![allow(unsafe_code, missing_docs)]
    wit_bindgen::generate!({
        world: "lifecycle-plugin",
        path: "../../wit/v0.1.0",
    });
}

use bindings::bazaar::plugin::types::PluginError;
use bindings::bazaar::plugin::{config, host, kv};
use bindings::exports::bazaar::plugin::lifecycle::{
    AppInfo, Guest, InstanceChange, InstanceState, InstanceStatus, Provisioned, ReleaseReason,
    Subscription,
};

struct LegacyLifecycle;

fn key(instance_id: &str) -> String {
    format!("instance:{instance_id}")
}

fn kv_failed(e: kv::KvError) -> PluginError {
    PluginError::Transient(format!("kv: {e:?}"))
}

impl Guest for LegacyLifecycle {
    fn create_instance(subscription: Subscription) -> Result<Provisioned, PluginError> {
        // The same order always gets the same instance.
        let instance_id = format!("legacy-{}", subscription.order_id);
        let at = host::now();
        kv::set(&key(&instance_id), at.to_string().as_bytes()).map_err(kv_failed)?;
        let base = config::get("frontend-url").unwrap_or_else(|| "https://legacy.example".into());
        host::log(
            host::LogLevel::Info,
            &format!("0.1.0 plugin provisioned {instance_id} at {at}"),
        );
        Ok(Provisioned {
            app: AppInfo {
                frontend_url: format!("{base}/{instance_id}"),
                admin_url: None,
                username: subscription.customer_id,
                password: format!("{:016x}", host::random_u64()),
                memo: Some("provisioned by a bazaar:plugin@0.1.0 component".into()),
            },
            instance_id,
        })
    }

    fn query_instance(instance_ids: Vec<String>) -> Result<Vec<InstanceStatus>, PluginError> {
        instance_ids
            .into_iter()
            .map(|id| {
                let known = kv::get(&key(&id)).map_err(kv_failed)?.is_some();
                Ok(InstanceStatus {
                    state: if known {
                        InstanceState::Running
                    } else {
                        InstanceState::Unknown
                    },
                    instance_id: id,
                    expires_at: None,
                })
            })
            .collect()
    }

    fn update_instance(_change: InstanceChange) -> Result<(), PluginError> {
        Ok(())
    }

    fn release_instance(instance_id: String, _reason: ReleaseReason) -> Result<(), PluginError> {
        kv::delete(&key(&instance_id)).map_err(kv_failed)?;
        Ok(())
    }
}

// The expansion defines the component's exports with `unsafe` attributes.
#[allow(unsafe_code)]
const _: () = {
    bindings::export!(LegacyLifecycle with_types_in bindings);
};
