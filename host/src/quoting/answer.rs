//! Checks a pricing plugin's answer before it becomes a charge: canonical
//! decimal strings, no negative numbers, amounts in whole cents, the lines
//! adding up to the total, and the request's currency.

use rust_decimal::Decimal;

use super::QuoteError;
use crate::domain::pricing::money::{MONEY_SCALE, is_cents};
use crate::domain::pricing::{Quote, QuoteLine};
use crate::runtime::wit::latest::PluginError;
use crate::runtime::wit::latest::pricing::Quotation;

/// At most this many lines in a plugin's quote.
const LINES_MAX: usize = 100;
/// At most this many characters in a line's item.
const ITEM_MAX: usize = 200;

/// The quote in a pricing plugin's `result<quotation, plugin-error>` answer.
pub fn check_answer(
    output: &Result<Quotation, PluginError>,
    currency: &str,
    sha: &str,
) -> Result<Quote, QuoteError> {
    let bad = |field: &str, message: String| QuoteError::BadAnswer {
        field: field.into(),
        message,
    };
    let ok = match output {
        Ok(ok) => ok,
        Err(err) => return Err(QuoteError::Declined(describe(err))),
    };
    if ok.currency != currency {
        return Err(bad(
            "currency",
            format!(
                "must be {currency}, the product's currency; got {}",
                serde_json::Value::from(ok.currency.as_str())
            ),
        ));
    }
    if ok.lines.len() > LINES_MAX {
        return Err(bad("lines", format!("at most {LINES_MAX} lines")));
    }
    let mut out = Vec::with_capacity(ok.lines.len());
    for (i, line) in ok.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let item = line.item.as_str();
        if item.trim().is_empty() || item.chars().count() > ITEM_MAX {
            return Err(bad(
                &at("item"),
                format!("must be 1 to {ITEM_MAX} characters"),
            ));
        }
        let number = |f: &str, v: &str| decimal(v).map_err(|m| bad(&at(f), m));
        let quantity = number("quantity", &line.quantity)?;
        let unit_price = number("unit-price", &line.unit_price)?;
        let amount = number("amount", &line.amount)?;
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
    let total = decimal(&ok.total).map_err(|m| bad("total", m))?;
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
fn decimal(s: &str) -> Result<Decimal, String> {
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

/// The plugin's error as one sentence.
fn describe(err: &PluginError) -> String {
    match err {
        PluginError::InvalidInput(e) => format!("invalid input at {}: {}", e.field, e.message),
        PluginError::Refused(why) => format!("refused: {why}"),
        PluginError::Transient(why) => format!("transient: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::wit::latest::pricing::QuoteLine as WitLine;

    fn quote(lines: Vec<WitLine>, total: &str) -> Result<Quotation, PluginError> {
        Ok(Quotation {
            currency: "USD".into(),
            lines,
            total: total.into(),
        })
    }

    fn line(amount: &str) -> WitLine {
        WitLine {
            item: "x".into(),
            quantity: "1".into(),
            unit_price: amount.into(),
            amount: amount.into(),
        }
    }

    fn field(answer: Result<Quotation, PluginError>) -> String {
        match check_answer(&answer, "USD", "sha") {
            Err(QuoteError::BadAnswer { field, .. }) => field,
            other => panic!("expected a bad answer, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_consistent_quote() {
        let q =
            check_answer(&quote(vec![line("0.90"), line("1")], "1.9"), "USD", "s").expect("valid");
        assert_eq!(q.total.to_string(), "1.90");
        assert_eq!(q.priced_by, "plugin:s");
        assert_eq!(q.lines.len(), 2);
    }

    #[test]
    fn refuses_what_cannot_be_charged() {
        assert_eq!(field(quote(vec![line("1.00")], "1.01")), "total");
        assert_eq!(
            field(quote(vec![line("-1.00")], "-1.00")),
            "lines[0].unit-price"
        );
        assert_eq!(
            field(quote(vec![line("1.005")], "1.005")),
            "lines[0].amount"
        );
        assert_eq!(
            field(quote(vec![line("1e2")], "100")),
            "lines[0].unit-price"
        );
        assert_eq!(field(quote(vec![line(" 1")], "1")), "lines[0].unit-price");
        assert_eq!(field(quote(vec![line("1.")], "1")), "lines[0].unit-price");
        assert_eq!(field(quote(vec![line("1")], "one")), "total");
        let mut l = line("1");
        l.item = String::new();
        assert_eq!(field(quote(vec![l], "1")), "lines[0].item");
        let mut q = quote(vec![line("1")], "1");
        if let Ok(q) = &mut q {
            q.currency = "EUR".into();
        }
        assert_eq!(field(q), "currency");
    }

    #[test]
    fn plugin_errors_are_declines() {
        let e = check_answer(&Err(PluginError::Refused("no".into())), "USD", "s").expect_err("err");
        assert!(matches!(e, QuoteError::Declined(m) if m == "refused: no"));
    }
}
