//! The API document as a contract: every answer a black-box test receives
//! through [`crate::TestApp`] is checked against the schema the OpenAPI
//! document declares for its method, path and status. So a route whose
//! handler returns a field its schema lacks (or misses a required one, or
//! answers a status it does not document) fails whichever test meets it.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// The document of one running service and the validators compiled from it.
pub struct Contract {
    doc: Value,
    /// `(method, template)` of every documented operation.
    templates: Vec<(String, String)>,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Contract {
    /// Reads the document a service serves.
    pub fn new(doc: Value) -> Self {
        let mut templates = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, item) in paths {
                for method in item.as_object().into_iter().flat_map(|o| o.keys()) {
                    templates.push((method.clone(), path.clone()));
                }
            }
        }
        Contract {
            doc,
            templates,
            validators: Mutex::default(),
        }
    }

    /// The documented template a concrete path matches (`/v1/orders/ord_1`
    /// → `/v1/orders/{id}`), preferring literal segments over parameters.
    fn template(&self, method: &str, path: &str) -> Option<&str> {
        let segs: Vec<&str> = path.split('/').collect();
        self.templates
            .iter()
            .filter(|(m, _)| m == method)
            .filter_map(|(_, t)| {
                let tsegs: Vec<&str> = t.split('/').collect();
                if tsegs.len() != segs.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in tsegs.iter().zip(&segs) {
                    if t.starts_with('{') {
                        continue;
                    }
                    if t != s {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, t.as_str()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, t)| t)
    }

    /// Checks one answer; panics with what differs.
    pub fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let method = method.to_ascii_lowercase();
        let path = path.split('?').next().unwrap_or(path);
        let Some(template) = self.template(&method, path) else {
            // A route the document does not have: only a 404 or 405 is
            // a fair answer for it.
            if status != 404 && status != 405 {
                fail(format!(
                    "{method} {path} answered {status} but is not in the OpenAPI document"
                ));
            }
            return;
        };
        let op = &self.doc["paths"][template][&method];
        let responses = &op["responses"];
        let class = format!("{}XX", status / 100);
        let Some((key, response)) = [status.to_string(), class, "default".into()]
            .into_iter()
            .find_map(|k| responses.get(&k).map(|r| (k, r)))
        else {
            return fail(format!(
                "{method} {template} answered {status}, which its document does not list"
            ));
        };
        let Some(schema) = response["content"]["application/json"].get("schema") else {
            return;
        };
        let cache_key = format!("{method} {template} {key}");
        let validator = {
            let mut cache = self.validators.lock().unwrap();
            cache
                .entry(cache_key.clone())
                .or_insert_with(|| {
                    // The schema sits in a copy of the document's components so
                    // its `#/components/...` references resolve.
                    let root = json!({
                        "$schema": "https://json-schema.org/draft/2020-12/schema",
                        "allOf": [schema],
                        "components": self.doc["components"],
                    });
                    std::sync::Arc::new(
                        jsonschema::validator_for(&root)
                            .unwrap_or_else(|e| panic!("{cache_key}: bad schema: {e}")),
                    )
                })
                .clone()
        };
        let errors: Vec<String> = validator
            .iter_errors(body)
            .take(5)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect();
        if !errors.is_empty() {
            fail(format!(
                "{method} {template} ({status}) does not match its documented schema:\n{}\nbody: {body}",
                errors.join("\n")
            ));
        }
    }
}

/// Fails the test, or with `BAZAAR_CONTRACT_LOG=FILE` appends the finding
/// there and goes on (to list every mismatch of a run at once).
fn fail(message: String) {
    match std::env::var_os("BAZAAR_CONTRACT_LOG") {
        Some(file) => {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
            {
                let _ = writeln!(f, "{message}\n");
            }
        }
        None => panic!("{message}"),
    }
}
