//! Case routes: list, show, delete, export and import saved cases, and
//! replay one against any plugin version. Cases are saved from a debug call
//! (`POST /v1/plugins/{sha256}/calls` with `"save": true`, see `plugins.rs`).

use super::auth::Actor;
use super::pages;
use super::views::cases::{CaseDeleted, CaseDetail, CaseList, CasesImported, ReplayView};
use super::{ApiError, AppState};
use crate::app::{access, cases};
use crate::cases::CaseFile;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(import))
        .routes(routes!(show, remove))
        .routes(routes!(replay))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CaseQuery {
    /// Only cases recorded with this plugin version.
    plugin: Option<String>,
    /// Only the product's cases: its seller's cases of the plugin versions
    /// its draft names (what its next review replays).
    product: Option<String>,
}

type QueryResult = Result<Query<CaseQuery>, axum::extract::rejection::QueryRejection>;

/// `GET /v1/cases`: the export's filters and a page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CaseListQuery {
    /// Only cases recorded with this plugin version.
    plugin: Option<String>,
    /// Only the product's cases: its seller's cases of the plugin versions
    /// its draft names (what its next review replays).
    product: Option<String>,
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/cases", tag = "cases",
    params(CaseListQuery),
    responses((status = 200, description = "a page of case summaries, oldest first", body = CaseList), (status = 400, description = "bad query, `after` or `limit`"), (status = 403, description = "customers")))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    super::extract::Query(q): super::extract::Query<CaseListQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let page = pages::request(q.after.as_deref(), q.limit)?;
    let page = cases::list(
        &state.app,
        &actor,
        q.plugin.as_deref(),
        q.product.as_deref(),
        &page,
    )
    .await?;
    Ok(Json(CaseList::new(&page.rows, pages::next(&page))))
}

#[utoipa::path(get, path = "/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "id")),
    responses((status = 200, description = "the case", body = CaseDetail), (status = 404, description = "no such case")))]
async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let row = access::visible_case(&state.app, &actor, &id).await?;
    let case = cases::case_of(&row)?;
    Ok(Json(CaseDetail::new(&row, case)))
}

#[utoipa::path(delete, path = "/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "id")),
    responses((status = 200, description = "deleted", body = CaseDeleted), (status = 404, description = "no such case"), (status = 409, description = "a released product uses its plugin version")))]
async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<CaseDeleted>, ApiError> {
    cases::delete(&state.app, &actor, &id).await?;
    Ok(Json(CaseDeleted { deleted: id }))
}

#[utoipa::path(get, path = "/cases/export", tag = "cases",
    params(CaseQuery),
    responses((status = 200, description = "a case file (bazaar-cases/1)", body = Object), (status = 400, description = "bad query")))]
async fn export(
    State(state): State<AppState>,
    actor: Actor,
    query: QueryResult,
) -> Result<Json<CaseFile>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad("query", e.body_text()))?;
    let file = cases::export(
        &state.app,
        &actor,
        q.plugin.as_deref(),
        q.product.as_deref(),
    )
    .await?;
    Ok(Json(file))
}

#[utoipa::path(post, path = "/cases/import", tag = "cases",
    request_body = CaseFileDoc,
    responses((status = 200, description = "how many were imported and found", body = CasesImported), (status = 400, description = "malformed file"), (status = 422, description = "cases with problems, each with its field")))]
async fn import(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<CasesImported>, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    // A case that does not read is a case with problems (422, like the
    // checks below), not a malformed file.
    let file: CaseFile = super::extract::parse(&body).map_err(|e| match e {
        ApiError::App(crate::app::AppError::BadRequest {
            message,
            field: Some(field),
        }) if field.starts_with("cases[") => ApiError::App(crate::app::AppError::Invalid {
            message: "a case of the file does not read".into(),
            errors: vec![crate::domain::catalog::FieldError { field, message }],
        }),
        other => other,
    })?;
    let out = cases::import(&state.app, &actor, file).await?;
    Ok(Json(CasesImported::from(&out)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ReplayRequest {
    /// The plugin version to replay against; the recorded one by default.
    plugin: Option<String>,
}

#[utoipa::path(post, path = "/cases/{id}/replay", tag = "cases",
    params(("id" = String, Path, description = "id")),
    request_body = Option<ReplayRequest>,
    responses((status = 200, description = "the replay's verdict", body = ReplayView), (status = 400, description = "no such plugin version"), (status = 404, description = "no such case")))]
async fn replay(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ReplayView>, ApiError> {
    let row = access::visible_case(&state.app, &actor, &id).await?;
    let req: ReplayRequest = super::extract::parse_or_default(&body)?;
    let (row, run) = cases::replay(&state.app, &actor, row, req.plugin).await?;
    Ok(Json(ReplayView::new(&row, &run)))
}

/// A case file, as `GET /v1/cases/export` writes it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CaseFile)]
#[allow(dead_code)]
struct CaseFileDoc {
    /// Always `bazaar-cases/1`.
    #[schema(pattern = "^bazaar-cases/1$")]
    format: String,
    /// The cases, each as `GET /v1/cases/{id}` shows it.
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 1000)]
    cases: Vec<()>,
}
