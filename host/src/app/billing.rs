//! Customers' balances and their ledger, pay-per-use charges and usage
//! packages. A top-up
//! pays unpaid charges oldest first; an instance whose arrears are paid is
//! unfrozen by the worker, which the top-up wakes. A package bought for an
//! instance stopped because its stop-before-excess quota ran out has the
//! plugin thaw it.

use super::access::visible_instance;
use super::decisions::decision_job;
use super::{App, AppError, Caller};
use crate::domain::catalog::{ProductDraft, add_period};
use crate::domain::instance::{FreezeReason, InstanceState, JobAction};
use crate::domain::pricing::money::is_cents;
use crate::store::{
    ChargeRow, InstanceGuard, InstanceRow, LedgerCheck, LedgerRow, PackageRow, Page, PageRequest,
    Role, TopUp,
};
use rust_decimal::Decimal;
use serde::Deserialize;

/// The largest single top-up.
pub const TOP_UP_MAX: i64 = 1_000_000;

/// `POST /v1/balance/top-up`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// A positive amount in cents, at most 1,000,000 (decimal string).
    #[schema(value_type = String, pattern = "^(1000000(\\.00?)?|[1-9][0-9]{0,5}(\\.[0-9]{1,2})?|0?\\.(0[1-9]|[1-9][0-9]?))$")]
    pub amount: Decimal,
}

/// `POST /v1/instances/{id}/packages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuyPackage {
    /// The id of a package the instance's specification offers.
    pub package: String,
    /// How many of the package's periods, 1 to 36; 1 when absent.
    #[serde(default = "one")]
    pub periods: u32,
}

fn one() -> u32 {
    1
}

/// The calling customer's balance and unpaid charges, oldest first.
pub async fn balance(app: &App, caller: &Caller) -> Result<(Decimal, Vec<ChargeRow>), AppError> {
    caller.require(&[Role::Customer])?;
    let amount = app.store.balance(&caller.id).await?;
    let unpaid = app.store.charges(None, Some(&caller.id)).await?;
    Ok((amount, unpaid))
}

/// A page of the ledger, oldest first: a customer's own rows; an operator's
/// choice of one account's or every row. Sellers have no balance here (their
/// money comes by settlement).
pub async fn ledger(
    app: &App,
    caller: &Caller,
    account: Option<&str>,
    page: &PageRequest,
) -> Result<Page<LedgerRow>, AppError> {
    caller.require(&[Role::Customer, Role::Operator])?;
    if account.is_some_and(|a| a.is_empty() || a.len() > 200) {
        return Err(AppError::bad(
            "account",
            "an account id of 1 to 200 characters",
        ));
    }
    let account = match caller.role {
        Role::Operator => account,
        _ => {
            if account.is_some_and(|a| a != caller.id) {
                return Err(AppError::bad(
                    "account",
                    "a customer reads only their own ledger",
                ));
            }
            Some(caller.id.as_str())
        }
    };
    Ok(app.store.ledger(account, page).await?)
}

/// The reconciliation of balances with the ledger (operators): every
/// account whose stored balance is not the sum of its ledger rows. There
/// must be none.
pub async fn check_ledger(app: &App, caller: &Caller) -> Result<Vec<LedgerCheck>, AppError> {
    caller.require(&[Role::Operator])?;
    Ok(app.store.check_ledger(None).await?)
}

/// The calling customer adds to their balance; a retry with the same
/// idempotency `key` answers the first top-up.
pub async fn top_up(
    app: &App,
    caller: &Caller,
    req: TopUpRequest,
    key: Option<&str>,
) -> Result<TopUp, AppError> {
    caller.require(&[Role::Customer])?;
    if req.amount <= Decimal::ZERO
        || req.amount > Decimal::from(TOP_UP_MAX)
        || !is_cents(req.amount)
    {
        return Err(AppError::bad(
            "amount",
            format!("a positive amount in cents, at most {TOP_UP_MAX}"),
        ));
    }
    let done = app
        .store
        .top_up(&caller.id, req.amount, key, app.clock.now_ms())
        .await?;
    if !done.cleared.is_empty() {
        app.wake.notify_one();
    }
    Ok(done)
}

/// A page of the charges of an instance the caller may see, by billing
/// cycle, oldest first.
pub async fn charges(
    app: &App,
    caller: &Caller,
    id: &str,
    page: &PageRequest,
) -> Result<Page<ChargeRow>, AppError> {
    let i = visible_instance(app, caller, id).await?;
    Ok(app.store.charges_page(&i.id, page).await?)
}

/// A page of the packages of an instance the caller may see, oldest first.
pub async fn packages(
    app: &App,
    caller: &Caller,
    id: &str,
    page: &PageRequest,
) -> Result<Page<PackageRow>, AppError> {
    let i = visible_instance(app, caller, id).await?;
    Ok(app.store.packages_of(&i.id, page).await?)
}

/// The customer buys a package offered on instance `i`'s specification
/// (one they may see), paid from the balance; an instance stopped because
/// its stop-before-excess quota ran out serves again.
pub async fn buy_package(
    app: &App,
    caller: &Caller,
    i: InstanceRow,
    req: BuyPackage,
) -> Result<PackageRow, AppError> {
    caller.require(&[Role::Customer])?;
    if !(1..=36).contains(&req.periods) {
        return Err(AppError::bad("periods", "buy 1 to 36 periods"));
    }
    let live_states = [InstanceState::Active, InstanceState::Frozen];
    if !live_states.contains(&i.state) {
        return Err(AppError::Conflict(format!(
            "the instance is {}",
            i.state.as_str()
        )));
    }
    let product = app
        .store
        .product(&i.product_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no instance {}", i.id)))?;
    let live: ProductDraft = serde_json::from_str(product.live.as_deref().unwrap_or("null"))?;
    let offer = live
        .spec(&i.spec_id)
        .and_then(|s| s.packages.iter().find(|o| o.id == req.package))
        .ok_or_else(|| {
            AppError::bad(
                "package",
                format!("the specification offers no package `{}`", req.package),
            )
        })?;
    if offer.billing_item != i.sku_id {
        return Err(AppError::bad(
            "package",
            "the package covers another billing item",
        ));
    }
    let now = app.clock.now_ms();
    let expires_at = add_period(now, offer.period, req.periods)
        .ok_or_else(|| AppError::bad("periods", "out of range"))?;
    let row = app
        .store
        .buy_package(&caller.id, &i.id, offer, req.periods, expires_at, now)
        .await?;
    if i.state == InstanceState::Frozen
        && i.freeze_reason.as_deref() == Some(FreezeReason::QuotaExhausted.as_str())
    {
        thaw(app, &i.id, now).await?;
    }
    Ok(row)
}

/// Unfreezes a quota-stopped instance at once and has its plugin told.
async fn thaw(app: &App, id: &str, now: i64) -> Result<(), AppError> {
    let guard = InstanceGuard {
        id,
        states: &[InstanceState::Frozen],
        new_state: Some(InstanceState::Active),
        freeze_reason: None,
    };
    let job = decision_job(id, &JobAction::Unfreeze, &format!("{id}:{now}:package"));
    if app.store.decide(guard, job, now).await? {
        app.wake.notify_one();
    }
    Ok(())
}
