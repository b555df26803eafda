//! Release applications: a seller submits a product's draft (refused until
//! the cases its plugins need are saved), the review runs at once, and an
//! operator approves (the draft becomes the live version orders use, unless
//! the review found a blocker or a failing case), rejects with a reason or
//! re-runs the review; the seller may withdraw.

use super::access::{own_product, visible_application};
use super::catalog::checked_draft;
use super::{App, AppError, Caller, review};
use crate::domain::catalog::{FieldError, ProductDraft};
use crate::domain::release_cases;
use crate::domain::releases::ApplicationState;
use crate::ids::new_id;
use crate::store::{ApplicationRow, Page, PageRequest, ReviewRow, Role};
use serde::Deserialize;

/// An application with its review, if it was reviewed.
pub type Reviewed = (ApplicationRow, Option<ReviewRow>);

/// The required cases `draft` lacks among `seller`'s successful cases.
async fn missing_cases(
    app: &App,
    seller: &str,
    draft: &ProductDraft,
) -> Result<Vec<FieldError>, AppError> {
    let required = release_cases::required(draft);
    let mut saved = Vec::new();
    for plugin in release_cases::plugins(draft) {
        for row in app.store.cases(Some(seller), Some(&plugin)).await? {
            if row.succeeded {
                saved.push((row.plugin, row.scenario));
            }
        }
    }
    Ok(release_cases::missing(&required, &saved))
}

/// The seller submits the draft of product `id`; the review runs at once.
pub async fn submit(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(ApplicationRow, ReviewRow), AppError> {
    let p = own_product(app, caller, id).await?;
    if p.status.is_removed() {
        return Err(AppError::Conflict(
            "a removed product cannot be released again".into(),
        ));
    }
    // Re-check: a plugin the draft names may have been replaced meanwhile.
    let stored: ProductDraft = serde_json::from_str(&p.draft)?;
    checked_draft(
        app,
        &caller.id,
        super::product_config::opened(app, &p.id, stored.clone()),
    )
    .await?;
    // The snapshot keeps the config sealed, as it was stored.
    let draft = stored;
    // Seeds §3.5: every interface the product uses is debugged and saved
    // as a case before release.
    let missing = missing_cases(app, &caller.id, &draft).await?;
    if !missing.is_empty() {
        return Err(AppError::Invalid {
            message: format!(
                "{} required case(s) missing: record them as debug calls with \"save\": true",
                missing.len()
            ),
            errors: missing,
        });
    }
    let now = app.clock.now_ms();
    let application = ApplicationRow {
        id: new_id("app"),
        product_id: p.id.clone(),
        seller_id: p.seller_id.clone(),
        version: p.live_version + 1,
        snapshot: serde_json::to_string(&draft)?,
        state: ApplicationState::Pending,
        reason: None,
        submitted_at: now,
        decided_at: None,
        decided_by: None,
    };
    app.store.insert_application(&application).await?;
    let review = review::run(app, &application).await?;
    Ok((application, review))
}

/// A seller's applications, or all for operators, optionally in one
/// `state` (one that does not exist matches none), newest first.
pub async fn list(
    app: &App,
    caller: &Caller,
    state: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Reviewed>, AppError> {
    caller.require(&[Role::Operator, Role::Seller])?;
    let state = match state.map(ApplicationState::parse) {
        Some(None) => return Ok(Page::empty()),
        other => other.flatten(),
    };
    let seller = (caller.role == Role::Seller).then_some(caller.id.as_str());
    let page = app.store.applications(seller, state, page).await?;
    let mut rows = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        let review = app.store.review(&row.id).await?;
        rows.push((row, review));
    }
    Ok(Page {
        rows,
        next: page.next,
    })
}

/// One application the caller may see, with its review.
pub async fn show(app: &App, caller: &Caller, id: &str) -> Result<Reviewed, AppError> {
    let a = visible_application(app, caller, id).await?;
    let review = app.store.review(&a.id).await?;
    Ok((a, review))
}

fn ensure_pending(a: &ApplicationRow) -> Result<(), AppError> {
    if a.state.is_pending() {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "application {} is already {}",
            a.id, a.state
        )))
    }
}

/// An operator runs the review again, e.g. after changing the review rules.
pub async fn rereview(app: &App, caller: &Caller, id: &str) -> Result<Reviewed, AppError> {
    caller.require(&[Role::Operator])?;
    let a = visible_application(app, caller, id).await?;
    ensure_pending(&a)?;
    review::run(app, &a).await?;
    show(app, caller, id).await
}

/// `POST /v1/release-applications/{id}/approve` and `/reject`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Decision {
    /// Why; required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// An operator approves (`approve`) or rejects a pending application.
/// Approval needs a review without blockers or failing cases; rejection
/// needs a reason.
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: &str,
    req: Decision,
    approve: bool,
) -> Result<Reviewed, AppError> {
    caller.require(&[Role::Operator])?;
    let reason = req
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(AppError::bad(
            "reason",
            "a rejection needs a reason the seller can act on",
        ));
    }
    let a = visible_application(app, caller, id).await?;
    ensure_pending(&a)?;
    if approve {
        let review = match app.store.review(id).await? {
            Some(r) => r,
            None => review::run(app, &a).await?,
        };
        if let Some(why) = review::refusal(&review) {
            return Err(AppError::Conflict(why));
        }
    }
    let now = app.clock.now_ms();
    if !app
        .store
        .decide_application(id, approve, reason.as_deref(), &caller.id, now)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "application {id} was decided meanwhile"
        )));
    }
    show(app, caller, id).await
}

/// The seller withdraws a pending application.
pub async fn withdraw(app: &App, caller: &Caller, id: &str) -> Result<ApplicationRow, AppError> {
    caller.require(&[Role::Seller])?;
    let a = visible_application(app, caller, id).await?;
    if !app
        .store
        .withdraw_application(&a.id, app.clock.now_ms())
        .await?
    {
        return Err(AppError::Conflict(format!(
            "application {id} is already {}",
            a.state
        )));
    }
    visible_application(app, caller, id).await
}
