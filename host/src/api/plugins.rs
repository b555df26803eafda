//! Plugin routes: upload and inspect plugin versions, and run debug calls in
//! the sandbox (the use cases are in `app::plugins`).

use super::auth::Actor;
use super::pages::{PageQuery, next};
use super::views::plugins::{
    DebugCallView, PluginList, PluginView, RegressionsView, owned_report, pending_report,
};
use super::{ApiError, AppState};
use crate::app::access;
use crate::app::compiles::Compile;
use crate::app::plugins::{self, CallRequest};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .routes(routes!(show))
        .routes(routes!(call))
}

/// Sellers see their own plugin versions, newest uploaded first;
/// operators every loaded one, the preloaded examples included, by sha256.
#[utoipa::path(get, path = "/plugins", tag = "plugins",
    params(PageQuery),
    responses((status = 200, description = "a page of plugin versions", body = PluginList), (status = 400, description = "a bad `after` or `limit`"), (status = 403, description = "customers")))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    super::extract::Query(q): super::extract::Query<PageQuery>,
) -> Result<Json<PluginList>, ApiError> {
    let limits = state.app.runtime.limits();
    let page = plugins::list(&state.app, &actor, &q.request()?).await?;
    let plugins = page
        .rows
        .iter()
        .map(|(p, o)| owned_report(p, o.as_ref(), limits))
        .collect();
    Ok(Json(PluginList {
        plugins,
        next: next(&page),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The plugin's name; versions are numbered per name.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    name: String,
}

#[utoipa::path(post, path = "/plugins", tag = "plugins",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the component's bytes (any media type, e.g. application/wasm)"),
    responses((status = 201, description = "a new version, with the previous version's cases replayed", body = PluginView), (status = 200, description = "bytes the uploader already had", body = PluginView), (status = 202, description = "a big component (4 MiB or more), stored and numbered, compiling in the background: `state: compiling`; GET it until `ready`", body = PluginView), (status = 400, description = "bad name or empty body"), (status = 422, description = "not an acceptable plugin")))]
async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<(StatusCode, Json<PluginView>), ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let Query(query) = query
        .map_err(|_| ApiError::bad("name", "name the plugin: POST /v1/plugins?name=my-plugin"))?;
    let size = body.len() as u64;
    let up = plugins::upload(&state.app, &actor, &query.name, body).await?;
    let limits = state.app.runtime.limits();
    let Some(plugin) = &up.plugin else {
        let report = pending_report(&up.owned.sha256, size, Some(&up.owned), None, limits);
        return Ok((StatusCode::ACCEPTED, Json(report)));
    };
    let status = if up.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut report = owned_report(plugin, Some(&up.owned), limits);
    report.cases = up
        .cases
        .as_ref()
        .map(|cases| cases.as_ref().map(RegressionsView::from));
    Ok((status, Json(report)))
}

#[utoipa::path(get, path = "/plugins/{sha256}", tag = "plugins",
    params(("sha256" = String, Path, description = "sha256")),
    responses((status = 200, description = "the plugin version (`state`: ready, compiling or failed)", body = PluginView), (status = 404, description = "no such plugin version")))]
async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(sha256): Path<String>,
) -> Result<Json<PluginView>, ApiError> {
    let shown = plugins::show(&state.app, &actor, &sha256).await?;
    let limits = state.app.runtime.limits();
    let owned = shown.owned.as_ref();
    Ok(Json(match (&shown.plugin, shown.compile) {
        (Some(plugin), Some(Compile::Ready { cases })) => {
            // A version compiled in the background shows its regression
            // check here, as an upload's answer would have.
            let mut report = owned_report(plugin, owned, limits);
            report.cases = cases
                .as_ref()
                .as_ref()
                .map(|c| c.as_ref().map(RegressionsView::from));
            report
        }
        (Some(plugin), _) => owned_report(plugin, owned, limits),
        (None, Some(Compile::Compiling { size, .. })) => {
            pending_report(&sha256, size, owned, None, limits)
        }
        (None, Some(Compile::Failed { error, size })) => {
            pending_report(&sha256, size, owned, Some(error), limits)
        }
        (None, _) => {
            return Err(ApiError::from(crate::app::AppError::NotFound(format!(
                "no plugin version {sha256}"
            ))));
        }
    }))
}

#[utoipa::path(post, path = "/plugins/{sha256}/calls", tag = "plugins",
    params(("sha256" = String, Path, description = "sha256")),
    request_body = CallRequest,
    responses((status = 200, description = "the call's outcome", body = DebugCallView), (status = 404, description = "no such plugin version"), (status = 409, description = "the version is still compiling"), (status = 422, description = "the call failed in the sandbox"), (status = 429, description = "the runtime is busy")))]
async fn call(
    State(state): State<AppState>,
    actor: Actor,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<Json<DebugCallView>, ApiError> {
    let (plugin, _) = access::visible_plugin(&state.app, &actor, &sha256).await?;
    let req: CallRequest = super::extract::parse(&body)?;
    let done = plugins::debug_call(&state.app, &actor, plugin, req).await?;
    Ok(Json(done.into()))
}
