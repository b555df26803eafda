//! How the API shows release applications, their reviews and the review
//! and pricing rules.

use crate::app::review::{self, Report};
use crate::app::{App, product_config};
use crate::domain::releases::ApplicationState;
use crate::store::{ApplicationRow, ReviewRow, Role, RuleActivation};
use serde::Serialize;
use serde_json::Value;

/// A release application as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ApplicationView {
    /// Its id.
    pub id: String,
    /// The product.
    pub product_id: String,
    /// The product's seller.
    pub seller_id: String,
    /// The version it would become.
    pub version: i64,
    /// The draft as submitted (null if it cannot be read).
    #[schema(value_type = Option<crate::domain::catalog::ProductDraft>)]
    pub snapshot: Value,
    /// Where it stands.
    pub state: ApplicationState,
    /// The operator's reason.
    pub reason: Option<String>,
    /// Submission time (ms).
    pub submitted_at: i64,
    /// Decision time (ms).
    pub decided_at: Option<i64>,
    /// The deciding operator.
    pub decided_by: Option<String>,
}

impl ApplicationView {
    /// `a`, its snapshot's secret configuration masked (only its seller and
    /// operators see applications).
    pub fn new(app: &App, a: &ApplicationRow) -> Self {
        ApplicationView {
            id: a.id.clone(),
            product_id: a.product_id.clone(),
            seller_id: a.seller_id.clone(),
            version: a.version,
            snapshot: product_config::shown(app, &a.product_id, &a.snapshot, Role::Seller),
            state: a.state,
            reason: a.reason.clone(),
            submitted_at: a.submitted_at,
            decided_at: a.decided_at,
            decided_by: a.decided_by.clone(),
        }
    }
}

/// A review as the API shows it: the stored report and its counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewView {
    /// Findings, case results and the rules that ran.
    #[serde(flatten)]
    pub report: Report,
    /// Findings of severity `blocker`.
    pub blockers: i64,
    /// Cases that did not pass.
    pub failing_cases: i64,
    /// When (ms).
    pub reviewed_at: i64,
}

impl From<&ReviewRow> for ReviewView {
    fn from(row: &ReviewRow) -> Self {
        ReviewView {
            report: review::report(row),
            blockers: row.blockers,
            failing_cases: row.failing_cases,
            reviewed_at: row.reviewed_at,
        }
    }
}

/// An application with its review.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewedApplication {
    /// The application.
    #[serde(flatten)]
    pub application: ApplicationView,
    /// Its latest review; null when it was not reviewed.
    pub review: Option<ReviewView>,
}

impl ReviewedApplication {
    /// `a` with `review`.
    pub fn new(app: &App, a: &ApplicationRow, review: Option<&ReviewRow>) -> Self {
        ReviewedApplication {
            application: ApplicationView::new(app, a),
            review: review.map(ReviewView::from),
        }
    }
}

/// `GET /v1/release-applications`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationList {
    /// Newest submitted first.
    pub applications: Vec<ReviewedApplication>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// One activation of a rule (with no plugin: a deactivation).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RuleView {
    /// `review` or `pricing`.
    pub kind: String,
    /// The rule's name.
    pub name: String,
    /// The plugin version; null when deactivated.
    pub plugin: Option<String>,
    /// When (ms).
    pub activated_at: i64,
}

/// A rule activation as the history lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RuleActivationView {
    /// Order of activations.
    pub id: i64,
    /// What was activated.
    #[serde(flatten)]
    pub rule: RuleView,
    /// The operator.
    pub activated_by: String,
}

impl From<&RuleActivation> for RuleActivationView {
    fn from(r: &RuleActivation) -> Self {
        RuleActivationView {
            id: r.id,
            rule: RuleView {
                kind: r.kind.clone(),
                name: r.name.clone(),
                plugin: r.plugin.clone(),
                activated_at: r.activated_at,
            },
            activated_by: r.activated_by.clone(),
        }
    }
}

/// `GET /v1/rules`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleList {
    /// The active rules.
    pub active: Vec<RuleActivationView>,
    /// Every activation, oldest first.
    pub history: Vec<RuleActivationView>,
}

impl RuleList {
    /// The lists of `active` and `history`.
    pub fn new(active: &[RuleActivation], history: &[RuleActivation]) -> Self {
        let views = |rows: &[RuleActivation]| rows.iter().map(RuleActivationView::from).collect();
        RuleList {
            active: views(active),
            history: views(history),
        }
    }
}
