//! Products: sellers keep a draft (released through `applications.rs`) and
//! hide, re-list or remove their products; operators remove.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::domain::catalog::{FieldError, ProductDraft, validate};
use crate::ids::new_id;
use crate::runtime::World;
use crate::store::{ProductRow, Role};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/products", get(list).post(create))
        .route("/products/{id}", get(show))
        .route("/products/{id}/draft", put(update_draft))
        .route("/products/{id}/status", post(set_status))
}

/// A product as the API shows it; customers see only the live definition.
pub(super) fn product_json(p: &ProductRow, actor: &Actor) -> Value {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let mut v = json!({
        "id": p.id,
        "seller-id": p.seller_id,
        "status": p.status,
        "version": p.live_version,
        "live": p.live.as_deref().map(parse),
        "created-at": p.created_at,
        "updated-at": p.updated_at,
    });
    if actor.role() != Role::Customer {
        v["draft"] = parse(&p.draft);
    }
    v
}

/// Validates a draft: its own rules, then that the plugins it names are the
/// seller's own and export the worlds their role needs.
pub(super) async fn checked_draft(
    state: &AppState,
    seller_id: &str,
    body: &[u8],
) -> Result<ProductDraft, ApiError> {
    let draft: ProductDraft = super::extract::parse(body)?;
    let mut errors = validate(&draft).err().unwrap_or_default();
    let mut need = vec![(
        "lifecycle-plugin".to_string(),
        draft.lifecycle_plugin.as_str(),
        World::Lifecycle,
    )];
    if let Some(m) = &draft.metering_plugin {
        need.push(("metering-plugin".into(), m.as_str(), World::Metering));
    }
    for (i, spec) in draft.specifications.iter().enumerate() {
        if let Some(sha) = &spec.pricing_plugin {
            let field = format!("specifications[{i}].pricing-plugin");
            need.push((field, sha.as_str(), World::Pricing));
        }
    }
    for (field, sha, world) in need {
        if errors.iter().any(|e| e.field == field) {
            continue;
        }
        let owned = state.store.seller_plugin(seller_id, sha).await?.is_some();
        let loaded = state.runtime.get(sha);
        match loaded {
            Some(p) if owned && p.worlds.contains(&world) => {}
            Some(_) if owned => errors.push(FieldError {
                field: field.clone(),
                message: format!(
                    "plugin {sha} does not export the {} world",
                    world.interface()
                ),
            }),
            _ => errors.push(FieldError {
                field,
                message: format!("you have no plugin version {sha}; upload it first"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(draft)
    } else {
        Err(ApiError::Invalid {
            message: format!("the product definition has {} problem(s)", errors.len()),
            errors,
        })
    }
}

async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    actor.require(&[Role::Seller])?;
    let draft = checked_draft(&state, actor.id(), &body).await?;
    let now = state.clock.now_ms();
    let row = ProductRow {
        id: new_id("prod"),
        seller_id: actor.id().into(),
        status: "unlisted".into(),
        draft: serde_json::to_string(&draft)?,
        live: None,
        live_version: 0,
        created_at: now,
        updated_at: now,
    };
    state.store.insert_product(&row).await?;
    Ok((StatusCode::CREATED, Json(product_json(&row, &actor))))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = match actor.role() {
        Role::Seller => {
            state
                .store
                .products(Some(actor.id()), q.status.as_deref())
                .await?
        }
        Role::Operator => state.store.products(None, q.status.as_deref()).await?,
        Role::Customer => state.store.products(None, Some("listed")).await?,
    };
    Ok(Json(
        json!({"products": rows.iter().map(|p| product_json(p, &actor)).collect::<Vec<_>>()}),
    ))
}

/// The product if the actor may see it: its seller and operators always,
/// customers while it is listed or hidden (hidden products stay reachable
/// for existing subscribers).
pub(super) async fn visible_product(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<ProductRow, ApiError> {
    let not_found = || ApiError::NotFound(format!("no product {id}"));
    let p = state.store.product(id).await?.ok_or_else(not_found)?;
    let visible = match actor.role() {
        Role::Customer => matches!(p.status.as_str(), "listed" | "hidden"),
        _ => actor.may_see(&p.seller_id),
    };
    if visible { Ok(p) } else { Err(not_found()) }
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = visible_product(&state, &actor, &id).await?;
    Ok(Json(product_json(&p, &actor)))
}

pub(super) async fn own_product(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<ProductRow, ApiError> {
    actor.require(&[Role::Seller])?;
    state
        .store
        .product(id)
        .await?
        .filter(|p| p.seller_id == actor.id())
        .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))
}

async fn update_draft(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let p = own_product(&state, &actor, &id).await?;
    if p.status == "removed" {
        return Err(ApiError::Conflict("a removed product cannot change".into()));
    }
    let draft = checked_draft(&state, actor.id(), &body).await?;
    if let Some(live) = p.live_draft() {
        // Seeds §3.5.1: supervision is chosen at release and cannot change.
        if live.supervised != draft.supervised {
            return Err(ApiError::bad(
                "supervised",
                "service supervision cannot change after release",
            ));
        }
    }
    let now = state.clock.now_ms();
    state
        .store
        .update_draft(&id, &serde_json::to_string(&draft)?, now)
        .await?;
    let p = state
        .store
        .product(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))?;
    Ok(Json(product_json(&p, &actor)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct StatusChange {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: StatusChange = super::extract::parse(&body)?;
    let p = match actor.role() {
        Role::Operator => state
            .store
            .product(&id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))?,
        _ => own_product(&state, &actor, &id).await?,
    };
    let from: &[&str] = match (req.status.as_str(), actor.role()) {
        ("hidden", Role::Seller) => &["listed"],
        ("listed", Role::Seller) => &["hidden"],
        ("removed", _) => &["unlisted", "listed", "hidden"],
        (other, _) => {
            return Err(ApiError::bad(
                "status",
                format!(
                    "cannot set status `{other}`: sellers hide (`hidden`), re-list (`listed`) or remove (`removed`); operators remove"
                ),
            ));
        }
    };
    let now = state.clock.now_ms();
    if !state
        .store
        .set_product_status(&id, from, &req.status, now)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "product {id} is {}; it must be {} to become {}",
            p.status,
            from.join(" or "),
            req.status
        )));
    }
    let p = state
        .store
        .product(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))?;
    Ok(Json(product_json(&p, &actor)))
}
