//! Checks a pricing plugin's answer before it becomes a charge: canonical
//! decimal strings, no negative numbers, amounts in whole cents, the lines
//! adding up to the total, and the request's currency.

use rust_decimal::Decimal;
use serde_json::Value;

use super::QuoteError;
use crate::domain::pricing::money::{MONEY_SCALE, is_cents};
use crate::domain::pricing::{Quote, QuoteLine};

/// At most this many lines in a plugin's quote.
const LINES_MAX: usize = 100;
/// At most this many characters in a line's item.
const ITEM_MAX: usize = 200;

/// The quote in a pricing plugin's `result<quotation, plugin-error>` output.
pub fn check_answer(output: &Value, currency: &str, sha: &str) -> Result<Quote, QuoteError> {
    let bad = |field: &str, message: String| QuoteError::BadAnswer {
        field: field.into(),
        message,
    };
    let Some(ok) = output.get("ok") else {
        let err = output.get("err").unwrap_or(&Value::Null);
        return Err(QuoteError::Declined(describe(err)));
    };
    if ok.get("currency").and_then(Value::as_str) != Some(currency) {
        return Err(bad(
            "currency",
            format!(
                "must be {currency}, the product's currency; got {}",
                ok["currency"]
            ),
        ));
    }
    let lines = ok
        .get("lines")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("lines", "missing".into()))?;
    if lines.len() > LINES_MAX {
        return Err(bad("lines", format!("at most {LINES_MAX} lines")));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let item = line.get("item").and_then(Value::as_str).unwrap_or_default();
        if item.trim().is_empty() || item.chars().count() > ITEM_MAX {
            return Err(bad(
                &at("item"),
                format!("must be 1 to {ITEM_MAX} characters"),
            ));
        }
        let number = |f: &str| decimal(&line[f]).map_err(|m| bad(&at(f), m));
        let quantity = number("quantity")?;
        let unit_price = number("unit-price")?;
        let amount = number("amount")?;
        if !is_cents(amount) {
            return Err(bad(
                &at("amount"),
                format!("{amount} is not in whole cents"),
            ));
        }
        out.push(QuoteLine {
            item: item.into(),
            quantity,
            unit_price,
            amount,
        });
    }
    let total = decimal(&ok["total"]).map_err(|m| bad("total", m))?;
    let sum: Decimal = out.iter().map(|l| l.amount).sum();
    if sum != total {
        return Err(bad(
            "total",
            format!("{total} is not the sum of the lines, {sum}"),
        ));
    }
    let mut quote = Quote::new(currency, out, format!("plugin:{sha}"));
    quote.total.rescale(MONEY_SCALE);
    Ok(quote)
}

/// A canonical, non-negative decimal string: digits, optionally `.` and
/// digits; no sign, exponent, spaces or separators.
fn decimal(v: &Value) -> Result<Decimal, String> {
    let Some(s) = v.as_str() else {
        return Err(format!("must be a decimal string, not {v}"));
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if s.starts_with('-') {
        return Err(format!("{s} is negative"));
    }
    if !digits(int) || !digits(frac) {
        return Err(format!(
            "{s:?} is not a canonical decimal string such as \"12.50\""
        ));
    }
    s.parse().map_err(|_| format!("{s} does not fit a decimal"))
}

/// The plugin's error variant as one sentence.
fn describe(err: &Value) -> String {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    if let Some(e) = err.get("invalid-input") {
        format!(
            "invalid input at {}: {}",
            text(&e["field"]),
            text(&e["message"])
        )
    } else if let Some((kind, why)) = err.as_object().and_then(|o| o.iter().next()) {
        format!("{kind}: {}", text(why))
    } else {
        format!("unexpected answer {err}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn quote(lines: Value, total: &str) -> Value {
        json!({"ok": {"currency": "USD", "lines": lines, "total": total}})
    }

    fn line(amount: &str) -> Value {
        json!({"item": "x", "quantity": "1", "unit-price": amount, "amount": amount})
    }

    fn field(answer: Value) -> String {
        match check_answer(&answer, "USD", "sha") {
            Err(QuoteError::BadAnswer { field, .. }) => field,
            other => panic!("expected a bad answer, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_consistent_quote() {
        let q = check_answer(&quote(json!([line("0.90"), line("1")]), "1.9"), "USD", "s")
            .expect("valid");
        assert_eq!(q.total.to_string(), "1.90");
        assert_eq!(q.priced_by, "plugin:s");
        assert_eq!(q.lines.len(), 2);
    }

    #[test]
    fn refuses_what_cannot_be_charged() {
        assert_eq!(field(quote(json!([line("1.00")]), "1.01")), "total");
        assert_eq!(
            field(quote(json!([line("-1.00")]), "-1.00")),
            "lines[0].unit-price"
        );
        assert_eq!(
            field(quote(json!([line("1.005")]), "1.005")),
            "lines[0].amount"
        );
        assert_eq!(
            field(quote(json!([line("1e2")]), "100")),
            "lines[0].unit-price"
        );
        assert_eq!(
            field(quote(json!([line(" 1")]), "1")),
            "lines[0].unit-price"
        );
        assert_eq!(
            field(quote(json!([line("1.")]), "1")),
            "lines[0].unit-price"
        );
        assert_eq!(field(quote(json!([line("1")]), "one")), "total");
        let mut l = line("1");
        l["item"] = json!("");
        assert_eq!(field(quote(json!([l]), "1")), "lines[0].item");
        let mut q = quote(json!([line("1")]), "1");
        q["ok"]["currency"] = json!("EUR");
        assert_eq!(field(q), "currency");
        assert_eq!(field(json!({"ok": {"currency": "USD"}})), "lines");
    }

    #[test]
    fn plugin_errors_are_declines() {
        let e = check_answer(&json!({"err": {"refused": "no"}}), "USD", "s").expect_err("err");
        assert!(matches!(e, QuoteError::Declined(m) if m == "refused: no"));
    }
}
