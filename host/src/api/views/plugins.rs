//! How the API shows plugin versions, debug calls and the regression check
//! of an upload.
//!
//! The runtime's own types (limits, transcripts, verdicts) have no schema of
//! their own — `bazaar-runtime` stays free of the API's derives — so they are
//! declared here as free-form objects.

use super::cases::{CaseSummary, ReplayView};
use super::shown::{CutBytes, Shown};
use crate::app::plugins::DebugCall;
use crate::app::regressions::Regressions;
use crate::runtime::{FunctionInfo, Limits, LogLine, Plugin, World};
use crate::store::SellerPlugin;
use serde::Serialize;
use serde_json::Value;

/// A plugin version as the API (and `bazaar plugin check`) reports it, with
/// the uploader's record when there is one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PluginView {
    /// Hex sha256 of the component: the version's identity.
    pub sha256: String,
    /// `ready` (callable), `compiling` (a big component compiling in the
    /// background: worlds, functions and `wit` are empty until it is ready,
    /// calls get `409`) or `failed` (see `error`).
    pub state: &'static str,
    /// Why a background compilation refused the component.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub error: Option<crate::runtime::LoadError>,
    /// Size of the component in bytes.
    pub size: u64,
    /// The WIT package and version it was checked against.
    pub wit: String,
    /// The worlds it exports.
    #[schema(value_type = Vec<String>)]
    pub worlds: Vec<World>,
    /// The functions it exports.
    pub functions: Vec<FunctionView>,
    /// What it imports.
    pub imports: Vec<String>,
    /// Milliseconds spent compiling or loading it.
    pub load_ms: f64,
    /// Whether it came from the precompiled cache.
    pub from_cache: bool,
    /// Which compiler's code its calls run: `optimized` (Cranelift) or,
    /// for a big component in its first seconds, `baseline` (Winch: ready
    /// sooner, calls slower) until the optimized code replaces it. Absent
    /// while compiling or once refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiler: Option<&'static str>,
    /// The budgets every call of it gets.
    #[schema(value_type = Object)]
    pub limits: Limits,
    /// The uploader's name for it (absent for preloaded examples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its version number under that name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The uploader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// Upload time (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<i64>,
    /// Only on a new upload: the previous version's cases replayed (null
    /// for a first version).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<RegressionsView>)]
    pub cases: Option<Option<RegressionsView>>,
}

/// One exported function.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FunctionView {
    /// The world (interface) it belongs to.
    #[schema(value_type = String)]
    pub world: World,
    /// Its WIT name.
    pub name: String,
    /// Its parameter names, in order: the keys of a call's JSON input.
    pub params: Vec<String>,
}

impl From<FunctionInfo> for FunctionView {
    fn from(f: FunctionInfo) -> Self {
        FunctionView {
            world: f.world,
            name: f.name,
            params: f.params,
        }
    }
}

/// A plugin version as `bazaar plugin check` reports it (no owner).
pub fn plugin_report(p: &Plugin, limits: &Limits) -> PluginView {
    PluginView {
        sha256: p.sha256.clone(),
        state: "ready",
        error: None,
        size: p.size,
        wit: format!("{}@{}", crate::runtime::WIT_PACKAGE, p.wit_version),
        worlds: p.worlds.clone(),
        functions: p.functions().into_iter().map(FunctionView::from).collect(),
        imports: p.imports.clone(),
        load_ms: p.load_ms,
        from_cache: p.from_cache,
        compiler: Some(if p.optimized { "optimized" } else { "baseline" }),
        limits: limits.clone(),
        name: None,
        version: None,
        seller_id: None,
        uploaded_at: None,
        cases: None,
    }
}

/// A plugin version with the uploader's record, when there is one.
pub fn owned_report(p: &Plugin, owned: Option<&SellerPlugin>, limits: &Limits) -> PluginView {
    let mut v = plugin_report(p, limits);
    if let Some(owned) = owned {
        v.name = Some(owned.name.clone());
        v.version = Some(owned.version);
        v.seller_id = Some(owned.seller_id.clone());
        v.uploaded_at = Some(owned.created_at);
    }
    v
}

/// A version still compiling in the background, or refused once compiled.
pub fn pending_report(
    sha256: &str,
    size: u64,
    owned: Option<&SellerPlugin>,
    error: Option<crate::runtime::LoadError>,
    limits: &Limits,
) -> PluginView {
    PluginView {
        sha256: sha256.to_string(),
        state: if error.is_some() {
            "failed"
        } else {
            "compiling"
        },
        error,
        size,
        wit: String::new(),
        worlds: Vec::new(),
        functions: Vec::new(),
        imports: Vec::new(),
        load_ms: 0.0,
        from_cache: false,
        compiler: None,
        limits: limits.clone(),
        name: owned.map(|o| o.name.clone()),
        version: owned.map(|o| o.version),
        seller_id: owned.map(|o| o.seller_id.clone()),
        uploaded_at: owned.map(|o| o.created_at),
        cases: None,
    }
}

/// `GET /v1/plugins`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginList {
    /// The versions the caller may see.
    pub plugins: Vec<PluginView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// The version an upload was checked against.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviousVersion {
    /// Its number.
    pub version: i64,
    /// Its sha256.
    pub sha256: String,
}

/// The regression check of an upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegressionsView {
    /// The version before the new one.
    pub previous: PreviousVersion,
    /// How many of its cases were replayed.
    pub replayed: usize,
    /// How many passed.
    pub passed: usize,
    /// The passing cases, saved for the new version.
    pub carried: Vec<CaseSummary>,
    /// The failing cases and how they failed.
    pub regressions: Vec<ReplayView>,
}

impl From<&Regressions> for RegressionsView {
    fn from(r: &Regressions) -> Self {
        RegressionsView {
            previous: PreviousVersion {
                version: r.previous.version,
                sha256: r.previous.sha256.clone(),
            },
            replayed: r.replayed,
            passed: r.passed,
            carried: r.carried.iter().map(CaseSummary::from).collect(),
            regressions: r
                .regressions
                .iter()
                .map(|(row, run)| ReplayView::new(row, run))
                .collect(),
        }
    }
}

/// A debug call's outcome (`POST /v1/plugins/{sha256}/calls`). Logs,
/// transcript and key-value writes are shown up to a cap each
/// ([`SHOWN_BYTES`](super::shown::SHOWN_BYTES)); `cut-bytes` counts what was
/// left out, and a case saved from the call keeps all of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DebugCallView {
    /// The function's result as JSON (`{"ok": ...}`/`{"err": ...}` for results).
    pub output: Value,
    /// Log lines, including what the plugin printed.
    #[schema(value_type = Vec<Object>)]
    pub logs: Vec<LogLine>,
    /// Log lines dropped past the limit.
    pub dropped_logs: u32,
    /// Every host call and its answer, in order.
    #[schema(value_type = Vec<Object>)]
    pub transcript: Vec<Value>,
    /// The key-value writes it would commit (a debug call commits none).
    #[schema(value_type = Vec<Object>)]
    pub kv_writes: Vec<Value>,
    /// The bytes of each stream this answer left out.
    pub cut_bytes: CutBytes,
    /// Fuel burned, instantiation included.
    pub fuel_used: u64,
    /// Wall-clock time in microseconds.
    pub duration_us: u64,
    /// The logical time it ran at.
    pub now_ms: i64,
    /// Its seed.
    pub seed: u64,
    /// The case it was saved as, when `save` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseSummary>,
}

impl From<DebugCall> for DebugCallView {
    fn from(d: DebugCall) -> Self {
        let shown = Shown::outcome(&d.outcome);
        let o = d.outcome;
        DebugCallView {
            output: o.output,
            logs: shown.logs,
            dropped_logs: o.dropped_logs,
            transcript: shown.transcript,
            kv_writes: shown.kv_writes,
            cut_bytes: shown.cut,
            fuel_used: o.fuel_used,
            duration_us: o.duration_us,
            now_ms: d.now_ms,
            seed: d.seed,
            case: d.case.as_ref().map(CaseSummary::from),
        }
    }
}
