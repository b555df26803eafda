//! The OpenAPI 3.1 document served at `/v1/openapi.json`, derived from the
//! handlers: every `/v1` route is registered through utoipa-axum's
//! `OpenApiRouter` with its `#[utoipa::path]` (parameters, request and
//! response types), so a route cannot be served undocumented and a field
//! cannot be returned without being in a schema. What holds for every
//! operation — bearer authentication, the JSON error body — is added here,
//! once.

use super::error::ErrorBody;
use serde_json::{Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bazaar",
        description = "A marketplace host in which sellers ship sandboxed WebAssembly components \
                       instead of HTTPS callbacks. Every route but `/healthz` and this document \
                       takes `Authorization: Bearer <token>`. Errors are JSON: \
                       `{error, message, field?}`. Money is a decimal string; times are \
                       milliseconds since the Unix epoch."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Routes anyone may call, without a token.
const PUBLIC: &[&str] = &["/healthz", "/v1/openapi.json"];

/// The document, from the `/v1` routes' derived description.
pub fn document(v1: utoipa::openapi::OpenApi) -> Value {
    let mut doc = ApiDoc::openapi();
    doc.merge(v1);
    let mut doc = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    let paths = doc["paths"].as_object_mut().map(std::mem::take);
    let mut paths = paths.unwrap_or_default();
    paths.insert(
        "/healthz".into(),
        json!({"get": {"summary": "Liveness", "operationId": "healthz",
            "responses": {"200": {"description": "The service is up",
                "content": {"application/json": {"schema": {"type": "object",
                    "required": ["status"], "properties": {"status": {"const": "ok"}}}}}}}}}),
    );
    paths.insert(
        "/v1/openapi.json".into(),
        json!({"get": {"summary": "This document", "operationId": "openapi",
            "responses": {"200": {"description": "The OpenAPI 3.1 document",
                "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
    );
    for (path, item) in paths.iter_mut() {
        let public = PUBLIC.contains(&path.as_str());
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            if !matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch") {
                continue;
            }
            if public {
                op["security"] = json!([]);
                continue;
            }
            let responses = &mut op["responses"];
            if responses.get("401").is_none() {
                responses["401"] = error_response("No token, or an unknown or revoked one");
            }
            if responses.get("4XX").is_none() {
                responses["4XX"] = error_response("What is wrong and where");
            }
            if responses.get("429").is_none() {
                let mut limited = error_response(
                    "Over a rate limit (per token, per address, or after failed authentications)",
                );
                limited["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 1}}});
                responses["429"] = limited;
            }
            if responses.get("503").is_none() {
                responses["503"] = error_response("The request ran past its deadline");
            }
        }
    }
    doc["paths"] = Value::Object(paths);
    doc["openapi"] = json!("3.1.0");
    doc["security"] = json!([{"bearer": []}]);
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "An account token, shown once when the account or token is created"}
    });
    doc
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}
