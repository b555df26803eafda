//! Products: sellers keep a draft (released through `applications.rs`) and
//! hide, re-list or remove their products; operators remove.

use super::auth::Actor;
use super::extract::Query;
use super::extract::parse;
use super::pages;
use super::views::catalog::{ProductList, ProductView};
use super::{ApiError, AppState};
use crate::app::{access, catalog};
use crate::domain::catalog::ProductDraft;
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
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(update_draft))
        .routes(routes!(set_status))
}

/// Creates an unlisted product from a draft (sellers).
#[utoipa::path(post, path = "/products", tag = "products",
    request_body = ProductDraft,
    responses(
        (status = 201, body = ProductView),
        (status = 400, description = "malformed JSON"),
        (status = 403, description = "not a seller"),
        (status = 422, description = "the definition has problems, each with its field"),
    ))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    actor.require(&[Role::Seller])?;
    let draft: ProductDraft = parse(&body)?;
    let row = catalog::create(&state.app, &actor, draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(ProductView::new(&state.app, &row, actor.role())),
    ))
}

/// `GET /v1/products` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only products in this status (ignored for customers, who see the
    /// listed ones).
    status: Option<String>,
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Lists the caller's products (sellers), all (operators) or the listed
/// ones (customers).
#[utoipa::path(get, path = "/products", tag = "products",
    params(ListQuery),
    responses(
        (status = 200, description = "a page of the products, newest first", body = ProductList),
        (status = 400, description = "a bad `after` or `limit`"),
    ))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ListQuery>,
) -> Result<Json<ProductList>, ApiError> {
    let page = pages::request(q.after.as_deref(), q.limit)?;
    let page = catalog::list(&state.app, &actor, q.status.as_deref(), &page).await?;
    Ok(Json(ProductList {
        products: page
            .rows
            .iter()
            .map(|p| ProductView::new(&state.app, p, actor.role()))
            .collect(),
        next: pages::next(&page),
    }))
}

/// A product the caller may see.
#[utoipa::path(get, path = "/products/{id}", tag = "products",
    params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = ProductView), (status = 404, description = "no such product")))]
async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<ProductView>, ApiError> {
    let p = access::visible_product(&state.app, &actor, &id).await?;
    Ok(Json(ProductView::new(&state.app, &p, actor.role())))
}

/// Replaces the seller's draft.
#[utoipa::path(put, path = "/products/{id}/draft", tag = "products",
    params(("id" = String, Path, description = "product id")),
    request_body = ProductDraft,
    responses(
        (status = 200, body = ProductView),
        (status = 400, description = "malformed JSON, or supervision changed after release"),
        (status = 404, description = "not the seller's product"),
        (status = 409, description = "the product was removed"),
        (status = 422, description = "the definition has problems"),
    ))]
async fn update_draft(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProductView>, ApiError> {
    let p = access::own_product(&state.app, &actor, &id).await?;
    catalog::ensure_editable(&p)?;
    let draft: ProductDraft = parse(&body)?;
    let p = catalog::update_draft(&state.app, &actor, p, draft).await?;
    Ok(Json(ProductView::new(&state.app, &p, actor.role())))
}

/// Hides, re-lists or removes a product.
#[utoipa::path(post, path = "/products/{id}/status", tag = "products",
    params(("id" = String, Path, description = "product id")),
    request_body = catalog::StatusChange,
    responses(
        (status = 200, body = ProductView),
        (status = 400, description = "a status the caller cannot set"),
        (status = 404, description = "no such product"),
        (status = 409, description = "the product is not in a status it can move from"),
    ))]
async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProductView>, ApiError> {
    let req: catalog::StatusChange = parse(&body)?;
    let p = catalog::set_status(&state.app, &actor, &id, req).await?;
    Ok(Json(ProductView::new(&state.app, &p, actor.role())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_product_definition_is_documented() {
        let (_, doc) = super::routes().split_for_parts();
        let doc = serde_json::to_value(&doc).unwrap();
        for path in [
            "/products",
            "/products/{id}",
            "/products/{id}/draft",
            "/products/{id}/status",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} undocumented");
        }
        let schemas = &doc["components"]["schemas"];
        for name in [
            "ProductDraft",
            "Specification",
            "Sku",
            "Price",
            "PackageOffer",
            "ProductStatus",
        ] {
            assert!(schemas[name].is_object(), "{name} has no schema");
        }
        let spec = &schemas["Specification"]["properties"];
        assert!(spec["billing-modes"].is_object(), "{spec}");
    }
}
