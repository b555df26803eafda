//! `GET /v1/plugin-usage`: how the plugin threads are shared out and what
//! each seller's calls have cost (operators; the use case is
//! `app::plugin_pool::usage`).

use super::auth::Actor;
use super::views::plugin_usage::PluginUsageView;
use super::{ApiError, AppState};
use crate::app::plugin_pool;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(usage))
}

/// The plugin pool's settings and every seller's calls, refusals, fuel and
/// CPU time since the service started (operators).
#[utoipa::path(get, path = "/plugin-usage", tag = "operations",
    responses((status = 200, body = PluginUsageView), (status = 403, description = "not an operator")))]
async fn usage(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<PluginUsageView>, ApiError> {
    let (config, sellers) = plugin_pool::usage(&state.app, &actor)?;
    Ok(Json(PluginUsageView::new(&config, sellers)))
}
