//! How the API shows products.

use crate::app::{App, product_config};
use crate::domain::catalog::ProductStatus;
use crate::store::{ProductRow, Role};
use serde::Serialize;
use serde_json::Value;

/// A product as the API shows it; customers see only the live definition.
///
/// Fields are in the order the JSON has always had them (alphabetical).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ProductView {
    /// Creation time (ms).
    pub created_at: i64,
    /// The working definition; not shown to customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::catalog::ProductDraft>)]
    pub draft: Option<Value>,
    /// Its id.
    pub id: String,
    /// The approved definition orders are taken against, once released.
    /// Customers get it without `lifecycle-plugin`, `metering-plugin`,
    /// `pricing-plugin`, `plugin-config` and `plugin-config-secrets`.
    #[schema(value_type = Option<Object>)]
    pub live: Option<Value>,
    /// The owner.
    pub seller_id: String,
    /// Where it stands in the catalogue.
    pub status: ProductStatus,
    /// Last change (ms).
    pub updated_at: i64,
    /// How many versions were approved.
    pub version: i64,
}

impl ProductView {
    /// `p` as `role` sees it: customers without plugin ids and plugin
    /// configuration, everyone with secret configuration masked.
    pub fn new(app: &App, p: &ProductRow, role: Role) -> Self {
        let show = |s: &str| product_config::shown(app, &p.id, s, role);
        ProductView {
            created_at: p.created_at,
            draft: (role != Role::Customer).then(|| show(&p.draft)),
            id: p.id.clone(),
            live: p.live.as_deref().map(show),
            seller_id: p.seller_id.clone(),
            status: p.status,
            updated_at: p.updated_at,
            version: p.live_version,
        }
    }
}

/// `GET /v1/products`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductList {
    /// Newest first.
    pub products: Vec<ProductView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// An account as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountView {
    /// Its id.
    pub id: String,
    /// Its role.
    pub role: crate::store::Role,
    /// Display name.
    pub name: String,
    /// Country, ISO 3166-1 alpha-2, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
}

impl From<&crate::store::Account> for AccountView {
    fn from(a: &crate::store::Account) -> Self {
        AccountView {
            id: a.id.clone(),
            role: a.role,
            name: a.name.clone(),
            country: a.country.clone(),
            created_at: a.created_at,
        }
    }
}

/// `POST /v1/accounts`: the new account and its token, shown this once.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccountCreated {
    /// The account.
    pub account: AccountView,
    /// Its API token; only its hash is kept.
    pub token: String,
}

/// `GET /v1/me`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The caller's account.
    pub account: AccountView,
}
