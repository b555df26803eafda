//! Rule routes: operators list, activate and deactivate review, pricing
//! and settlement rule plugins (the use cases are in `app::rules`).

use super::auth::Actor;
use super::views::releases::{RuleList, RuleView};
use super::{ApiError, AppState};
use crate::app::rules::{self, Activation};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
}

#[utoipa::path(get, path = "/rules", tag = "rules",
    responses((status = 200, description = "active rules and every activation", body = RuleList), (status = 403, description = "not an operator")))]
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<RuleList>, ApiError> {
    let (active, history) = rules::list(&state.app, &actor).await?;
    Ok(Json(RuleList::new(&active, &history)))
}

#[utoipa::path(post, path = "/rules/{kind}/{name}/activate", tag = "rules",
    params(("kind" = inline(RuleKind), Path, description = "kind"), ("name" = String, Path, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "name")),
    request_body = Activation,
    responses((status = 200, description = "the activation", body = RuleView), (status = 400, description = "bad kind or name, or a plugin without the rule's world"), (status = 404, description = "no such plugin version"), (status = 403, description = "not an operator")))]
async fn activate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<RuleView>, ApiError> {
    actor.require(&[Role::Operator])?;
    rules::check_rule(&kind, &name)?;
    let req: Activation = super::extract::parse(&body)?;
    let now = rules::activate(&state.app, &actor, &kind, &name, &req).await?;
    Ok(Json(RuleView {
        kind,
        name,
        plugin: Some(req.plugin),
        activated_at: now,
    }))
}

#[utoipa::path(post, path = "/rules/{kind}/{name}/deactivate", tag = "rules",
    params(("kind" = inline(RuleKind), Path, description = "kind"), ("name" = String, Path, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "name")),
    responses((status = 200, description = "the deactivation", body = RuleView), (status = 400, description = "bad kind or name"), (status = 404, description = "no such active rule")))]
async fn deactivate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
) -> Result<Json<RuleView>, ApiError> {
    let now = rules::deactivate(&state.app, &actor, &kind, &name).await?;
    Ok(Json(RuleView {
        kind,
        name,
        plugin: None,
        activated_at: now,
    }))
}

/// The kinds of platform rules (documents the `{kind}` path segment).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum RuleKind {
    /// Listing review rules (`review` world).
    Review,
    /// Pricing rules (`pricing` world).
    Pricing,
    /// Settlement tax rules (`settlement` world, since WIT 0.2.0).
    Settlement,
}
