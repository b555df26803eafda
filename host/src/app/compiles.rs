//! Big components compile in the background (issue 17 §4): an 18 MB
//! componentize-py plugin takes tens of seconds to compile, far longer than
//! an upload should hold its connection. An upload of at least
//! [`BACKGROUND_BYTES`] is stored and numbered at once and answered
//! `compiling`; its version becomes `ready` (callable, its previous
//! version's cases replayed) or `failed` (with the loader's reason) when the
//! compiler is done. Calls before then get a `409` saying to wait. Ready
//! comes from the baseline compiler (Winch) in a few seconds; the optimized
//! code replaces it when Cranelift is done (`runtime/src/baseline.rs`).

use super::App;
use super::regressions::{Regressions, check_new_version};
use crate::runtime::{LoadError, Plugin};
use crate::store::SellerPlugin;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Components at least this large compile in the background.
pub const BACKGROUND_BYTES: usize = 4 << 20;

/// A background compilation.
#[derive(Clone)]
pub enum Compile {
    /// Still compiling, since (ms).
    Compiling {
        /// When the upload was accepted (ms).
        since_ms: i64,
        /// The component's size in bytes.
        size: u64,
    },
    /// Ready: the regression check of the version it was uploaded as.
    Ready {
        /// As [`super::plugins::Uploaded::cases`].
        cases: Arc<Option<Option<Regressions>>>,
    },
    /// The component was refused once compiled.
    Failed {
        /// Why.
        error: LoadError,
        /// The component's size in bytes.
        size: u64,
    },
}

/// The background compilations of this process, by sha256. Memory only: at
/// a restart every stored version is loaded again before the service serves.
#[derive(Default)]
pub struct Compiles(Mutex<HashMap<String, Compile>>);

impl Compiles {
    /// The compilation of `sha256`, if one ran here.
    pub fn get(&self, sha256: &str) -> Option<Compile> {
        self.0.lock().ok()?.get(sha256).cloned()
    }

    fn set(&self, sha256: &str, state: Compile) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(sha256.to_string(), state);
        }
    }

    /// Marks `sha256` compiling; false when it already is (a second upload
    /// of the same bytes waits for the first compilation).
    pub fn start(&self, sha256: &str, size: u64, now_ms: i64) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return false;
        };
        if matches!(map.get(sha256), Some(Compile::Compiling { .. })) {
            return false;
        }
        map.insert(
            sha256.to_string(),
            Compile::Compiling {
                since_ms: now_ms,
                size,
            },
        );
        true
    }
}

/// Compiles `bytes` (stored as version `owned`) on blocking threads: first
/// with the baseline compiler, so the version is callable within seconds,
/// then optimized, which replaces the baseline code when done (no baseline
/// when the optimized artifact is already in the precompiled cache). Once
/// callable, replays the previous version's cases if it is a new version
/// after the first; records the outcome in `app.compiles`.
pub fn spawn(app: &App, bytes: bytes::Bytes, owned: SellerPlugin, new: bool) {
    let app = app.clone();
    tokio::spawn(async move {
        let sha = owned.sha256.clone();
        let size = bytes.len() as u64;
        let mut ready = false;
        if !app.runtime.has_artifact(&sha) {
            let (rt, b) = (app.runtime.clone(), bytes.clone());
            match tokio::task::spawn_blocking(move || rt.load_baseline(&b)).await {
                Ok(Ok(plugin)) => {
                    tracing::info!(sha256 = %sha, load_ms = plugin.load_ms, "component callable on baseline code");
                    now_ready(&app, &owned, new, &plugin).await;
                    ready = true;
                }
                // The optimizing compiler has the last word on whether the
                // component is acceptable.
                Ok(Err(error)) => {
                    tracing::info!(sha256 = %sha, %error, "no baseline code; waiting for the optimized compile")
                }
                Err(e) => {
                    tracing::warn!(sha256 = %sha, error = %e, "the baseline compiler stopped")
                }
            }
        }
        let rt = app.runtime.clone();
        let loaded = tokio::task::spawn_blocking(move || rt.load(&bytes)).await;
        let error = match loaded {
            Ok(Ok(plugin)) => {
                tracing::info!(sha256 = %sha, load_ms = plugin.load_ms, "component compiled in the background");
                if !ready {
                    now_ready(&app, &owned, new, &plugin).await;
                }
                return;
            }
            Ok(Err(error)) => error,
            Err(e) => LoadError::Invalid {
                reason: format!("the compiler stopped: {e}"),
            },
        };
        if ready {
            // Its baseline code keeps serving (`compiler: baseline`) until
            // a restart, which loads only what the optimizing compiler takes.
            tracing::error!(sha256 = %sha, %error, "the optimizing compiler refused a component the baseline compiler took");
        } else {
            tracing::warn!(sha256 = %sha, %error, "a component compiled in the background was refused");
            app.compiles.set(&sha, Compile::Failed { error, size });
        }
    });
}

/// Marks the version callable, with the regression check of a new version
/// after the first run against `plugin`.
async fn now_ready(app: &App, owned: &SellerPlugin, new: bool, plugin: &Arc<Plugin>) {
    let cases = if new && owned.version > 1 {
        match check_new_version(app, &owned.seller_id, owned, plugin).await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(sha256 = %owned.sha256, error = %e, "the regression check of a new version failed");
                None
            }
        }
    } else {
        None
    };
    app.compiles.set(
        &owned.sha256,
        Compile::Ready {
            cases: Arc::new(cases),
        },
    );
}
