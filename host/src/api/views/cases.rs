//! How the API shows saved cases and their replays.

use crate::app::cases::Imported;
use crate::cases::{Case, CaseRun, Verdict};
use crate::runtime::HostCall;
use crate::store::CaseRow;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A case without its bulky parts (input, transcript, output).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CaseSummary {
    /// Its id.
    pub id: String,
    /// The seller's label.
    pub name: Option<String>,
    /// sha256 of the plugin version it was recorded with.
    pub plugin: String,
    /// The world called.
    pub world: String,
    /// The function called.
    pub function: String,
    /// `create`, `renew`...
    pub scenario: String,
    /// Whether the recorded output is a success.
    pub succeeded: bool,
    /// The case it was carried over from, for a new plugin version.
    pub origin: Option<String>,
    /// When it was saved (ms).
    pub created_at: i64,
}

impl From<&CaseRow> for CaseSummary {
    fn from(row: &CaseRow) -> Self {
        CaseSummary {
            id: row.id.clone(),
            name: row.name.clone(),
            plugin: row.plugin.clone(),
            world: row.world.clone(),
            function: row.function.clone(),
            scenario: row.scenario.clone(),
            succeeded: row.succeeded,
            origin: row.origin.clone(),
            created_at: row.created_at,
        }
    }
}

/// `GET /v1/cases`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    /// The cases the caller may see, oldest first.
    pub cases: Vec<CaseSummary>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

impl CaseList {
    /// The page of `rows`, with the page's `next`.
    pub fn new(rows: &[CaseRow], next: Option<String>) -> Self {
        CaseList {
            cases: rows.iter().map(CaseSummary::from).collect(),
            next,
        }
    }
}

/// A case with what it recorded (`GET /v1/cases/{id}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CaseDetail {
    /// Its summary.
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// The input, an object keyed by parameter name.
    #[schema(value_type = Object)]
    pub input: Value,
    /// The call's logical time.
    pub now_ms: i64,
    /// The call's seed.
    pub seed: u64,
    /// The configuration the call was given.
    pub config: BTreeMap<String, String>,
    /// Every host call and its answer, in order.
    #[schema(value_type = Vec<Object>)]
    pub transcript: Vec<HostCall>,
    /// The output the call returned.
    pub expected: Value,
}

impl CaseDetail {
    /// `row` with its document `case`.
    pub fn new(row: &CaseRow, case: Case) -> Self {
        CaseDetail {
            summary: row.into(),
            input: case.input,
            now_ms: case.now_ms,
            seed: case.seed,
            config: case.config,
            transcript: case.transcript,
            expected: case.expected,
        }
    }
}

/// `DELETE /v1/cases/{id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDeleted {
    /// The id of the case deleted.
    pub deleted: String,
}

/// `POST /v1/cases/import`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasesImported {
    /// Cases saved anew.
    pub imported: usize,
    /// Cases that were already saved.
    pub existing: usize,
    /// Every case of the file, as saved.
    pub cases: Vec<CaseSummary>,
}

impl From<&Imported> for CasesImported {
    fn from(out: &Imported) -> Self {
        CasesImported {
            imported: out.imported,
            existing: out.existing,
            cases: out.cases.iter().map(CaseSummary::from).collect(),
        }
    }
}

/// One replay of a saved case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReplayView {
    /// The case replayed.
    pub case: String,
    /// Its scenario.
    pub scenario: String,
    /// The plugin version replayed against.
    pub plugin: String,
    /// `pass` or `fail`.
    pub result: String,
    /// What differed, when it failed (`kind`: `host-call`, `output` or
    /// `call-failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub diff: Option<Verdict>,
    /// Fuel the replay burned.
    pub fuel_used: u64,
}

impl ReplayView {
    /// The replay `run` of the case `row`.
    pub fn new(row: &CaseRow, run: &CaseRun) -> Self {
        ReplayView {
            case: row.id.clone(),
            scenario: row.scenario.clone(),
            plugin: run.plugin.clone(),
            result: run.result.to_string(),
            diff: run.diff.clone(),
            fuel_used: run.fuel_used,
        }
    }
}
