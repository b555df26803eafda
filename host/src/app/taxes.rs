//! Settlement taxes from the platform's active `settlement` rule plugins
//! (seller guide §8.1): each rule is asked for the taxes of a bill's lines,
//! with the end of the bill's month as the logical time and a seed of the
//! seller and month, so the same bill always gets the same taxes. Every
//! amount a rule gives is checked and rounded by the domain's one rule
//! ([`Taxes::from_rule`]); several rules' taxes add up. A rule that fails,
//! refuses or answers for the wrong lines stops the bill (nothing is
//! written) until it is fixed or rolled back: a bill must not go out with
//! taxes missing.

use super::plugin_pool::{CallKind, PluginPool, Ticket};
use crate::domain::settlement::{TaxKind, TaxPayer, Taxes};
use crate::ids::seed_of;
use crate::runtime::wit::latest::settlement::{self, BillLine, LineKind};
use crate::runtime::{CallBudget, CallContext, MemoryKv, Runtime, wit_json};
use crate::store::{RuleActivation, Store, TaxFuture, TaxLine, TaxRequest, Taxer};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Lines per plugin call: keeps each call's input well under the input cap
/// however large a seller's bill.
const LINES_PER_CALL: usize = 500;

/// The taxer of `rules`, the active settlement rules
/// (`store.active_rules(Some("settlement"))`); `None` when there are none
/// (every tax is then zero).
pub fn taxer_of(
    rules: Vec<RuleActivation>,
    store: &Store,
    runtime: Arc<Runtime>,
    plugins: Arc<PluginPool>,
) -> Option<Arc<Taxer>> {
    if rules.is_empty() {
        return None;
    }
    let rules = Arc::new(rules);
    let store = store.clone();
    let taxer = move |request: TaxRequest| -> TaxFuture {
        let (rules, runtime, plugins) = (rules.clone(), runtime.clone(), plugins.clone());
        let store = store.clone();
        Box::pin(async move {
            let currencies = currencies(&store, &request).await?;
            tax(&rules, &runtime, &plugins, &currencies, request).await
        })
    };
    Some(Arc::new(taxer))
}

/// The currency of each product on the bill: its live definition's.
async fn currencies(
    store: &Store,
    request: &TaxRequest,
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for line in &request.lines {
        if out.contains_key(&line.product_id) {
            continue;
        }
        let row = store
            .product(&line.product_id)
            .await
            .map_err(|e| format!("reading product {}: {e}", line.product_id))?;
        let currency = row
            .and_then(|r| r.live_draft())
            .map_or_else(|| "USD".to_string(), |d| d.currency);
        out.insert(line.product_id.clone(), currency);
    }
    Ok(out)
}

fn kind(line: &TaxLine) -> LineKind {
    match line.kind {
        "usage-charge" => LineKind::UsageCharge,
        "package" => LineKind::Package,
        "refund" => LineKind::Refund,
        _ => LineKind::Order,
    }
}

fn bill_line(
    request: &TaxRequest,
    line: &TaxLine,
    currencies: &HashMap<String, String>,
) -> BillLine {
    BillLine {
        line_id: line.id.clone(),
        kind: kind(line),
        seller_id: request.seller_id.clone(),
        seller_country: request.seller_country.clone(),
        customer_id: line.customer_id.clone(),
        customer_country: line.customer_country.clone(),
        product_id: line.product_id.clone(),
        currency: currencies
            .get(&line.product_id)
            .cloned()
            .unwrap_or_default(),
        sales_amount: line.sales.to_string(),
        platform_fee_percent: line.fee_percent.normalize().to_string(),
        effective_at: line.effective_at,
    }
}

/// One tax of a rule's answer in the domain's terms.
fn amount(tax: &settlement::Tax) -> Result<(TaxPayer, TaxKind, Decimal), String> {
    let payer = match tax.payer {
        settlement::TaxPayer::Customer => TaxPayer::Customer,
        settlement::TaxPayer::Seller => TaxPayer::Seller,
    };
    let kind = match tax.kind {
        settlement::TaxKind::Wht => TaxKind::Wht,
        settlement::TaxKind::Dst => TaxKind::Dst,
    };
    let value = crate::domain::money::parse_canonical(&tax.amount)
        .ok_or_else(|| format!("the amount `{}` is not a decimal", tax.amount))?;
    Ok((payer, kind, value))
}

async fn tax(
    rules: &[RuleActivation],
    runtime: &Arc<Runtime>,
    plugins: &PluginPool,
    currencies: &HashMap<String, String>,
    request: TaxRequest,
) -> Result<Vec<Taxes>, String> {
    let mut total = vec![Taxes::default(); request.lines.len()];
    let month = request.month.id();
    for rule in rules {
        let sha = rule.plugin.clone().unwrap_or_default();
        let failed = |why: String| format!("settlement rule `{}` ({sha}): {why}", rule.name);
        let plugin = runtime
            .get(&sha)
            .ok_or_else(|| failed("the plugin is not loaded".into()))?;
        for (n, chunk) in request.lines.chunks(LINES_PER_CALL).enumerate() {
            let lines: Vec<BillLine> = chunk
                .iter()
                .map(|l| bill_line(&request, l, currencies))
                .collect();
            let ctx = CallContext {
                now_ms: request.month.end_ms(),
                seed: seed_of(&format!("tax:{}:{month}:{n}", request.seller_id)),
                config: Default::default(),
                kv: Arc::new(MemoryKv::new()),
            };
            let (rt, plugin) = (runtime.clone(), plugin.clone());
            let ticket = Ticket::new(request.seller_id.clone(), CallKind::Worker);
            let outcome = plugins
                .run(ticket, move || {
                    rt.call_tax_lines(&plugin, &lines, ctx, &CallBudget::default())
                })
                .await
                .map_err(|e| failed(e.to_string()))?
                .map_err(|f| failed(format!("the call failed: {}", f.error)))?;
            let answer = outcome
                .output
                .map_err(|e| failed(format!("it refused: {}", wit_json(&e))))?;
            if answer.len() != chunk.len() {
                return Err(failed(format!(
                    "it answered {} lines for {}",
                    answer.len(),
                    chunk.len()
                )));
            }
            for (i, (line, taxed)) in chunk.iter().zip(&answer).enumerate() {
                if taxed.line_id != line.id {
                    return Err(failed(format!(
                        "its answer {i} is for `{}`, not line `{}`",
                        taxed.line_id, line.id
                    )));
                }
                let amounts = taxed
                    .taxes
                    .iter()
                    .map(amount)
                    .collect::<Result<Vec<_>, _>>();
                let taxes = amounts
                    .and_then(|a| Taxes::from_rule(line.sales, a))
                    .map_err(|why| failed(format!("line `{}`: {why}", line.id)))?;
                let slot = &mut total[n * LINES_PER_CALL + i];
                *slot = slot.plus(taxes);
            }
        }
    }
    for (line, taxes) in request.lines.iter().zip(&total) {
        // Each rule's taxes fit the sale; together they must too.
        Taxes::from_rule(
            line.sales,
            [
                (TaxPayer::Customer, TaxKind::Wht, taxes.customer_wht),
                (TaxPayer::Customer, TaxKind::Dst, taxes.customer_dst),
                (TaxPayer::Seller, TaxKind::Wht, taxes.seller_wht),
                (TaxPayer::Seller, TaxKind::Dst, taxes.seller_dst),
            ],
        )
        .map_err(|why| format!("the settlement rules together, line `{}`: {why}", line.id))?;
    }
    Ok(total)
}
