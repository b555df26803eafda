//! The files of a product listing: its logo and its EULA, uploaded by the
//! seller and downloaded by anyone who may see the product.

use super::auth::Actor;
use super::views::catalog::ProductView;
use super::{ApiError, AppState};
use crate::app::listing_assets::{self, AssetKind};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_logo, logo))
        .routes(routes!(upload_eula, eula))
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn upload(
    state: &AppState,
    actor: &Actor,
    id: &str,
    kind: AssetKind,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<ProductView>, ApiError> {
    let p =
        listing_assets::upload(&state.app, actor, id, kind, content_type(headers), body).await?;
    Ok(Json(ProductView::new(&state.app, &p, actor.role())))
}

async fn download(
    state: &AppState,
    actor: &Actor,
    id: &str,
    kind: AssetKind,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let (media_type, body) = listing_assets::download(&state.app, actor, id, kind).await?;
    Ok(([(header::CONTENT_TYPE, media_type)], body))
}

/// Uploads the product's logo: a PNG (the listing rules ask for 120×120
/// pixels and at most 5 MiB); the draft names it from then on.
#[utoipa::path(put, path = "/products/{id}/logo", tag = "products",
    params(("id" = String, Path, description = "product id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the PNG (any media type; the content must be a PNG)"),
    responses(
        (status = 200, body = ProductView),
        (status = 400, description = "not a PNG, empty, or over 10 MiB"),
        (status = 404, description = "not the seller's product"),
        (status = 409, description = "the product was removed"),
    ))]
async fn upload_logo(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ProductView>, ApiError> {
    upload(&state, &actor, &id, AssetKind::Logo, &headers, &body).await
}

/// The product's logo (customers: the released one's).
#[utoipa::path(get, path = "/products/{id}/logo", tag = "products",
    params(("id" = String, Path, description = "product id")),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>, description = "the PNG"),
        (status = 404, description = "no such product, or no logo"),
    ))]
async fn logo(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    download(&state, &actor, &id, AssetKind::Logo).await
}

/// Uploads the product's end-user license agreement (PDF, plain text,
/// Markdown or HTML, given by `Content-Type`).
#[utoipa::path(put, path = "/products/{id}/eula", tag = "products",
    params(("id" = String, Path, description = "product id")),
    request_body(content = String, content_type = "text/plain", description = "the document; also application/pdf, text/markdown or text/html, as `Content-Type` says"),
    responses(
        (status = 200, body = ProductView),
        (status = 400, description = "another media type, empty, or over 10 MiB"),
        (status = 404, description = "not the seller's product"),
        (status = 409, description = "the product was removed"),
    ))]
async fn upload_eula(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ProductView>, ApiError> {
    upload(&state, &actor, &id, AssetKind::Eula, &headers, &body).await
}

/// The product's EULA (customers: the released one's).
#[utoipa::path(get, path = "/products/{id}/eula", tag = "products",
    params(("id" = String, Path, description = "product id")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>, description = "the document, with its media type"),
        (status = 404, description = "no such product, or no EULA"),
    ))]
async fn eula(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    download(&state, &actor, &id, AssetKind::Eula).await
}
