//! Release applications: a seller submits a product's draft (refused until
//! the cases its plugins need are saved), the review runs at once, and an
//! operator approves (the draft becomes the live version orders use, unless
//! the review found a blocker or a failing case), rejects with a reason or
//! re-runs the review; the seller may withdraw.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::app::access::own_product;
use crate::app::catalog::checked_draft;
use crate::ids::new_id;
use crate::store::{ApplicationRow, Role};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/products/{id}/release-applications", post(submit))
        .route("/release-applications", get(applications))
        .route("/release-applications/{id}", get(application))
        .route("/release-applications/{id}/approve", post(approve))
        .route("/release-applications/{id}/reject", post(reject))
        .route("/release-applications/{id}/withdraw", post(withdraw))
        .route("/release-applications/{id}/review", post(rereview))
}

fn application_json(a: &ApplicationRow) -> Value {
    json!({
        "id": a.id,
        "product-id": a.product_id,
        "seller-id": a.seller_id,
        "version": a.version,
        "snapshot": serde_json::from_str::<Value>(&a.snapshot).unwrap_or(Value::Null),
        "state": a.state,
        "reason": a.reason,
        "submitted-at": a.submitted_at,
        "decided-at": a.decided_at,
        "decided-by": a.decided_by,
    })
}

async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let p = own_product(&state, &actor, &id).await?;
    if p.status.is_removed() {
        return Err(ApiError::Conflict(
            "a removed product cannot be released again".into(),
        ));
    }
    // Re-check: a plugin the draft names may have been replaced meanwhile.
    let draft = checked_draft(&state, actor.id(), serde_json::from_str(&p.draft)?).await?;
    // Seeds §3.5: every interface the product uses is debugged and saved
    // as a case before release.
    let missing = super::review::missing_cases(&state, actor.id(), &draft).await?;
    if !missing.is_empty() {
        return Err(ApiError::Invalid {
            message: format!(
                "{} required case(s) missing: record them as debug calls with \"save\": true",
                missing.len()
            ),
            errors: missing,
        });
    }
    let now = state.clock.now_ms();
    let app = ApplicationRow {
        id: new_id("app"),
        product_id: p.id.clone(),
        seller_id: p.seller_id.clone(),
        version: p.live_version + 1,
        snapshot: serde_json::to_string(&draft)?,
        state: "pending".into(),
        reason: None,
        submitted_at: now,
        decided_at: None,
        decided_by: None,
    };
    state.store.insert_application(&app).await?;
    let review = super::review::run(&state, &app).await?;
    let mut v = application_json(&app);
    v["review"] = super::review::review_json(&review);
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ApplicationQuery {
    state: Option<String>,
}

async fn applications(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator, Role::Seller])?;
    let seller = (actor.role() == Role::Seller).then(|| actor.id());
    let rows = state.store.applications(seller, q.state.as_deref()).await?;
    let mut applications = Vec::with_capacity(rows.len());
    for row in &rows {
        applications.push(reviewed_json(&state, row).await?);
    }
    Ok(Json(json!({ "applications": applications })))
}

async fn visible_application(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<ApplicationRow, ApiError> {
    actor.require(&[Role::Operator, Role::Seller])?;
    state
        .store
        .application(id)
        .await?
        .filter(|a| actor.may_see(&a.seller_id))
        .ok_or_else(|| ApiError::NotFound(format!("no release application {id}")))
}

/// An application with its review, if it was reviewed.
async fn reviewed_json(state: &AppState, app: &ApplicationRow) -> Result<Value, ApiError> {
    let mut v = application_json(app);
    v["review"] = match state.store.review(&app.id).await? {
        Some(r) => super::review::review_json(&r),
        None => Value::Null,
    };
    Ok(v)
}

async fn application(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let app = visible_application(&state, &actor, &id).await?;
    Ok(Json(reviewed_json(&state, &app).await?))
}

/// Runs the review again, e.g. after the operator changed the review rules.
async fn rereview(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let app = visible_application(&state, &actor, &id).await?;
    if app.state != "pending" {
        return Err(ApiError::Conflict(format!(
            "application {id} is already {}",
            app.state
        )));
    }
    super::review::run(&state, &app).await?;
    Ok(Json(reviewed_json(&state, &app).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    reason: Option<String>,
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &[u8],
    approve: bool,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let req: Decision = if body.is_empty() {
        Decision { reason: None }
    } else {
        super::extract::parse(body)?
    };
    let reason = req
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(ApiError::bad(
            "reason",
            "a rejection needs a reason the seller can act on",
        ));
    }
    let app = visible_application(state, actor, id).await?;
    if app.state != "pending" {
        return Err(ApiError::Conflict(format!(
            "application {id} is already {}",
            app.state
        )));
    }
    if approve {
        let review = match state.store.review(id).await? {
            Some(r) => r,
            None => super::review::run(state, &app).await?,
        };
        if let Some(why) = super::review::refusal(&review) {
            return Err(ApiError::Conflict(why));
        }
    }
    let now = state.clock.now_ms();
    if !state
        .store
        .decide_application(id, approve, reason.as_deref(), actor.id(), now)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "application {id} was decided meanwhile"
        )));
    }
    let app = visible_application(state, actor, id).await?;
    Ok(Json(reviewed_json(state, &app).await?))
}

async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &actor, &id, &body, true).await
}

async fn reject(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &actor, &id, &body, false).await
}

async fn withdraw(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller])?;
    let app = visible_application(&state, &actor, &id).await?;
    if !state
        .store
        .withdraw_application(&app.id, state.clock.now_ms())
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "application {id} is already {}",
            app.state
        )));
    }
    Ok(Json(application_json(
        &visible_application(&state, &actor, &id).await?,
    )))
}
