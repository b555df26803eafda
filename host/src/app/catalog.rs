//! The catalogue: sellers create products and keep their drafts (released
//! through release applications), hide, re-list or remove them; operators
//! remove. A draft is checked on its own rules and on the plugins it names.

use super::access::own_product;
use super::product_config;
use super::{App, AppError, Caller};
use crate::domain::catalog::{FieldError, Mover, ProductDraft, ProductStatus, validate};
use crate::ids::new_id;
use crate::runtime::World;
use crate::store::{Page, PageRequest, ProductRow, Role};
use serde::Deserialize;

/// `POST /v1/products/{id}/status`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StatusChange {
    /// `hidden` or `listed` (sellers), `removed` (sellers and operators).
    pub status: String,
}

/// Validates a draft: its own rules, then that the plugins it names are the
/// seller's own and export the worlds their role needs.
pub async fn checked_draft(
    app: &App,
    seller_id: &str,
    draft: ProductDraft,
) -> Result<ProductDraft, AppError> {
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
        let owned = app.store.seller_plugin(seller_id, sha).await?.is_some();
        match app.runtime.get(sha) {
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
        Err(AppError::Invalid {
            message: format!("the product definition has {} problem(s)", errors.len()),
            errors,
        })
    }
}

/// A seller creates an unlisted product from a draft.
pub async fn create(
    app: &App,
    caller: &Caller,
    draft: ProductDraft,
) -> Result<ProductRow, AppError> {
    caller.require(&[Role::Seller])?;
    let mut draft = checked_draft(app, &caller.id, draft).await?;
    // Files are uploaded to the product once it exists.
    draft.logo = None;
    draft.eula = None;
    let id = new_id("prod");
    product_config::seal(app, &id, &mut draft, None)?;
    let now = app.clock.now_ms();
    let row = ProductRow {
        id,
        seller_id: caller.id.clone(),
        status: ProductStatus::Unlisted,
        draft: serde_json::to_string(&draft)?,
        live: None,
        live_version: 0,
        created_at: now,
        updated_at: now,
    };
    app.store.insert_product(&row).await?;
    Ok(row)
}

/// The products the caller may list: a seller's own and an operator's all,
/// optionally in one `status`; customers see the listed ones.
pub async fn list(
    app: &App,
    caller: &Caller,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<ProductRow>, AppError> {
    // A status that does not exist matches no product.
    let status = match status.map(ProductStatus::parse) {
        Some(None) => return Ok(Page::empty()),
        other => other.flatten(),
    };
    Ok(match caller.role {
        Role::Seller => app.store.products(Some(&caller.id), status, page).await?,
        Role::Operator => app.store.products(None, status, page).await?,
        Role::Customer => {
            app.store
                .products(None, Some(ProductStatus::Listed), page)
                .await?
        }
    })
}

/// Fails unless the product's draft may still change.
pub fn ensure_editable(p: &ProductRow) -> Result<(), AppError> {
    if p.status.is_removed() {
        return Err(AppError::Conflict("a removed product cannot change".into()));
    }
    Ok(())
}

/// The seller replaces the draft of `product` (their own, from
/// [`own_product`]); answers the product as it now is.
pub async fn update_draft(
    app: &App,
    caller: &Caller,
    product: ProductRow,
    draft: ProductDraft,
) -> Result<ProductRow, AppError> {
    caller.require(&[Role::Seller])?;
    ensure_editable(&product)?;
    let mut draft = checked_draft(app, &caller.id, draft).await?;
    let stored: Option<ProductDraft> = serde_json::from_str(&product.draft).ok();
    product_config::seal(app, &product.id, &mut draft, stored.as_ref())?;
    // The listing's files are set by their uploads, not by the draft.
    draft.logo = stored.as_ref().and_then(|s| s.logo.clone());
    draft.eula = stored.as_ref().and_then(|s| s.eula.clone());
    if let Some(live) = product.live_draft() {
        // Seeds §3.5.1: supervision is chosen at release and cannot change.
        if live.supervised != draft.supervised {
            return Err(AppError::bad(
                "supervised",
                "service supervision cannot change after release",
            ));
        }
    }
    let now = app.clock.now_ms();
    app.store
        .update_draft(&product.id, &serde_json::to_string(&draft)?, now)
        .await?;
    reread(app, &product.id).await
}

/// Moves a product in the catalogue, as [`ProductStatus::reachable_from`]
/// allows the caller.
pub async fn set_status(
    app: &App,
    caller: &Caller,
    id: &str,
    req: StatusChange,
) -> Result<ProductRow, AppError> {
    let (p, mover) = match caller.role {
        Role::Operator => (
            app.store
                .product(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no product {id}")))?,
            Mover::Operator,
        ),
        _ => (own_product(app, caller, id).await?, Mover::Seller),
    };
    let target = ProductStatus::parse(&req.status);
    let (to, from) = match target.and_then(|to| Some((to, to.reachable_from(mover)?))) {
        Some(found) => found,
        None => {
            return Err(AppError::bad(
                "status",
                format!(
                    "cannot set status `{}`: sellers hide (`hidden`), re-list (`listed`) or remove (`removed`); operators remove",
                    req.status
                ),
            ));
        }
    };
    let now = app.clock.now_ms();
    if !app.store.set_product_status(id, from, to, now).await? {
        let names: Vec<_> = from.iter().map(|s| s.as_str()).collect();
        return Err(AppError::Conflict(format!(
            "product {id} is {}; it must be {} to become {to}",
            p.status,
            names.join(" or "),
        )));
    }
    reread(app, id).await
}

pub(super) async fn reread(app: &App, id: &str) -> Result<ProductRow, AppError> {
    app.store
        .product(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no product {id}")))
}
