//! Release application routes: submit, list, show, approve, reject,
//! withdraw and re-review (the use cases are in `app::releases`).

use super::auth::Actor;
use super::extract::Query;
use super::pages;
use super::views::releases::{ApplicationList, ApplicationView, ReviewedApplication};
use super::{ApiError, AppState};
use crate::app::releases::{self, Decision};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit))
        .routes(routes!(applications))
        .routes(routes!(application))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(withdraw))
        .routes(routes!(rereview))
}

#[utoipa::path(post, path = "/products/{id}/release-applications", tag = "releases",
    params(("id" = String, Path, description = "id")),
    responses((status = 201, description = "the application with its review", body = ReviewedApplication), (status = 404, description = "not the seller's product"), (status = 409, description = "removed product, or one already pending"), (status = 422, description = "the draft has problems or required cases are missing")))]
async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ReviewedApplication>), ApiError> {
    let (a, review) = releases::submit(&state.app, &actor, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewedApplication::new(&state.app, &a, Some(&review))),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ApplicationQuery {
    /// Only applications in this state.
    state: Option<String>,
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/release-applications", tag = "releases",
    params(ApplicationQuery),
    responses((status = 200, description = "a page of applications with their reviews, newest first", body = ApplicationList), (status = 400, description = "a bad `after` or `limit`"), (status = 403, description = "customers")))]
async fn applications(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<ApplicationList>, ApiError> {
    let page = pages::request(q.after.as_deref(), q.limit)?;
    let page = releases::list(&state.app, &actor, q.state.as_deref(), &page).await?;
    let applications = page
        .rows
        .iter()
        .map(|(a, r)| ReviewedApplication::new(&state.app, a, r.as_ref()))
        .collect();
    Ok(Json(ApplicationList {
        applications,
        next: pages::next(&page),
    }))
}

#[utoipa::path(get, path = "/release-applications/{id}", tag = "releases",
    params(("id" = String, Path, description = "id")),
    responses((status = 200, description = "the application with its review", body = ReviewedApplication), (status = 404, description = "no such application")))]
async fn application(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<ReviewedApplication>, ApiError> {
    let (a, r) = releases::show(&state.app, &actor, &id).await?;
    Ok(Json(ReviewedApplication::new(&state.app, &a, r.as_ref())))
}

/// Runs the review again, e.g. after the operator changed the review rules.
#[utoipa::path(post, path = "/release-applications/{id}/review", tag = "releases",
    params(("id" = String, Path, description = "id")),
    responses((status = 200, description = "the application with its new review", body = ReviewedApplication), (status = 404, description = "no such application"), (status = 409, description = "already decided")))]
async fn rereview(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<ReviewedApplication>, ApiError> {
    let (a, r) = releases::rereview(&state.app, &actor, &id).await?;
    Ok(Json(ReviewedApplication::new(&state.app, &a, r.as_ref())))
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &[u8],
    approve: bool,
) -> Result<Json<ReviewedApplication>, ApiError> {
    actor.require(&[Role::Operator])?;
    let req: Decision = super::extract::parse_or_default(body)?;
    let (a, r) = releases::decide(&state.app, actor, id, req, approve).await?;
    Ok(Json(ReviewedApplication::new(&state.app, &a, r.as_ref())))
}

#[utoipa::path(post, path = "/release-applications/{id}/approve", tag = "releases",
    params(("id" = String, Path, description = "id")),
    request_body = Option<Decision>,
    responses((status = 200, description = "the approved application", body = ReviewedApplication), (status = 404, description = "no such application"), (status = 409, description = "already decided, or the review found blockers or failing cases")))]
async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ReviewedApplication>, ApiError> {
    decide(&state, &actor, &id, &body, true).await
}

#[utoipa::path(post, path = "/release-applications/{id}/reject", tag = "releases",
    params(("id" = String, Path, description = "id")),
    request_body = Rejection,
    responses((status = 200, description = "the rejected application", body = ReviewedApplication), (status = 400, description = "no reason given"), (status = 404, description = "no such application"), (status = 409, description = "already decided")))]
async fn reject(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ReviewedApplication>, ApiError> {
    decide(&state, &actor, &id, &body, false).await
}

#[utoipa::path(post, path = "/release-applications/{id}/withdraw", tag = "releases",
    params(("id" = String, Path, description = "id")),
    responses((status = 200, description = "the withdrawn application", body = ApplicationView), (status = 404, description = "no such application"), (status = 409, description = "already decided")))]
async fn withdraw(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = releases::withdraw(&state.app, &actor, &id).await?;
    Ok(Json(ApplicationView::new(&state.app, &a)))
}

/// `POST /v1/release-applications/{id}/reject` (read as a
/// [`Decision`], whose reason a rejection requires).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Rejection {
    /// Why, in words the seller can act on.
    #[schema(pattern = "\\S")]
    reason: String,
}
