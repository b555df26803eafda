//! The first place two JSON values differ, as a path a seller can read
//! (`ok.app.frontend-url`, `lines[2].amount`).

use serde_json::Value;

/// The path and both sides of the first difference between `expected` and
/// `actual` (object keys in sorted order, then array items in order), or
/// `None` when they are equal. A key missing on one side shows as `null`.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<(String, Value, Value)> {
    walk(expected, actual, String::new())
}

fn walk(expected: &Value, actual: &Value, path: String) -> Option<(String, Value, Value)> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (ev, av) = (
                    e.get(k).unwrap_or(&Value::Null),
                    a.get(k).unwrap_or(&Value::Null),
                );
                if e.contains_key(k) != a.contains_key(k) {
                    return Some((join(&path, k), ev.clone(), av.clone()));
                }
                walk(ev, av, join(&path, k))
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| walk(ev, av, format!("{path}[{i}]"))),
        (e, a) if e == a => None,
        (e, a) => Some((
            if path.is_empty() { "$".into() } else { path },
            e.clone(),
            a.clone(),
        )),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_first_differing_leaf() {
        let e = json!({"ok": {"instance-id": "a", "app": {"lines": [1, 2, 3]}}});
        assert_eq!(first_difference(&e, &e), None);
        let a = json!({"ok": {"instance-id": "a", "app": {"lines": [1, 5, 3]}}});
        assert_eq!(
            first_difference(&e, &a),
            Some(("ok.app.lines[1]".into(), json!(2), json!(5)))
        );
        let a = json!({"err": {"refused": "no"}});
        assert_eq!(
            first_difference(&e, &a),
            Some(("err".into(), json!(null), json!({"refused": "no"})))
        );
        assert_eq!(
            first_difference(&json!([1]), &json!([1, 2])),
            Some(("$".into(), json!([1]), json!([1, 2])))
        );
    }
}
