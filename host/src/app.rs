//! The marketplace's use cases, one module each, with no HTTP in them: the
//! API's handlers and the lifecycle worker both call these. A use case takes
//! the [`App`] (what it may touch), the [`Caller`] and a typed command, and
//! answers domain values or store rows, or one [`AppError`].
//!
//! `metering.rs` was the first module written this way; the rest follow it.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod billing;
pub mod cases;
pub mod catalog;
pub mod compiles;
pub mod decisions;
mod error;
pub mod listing_assets;
pub mod operations;
pub mod ordering;
pub mod pages;
pub mod plugin_pool;
pub mod plugins;
pub mod product_config;
pub mod quotes;
pub mod regressions;
pub mod releases;
pub mod review;
pub mod rules;
pub mod service_flow;
pub mod settlement;
pub mod taxes;
pub mod tokens;
pub mod usage;

pub use error::AppError;

use crate::clock::Clock;
use crate::runtime::Runtime;
use crate::secrets::SecretBox;
use crate::store::{Account, Role, Store};
use std::sync::Arc;
use tokio::sync::Notify;

/// What a use case may touch: the store, the plugin runtime and the threads
/// its calls run on, the clock, the key for secrets at rest, and the
/// worker's wake-up bell.
#[derive(Clone)]
pub struct App {
    /// Plugins and their calls.
    pub runtime: Arc<Runtime>,
    /// The threads plugin calls run on, shared out per seller.
    pub plugins: Arc<plugin_pool::PluginPool>,
    /// The marketplace's data.
    pub store: Store,
    /// Real or simulated time.
    pub clock: Clock,
    /// Credentials and plugin state at rest.
    pub secrets: SecretBox,
    /// Rung when a use case queues a job for the lifecycle worker.
    pub wake: Arc<Notify>,
    /// Usage records ending longer ago than this are refused as late.
    pub usage_late_window_ms: i64,
    /// The queue to the audit log's writer.
    pub audit: audit::AuditLog,
    /// Big components compiling in the background.
    pub compiles: Arc<compiles::Compiles>,
}

/// Who asks: an authenticated account.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account id.
    pub id: String,
    /// Its role.
    pub role: Role,
    /// Its display name (sent to lifecycle plugins as the customer's name).
    pub name: String,
}

impl From<Account> for Caller {
    fn from(a: Account) -> Self {
        Caller {
            id: a.id,
            role: a.role,
            name: a.name,
        }
    }
}

impl Caller {
    /// The account id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Fails with `Forbidden` unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::Forbidden(format!(
                "this route is for {}; you are a {}",
                names.join(" or "),
                self.role.as_str()
            )))
        }
    }

    /// Whether the caller may see something owned by `owner_id`: its owner
    /// and operators.
    pub fn may_see(&self, owner_id: &str) -> bool {
        self.role == Role::Operator || self.id == owner_id
    }
}
