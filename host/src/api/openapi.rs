//! The OpenAPI 3.1 document of the service, served at `/v1/openapi.json`.
//! It is built from one table of routes; a black-box test calls every path
//! in it, so a documented route that does not exist fails the build.

use serde_json::{Map, Value, json};

/// `(method, path, roles, summary)` of every route.
const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("get", "/healthz", "anyone", "Liveness"),
    (
        "post",
        "/v1/accounts",
        "operator",
        "Create an account; returns its token once",
    ),
    ("get", "/v1/me", "any", "The caller's account"),
    (
        "get",
        "/v1/plugins",
        "seller, operator",
        "Plugin versions (sellers: their own)",
    ),
    (
        "post",
        "/v1/plugins",
        "seller, operator",
        "Upload a component (raw bytes) as the next version of `name`",
    ),
    (
        "get",
        "/v1/plugins/{sha256}",
        "seller, operator",
        "One plugin version",
    ),
    (
        "post",
        "/v1/plugins/{sha256}/calls",
        "seller, operator",
        "Run one function in the sandbox (debug call)",
    ),
    (
        "get",
        "/v1/products",
        "any",
        "Products (customers: listed ones)",
    ),
    (
        "post",
        "/v1/products",
        "seller",
        "Create a product from a definition",
    ),
    ("get", "/v1/products/{id}", "any", "One product"),
    (
        "put",
        "/v1/products/{id}/draft",
        "seller",
        "Replace the draft",
    ),
    (
        "post",
        "/v1/products/{id}/status",
        "seller, operator",
        "Hide, re-list or remove",
    ),
    (
        "post",
        "/v1/products/{id}/release-applications",
        "seller",
        "Submit the draft for review",
    ),
    (
        "get",
        "/v1/release-applications",
        "seller, operator",
        "Release applications (`?state=`)",
    ),
    (
        "get",
        "/v1/release-applications/{id}",
        "seller, operator",
        "One application",
    ),
    (
        "post",
        "/v1/release-applications/{id}/approve",
        "operator",
        "Approve: the snapshot goes live",
    ),
    (
        "post",
        "/v1/release-applications/{id}/reject",
        "operator",
        "Reject with a reason",
    ),
    (
        "post",
        "/v1/release-applications/{id}/withdraw",
        "seller",
        "Withdraw a pending application",
    ),
    (
        "post",
        "/v1/quotes",
        "any",
        "Itemised price of a subscription, as its order would charge it",
    ),
    ("get", "/v1/orders", "any", "Orders of the caller"),
    (
        "post",
        "/v1/orders",
        "customer",
        "Subscribe (honours `Idempotency-Key`)",
    ),
    ("get", "/v1/orders/{id}", "any", "One order"),
    (
        "get",
        "/v1/orders/{id}/service-flow",
        "any",
        "The service supervision flow",
    ),
    (
        "post",
        "/v1/orders/{id}/service-flow",
        "any",
        "Act in the service supervision flow",
    ),
    ("get", "/v1/instances", "any", "Instances of the caller"),
    (
        "get",
        "/v1/instances/{id}",
        "any",
        "One instance (credentials for its customer and seller)",
    ),
    (
        "get",
        "/v1/instances/{id}/orders",
        "any",
        "The orders of an instance",
    ),
    (
        "post",
        "/v1/instances/{id}/renew",
        "customer",
        "Renew for `periods`",
    ),
    (
        "post",
        "/v1/instances/{id}/convert",
        "customer",
        "Convert a trial to a paid subscription",
    ),
    (
        "post",
        "/v1/instances/{id}/upgrade",
        "customer",
        "Upgrade to a dearer SKU of the same specification",
    ),
    (
        "post",
        "/v1/instances/{id}/quote",
        "customer",
        "Itemised price of a renewal, conversion or upgrade",
    ),
    (
        "post",
        "/v1/instances/{id}/unsubscribe",
        "customer",
        "Unsubscribe: released at once",
    ),
    (
        "get",
        "/v1/balance",
        "customer",
        "Balance and unpaid charges",
    ),
    (
        "post",
        "/v1/balance/top-up",
        "customer",
        "Add to the balance (honours `Idempotency-Key`); pays unpaid charges oldest first",
    ),
    (
        "get",
        "/v1/instances/{id}/charges",
        "any",
        "Pay-per-use charges of an instance",
    ),
    (
        "get",
        "/v1/instances/{id}/packages",
        "any",
        "Usage packages of a pay-per-use instance",
    ),
    (
        "post",
        "/v1/instances/{id}/packages",
        "customer",
        "Buy a usage package from the balance",
    ),
    (
        "post",
        "/v1/usage",
        "seller",
        "Send up to 1,000 usage records; one result per record",
    ),
    (
        "get",
        "/v1/instances/{id}/usage",
        "any",
        "Usage records of a pay-per-use instance (`?after=&limit=`)",
    ),
    (
        "get",
        "/v1/products/{id}/metering",
        "seller, operator",
        "How the product's usage collection stands: collected until, failures in a row, the last error, the next retry",
    ),
    (
        "get",
        "/v1/feed",
        "seller",
        "Instance changes after a cursor (`?after=&limit=`)",
    ),
    ("get", "/v1/clock", "any", "The service clock"),
    (
        "post",
        "/v1/clock/advance",
        "operator",
        "Move a simulated clock forward",
    ),
    ("get", "/v1/stats", "operator", "Lifecycle worker counters"),
    ("get", "/v1/openapi.json", "anyone", "This document"),
    (
        "post",
        "/v1/release-applications/{id}/review",
        "operator",
        "Re-run the review (cases and active review rules)",
    ),
    (
        "get",
        "/v1/cases",
        "seller, operator",
        "Saved cases (`?plugin=`)",
    ),
    (
        "get",
        "/v1/cases/{id}",
        "seller, operator",
        "One case, whole",
    ),
    (
        "delete",
        "/v1/cases/{id}",
        "seller, operator",
        "Delete a case (409 while a released product uses its plugin version)",
    ),
    (
        "get",
        "/v1/cases/export",
        "seller, operator",
        "Export cases as a case file (`?plugin=`)",
    ),
    (
        "post",
        "/v1/cases/import",
        "seller, operator",
        "Import a case file (validated, idempotent)",
    ),
    (
        "post",
        "/v1/cases/{id}/replay",
        "seller, operator",
        "Replay a case against a plugin version: pass or the first difference",
    ),
    (
        "get",
        "/v1/rules",
        "operator",
        "Active rule plugins and their activation history",
    ),
    (
        "post",
        "/v1/rules/{kind}/{name}/activate",
        "operator",
        "Activate a plugin version as a review or pricing rule",
    ),
    (
        "post",
        "/v1/rules/{kind}/{name}/deactivate",
        "operator",
        "Deactivate a rule",
    ),
];

/// Every documented `(method, path)`, for tests.
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES.iter().map(|(m, p, _, _)| (*m, *p))
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// The request body's schema and an example, for the routes that take JSON.
fn body_of(method: &str, path: &str) -> Option<(Value, Value)> {
    let s = json!({"type": "string"});
    let n = json!({"type": "integer", "minimum": 1});
    let text = |field: &str| {
        object(
            &[field],
            json!({ field: {"type": "string", "maxLength": 1000} }),
        )
    };
    Some(match (method, path) {
        ("post", "/v1/accounts") => (
            object(
                &["role", "name"],
                json!({"role": {"enum": ["operator", "seller", "customer"]}, "name": s}),
            ),
            json!({"role": "seller", "name": "Acme"}),
        ),
        ("post", "/v1/products") | ("put", "/v1/products/{id}/draft") => {
            let example =
                serde_json::to_value(crate::domain::catalog::example_draft(&"0".repeat(64)))
                    .unwrap_or(Value::Null);
            (
                json!({"type": "object", "description": "A product definition; see the README for every rule. Prices are decimal strings."}),
                example,
            )
        }
        ("post", "/v1/products/{id}/status") => (
            object(
                &["status"],
                json!({"status": {"enum": ["hidden", "listed", "removed"]}}),
            ),
            json!({"status": "hidden"}),
        ),
        ("post", "/v1/release-applications/{id}/reject") => {
            (text("reason"), json!({"reason": "The logo is missing"}))
        }
        ("post", "/v1/balance/top-up") => (
            object(
                &["amount"],
                json!({"amount": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,2})?$"}}),
            ),
            json!({"amount": "50.00"}),
        ),
        ("post", "/v1/instances/{id}/packages") => (
            object(&["package"], json!({"package": s, "periods": n})),
            json!({"package": "minutes-100", "periods": 3}),
        ),
        ("post", "/v1/usage") => (
            object(
                &["records"],
                json!({"records": {"type": "array", "maxItems": 1000, "items": object(
                &["metering-id", "instance-id", "billing-item", "begin", "end", "value"],
                json!({"metering-id": s, "instance-id": s, "billing-item": s,
                       "begin": {"type": "integer"}, "end": {"type": "integer"},
                       "value": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}}))}}),
            ),
            json!({"records": [{"metering-id": "sdr-0001", "instance-id": "ins_…", "billing-item": "calls",
                                "begin": 1_767_225_600_000_i64, "end": 1_767_225_660_000_i64, "value": "8"}]}),
        ),
        ("post", "/v1/instances/{id}/quote") => (
            json!({"type": "object", "required": ["action"], "properties": {
                "action": {"enum": ["renew", "convert", "upgrade"]},
                "periods": n, "sku": s, "quantity": n}}),
            json!({"action": "upgrade", "sku": "pro", "quantity": 10}),
        ),
        ("post", "/v1/orders") | ("post", "/v1/quotes") => (
            object(
                &["product", "specification", "sku", "billing-mode"],
                json!({"product": s, "specification": s, "sku": s,
                       "billing-mode": {"enum": ["monthly", "yearly", "one-time", "pay-per-use"]},
                       "periods": n, "quantity": n, "trial": {"type": "boolean"}}),
            ),
            json!({"product": "prod_…", "specification": "standard", "sku": "basic", "billing-mode": "monthly", "periods": 1, "quantity": 5}),
        ),
        ("post", "/v1/instances/{id}/renew") | ("post", "/v1/instances/{id}/convert") => {
            (object(&[], json!({"periods": n})), json!({"periods": 1}))
        }
        ("post", "/v1/instances/{id}/upgrade") => (
            object(&["sku"], json!({"sku": s, "quantity": n})),
            json!({"sku": "pro"}),
        ),
        ("post", "/v1/orders/{id}/service-flow") => (
            json!({"type": "object", "required": ["action"], "properties": {
                "action": {"enum": ["submit-request", "accept-request", "reject-request", "deliver",
                                    "accept-delivery", "reject-delivery", "appeal", "resolve-appeal"]},
                "details": s, "reason": s, "resume": {"type": "boolean"}, "note": s}}),
            json!({"action": "submit-request", "details": "Tenant acme, 5 users"}),
        ),
        ("post", "/v1/clock/advance") => {
            (object(&["ms"], json!({"ms": n})), json!({"ms": 86_400_000}))
        }
        ("post", "/v1/plugins/{sha256}/calls") => (
            object(
                &["world", "function"],
                json!({"world": {"enum": ["lifecycle", "metering", "pricing", "review"]}, "function": s,
                       "input": {"type": "object"}, "now-ms": {"type": "integer"}, "seed": {"type": "integer"},
                       "config": {"type": "object"}, "budget": {"type": "object"}, "commit": {"type": "boolean"},
                       "save": {"type": "boolean"}, "name": s}),
            ),
            json!({"world": "review", "function": "check-listing", "input": {"listing": {}}, "seed": 1}),
        ),
        ("post", "/v1/cases/import") => (
            object(
                &["format", "cases"],
                json!({"format": {"const": "bazaar-cases/1"}, "cases": {"type": "array", "items": {"type": "object"}}}),
            ),
            json!({"format": "bazaar-cases/1", "cases": []}),
        ),
        ("post", "/v1/cases/{id}/replay") => (
            object(&[], json!({"plugin": s})),
            json!({"plugin": "<sha256 of another version>"}),
        ),
        ("post", "/v1/rules/{kind}/{name}/activate") => (
            object(&["plugin"], json!({"plugin": s})),
            json!({"plugin": "<sha256 of a review plugin>"}),
        ),
        _ => return None,
    })
}

/// The document.
pub fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut paths = Map::new();
    for (method, path, roles, summary) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let public = *roles == "anyone";
        let mut op = json!({
            "summary": summary,
            "description": format!("Who: {roles}."),
            "parameters": params,
            "responses": {
                "2XX": {"description": "Success", "content": {"application/json": {}}},
                "4XX": {"description": "What is wrong and where", "content": {"application/json": {"schema": error}}},
            },
        });
        if public {
            op["security"] = json!([]);
        }
        if *method == "post" || *method == "put" {
            let media = if *path == "/v1/plugins" {
                "application/wasm"
            } else {
                "application/json"
            };
            let content = match body_of(method, path) {
                Some((schema, example)) => json!({"schema": schema, "example": example}),
                None => json!({}),
            };
            op["requestBody"] = json!({"required": false, "content": {media: content}});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Bazaar", "version": env!("CARGO_PKG_VERSION"),
                 "description": "A marketplace host whose sellers ship sandboxed WebAssembly plugins."},
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "description": "bad-request, invalid, unauthorized, forbidden, not-found, conflict, plugin-rejected, call-failed"},
                    "message": {"type": "string"},
                    "field": {"type": ["string", "null"], "description": "Where the problem is"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "detail": {}
                }
            }}
        },
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_documented_once_with_its_parameters() {
        let doc = super::document();
        let n: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(n, super::ROUTES.len(), "no (method, path) twice");
        assert_eq!(
            doc["paths"]["/v1/orders/{id}"]["get"]["parameters"][0]["name"],
            "id"
        );
        assert_eq!(
            doc["paths"]["/healthz"]["get"]["security"],
            serde_json::json!([])
        );
        let example = &doc["paths"]["/v1/products"]["post"]["requestBody"]["content"]["application/json"]
            ["example"];
        let draft: crate::domain::catalog::ProductDraft =
            serde_json::from_value(example.clone()).expect("the example is a product definition");
        assert!(
            crate::domain::catalog::validate(&draft).is_ok(),
            "the example is valid"
        );
    }
}
