//! Who may see what: the one visibility rule, and the lookups every use case
//! and handler goes through. Another account's record answers `NotFound`
//! exactly like a missing one, so ids cannot be probed.
//!
//! The rule: operators see everything; an account sees what it owns (as the
//! seller or as the customer of it); customers additionally see products
//! offered in the catalogue (`listed` or `hidden`, §5.4).

use super::compiles::Compile;
use super::{App, AppError, Caller};
use crate::domain::catalog::{ProductDraft, ProductStatus};
use crate::runtime::Plugin;
use crate::store::{
    ApplicationRow, CaseRow, InstanceRow, OrderRow, Owner, ProductRow, Role, SellerPlugin,
};
use std::sync::Arc;

/// Whether `caller` may see a record that `seller_id` sells and, where there
/// is one, `customer_id` bought.
pub fn may_see(caller: &Caller, seller_id: &str, customer_id: Option<&str>) -> bool {
    caller.role == Role::Operator || caller.id == seller_id || customer_id == Some(&caller.id)
}

/// Which rows a list shows the caller: its own, or all for operators.
pub fn owner(caller: &Caller) -> Owner<'_> {
    match caller.role {
        Role::Customer => Owner::Customer(&caller.id),
        Role::Seller => Owner::Seller(&caller.id),
        Role::Operator => Owner::All,
    }
}

fn not_found(what: &str, id: &str) -> AppError {
    AppError::NotFound(format!("no {what} {id}"))
}

/// A product the caller may see: the seller's own, any for operators, and
/// for customers those offered in the catalogue.
pub async fn visible_product(app: &App, caller: &Caller, id: &str) -> Result<ProductRow, AppError> {
    // Read-only here (shown, priced, sold): a change made on another node
    // may take the product cache's lifetime to show.
    let p = app
        .store
        .product_cached(id)
        .await?
        .ok_or_else(|| not_found("product", id))?;
    let visible = match caller.role {
        Role::Customer => p.status.is_offered(),
        _ => may_see(caller, &p.seller_id, None),
    };
    if visible {
        Ok(p)
    } else {
        Err(not_found("product", id))
    }
}

/// A product of the calling seller.
pub async fn own_product(app: &App, caller: &Caller, id: &str) -> Result<ProductRow, AppError> {
    caller.require(&[Role::Seller])?;
    app.store
        .product(id)
        .await?
        .filter(|p| p.seller_id == caller.id)
        .ok_or_else(|| not_found("product", id))
}

/// An instance the caller may see.
pub async fn visible_instance(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<InstanceRow, AppError> {
    app.store
        .instance(id)
        .await?
        .filter(|i| may_see(caller, &i.seller_id, Some(&i.customer_id)))
        .ok_or_else(|| not_found("instance", id))
}

/// An instance of the calling customer, with its product's live definition
/// and the product's status.
pub async fn own_instance(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(InstanceRow, ProductDraft, ProductStatus), AppError> {
    caller.require(&[Role::Customer])?;
    let i = visible_instance(app, caller, id).await?;
    let p = app
        .store
        .product(&i.product_id)
        .await?
        .ok_or_else(|| not_found("instance", id))?;
    let live: ProductDraft = serde_json::from_str(p.live.as_deref().unwrap_or("null"))?;
    Ok((i, live, p.status))
}

/// An order the caller may see.
pub async fn visible_order(app: &App, caller: &Caller, id: &str) -> Result<OrderRow, AppError> {
    app.store
        .order(id)
        .await?
        .filter(|o| may_see(caller, &o.seller_id, Some(&o.customer_id)))
        .ok_or_else(|| not_found("order", id))
}

/// A release application its seller or an operator may see.
pub async fn visible_application(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<ApplicationRow, AppError> {
    caller.require(&[Role::Operator, Role::Seller])?;
    app.store
        .application(id)
        .await?
        .filter(|a| may_see(caller, &a.seller_id, None))
        .ok_or_else(|| not_found("release application", id))
}

/// A saved case its seller or an operator may see.
pub async fn visible_case(app: &App, caller: &Caller, id: &str) -> Result<CaseRow, AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    app.store
        .case(id)
        .await?
        .filter(|c| may_see(caller, &c.seller_id, None))
        .ok_or_else(|| not_found("case", id))
}

/// A plugin version the caller may use: a seller's own uploads; any for
/// operators. Other sellers' versions are `NotFound`, as if they did not
/// exist.
pub async fn visible_plugin(
    app: &App,
    caller: &Caller,
    sha256: &str,
) -> Result<(Arc<Plugin>, Option<SellerPlugin>), AppError> {
    let not_found = || not_found("plugin version", sha256);
    let owned = match caller.role {
        Role::Operator => None,
        Role::Seller => Some(
            app.store
                .seller_plugin(&caller.id, sha256)
                .await?
                .ok_or_else(not_found)?,
        ),
        Role::Customer => return Err(not_found()),
    };
    let Some(plugin) = app.runtime.get(sha256) else {
        return Err(match app.compiles.get(sha256) {
            Some(Compile::Compiling { .. }) => AppError::Conflict(format!(
                "plugin version {sha256} is still compiling; retry in a few seconds \
                 (GET /v1/plugins/{sha256} shows `state: ready` when it is done)"
            )),
            Some(Compile::Failed { error, .. }) => AppError::PluginRejected(error),
            _ => not_found(),
        });
    };
    Ok((plugin, owned))
}
