//! Converts between JSON and component-model values, guided by the types of
//! the function being called.
//!
//! The JSON shape follows the WIT: records are objects with the WIT's
//! kebab-case field names, enums are strings, variants are `"case"` (no
//! payload) or `{"case": payload}`, options are `null` or the value, results
//! are `{"ok": v}` or `{"err": e}`, lists and tuples are arrays, flags are
//! arrays of names. Unknown record fields are an error, not ignored, so a typo
//! in an input is reported instead of silently becoming a default.

mod json_len;
mod typed;

use super::error::CallError;
use serde_json::{Map, Value};
use wasmtime::component::{Type, Val};

pub(crate) use json_len::named_json_len;
pub(crate) use typed::to_val;

/// A value of a type generated from the WIT (`crate::wit::latest`) as JSON:
/// the JSON `Runtime::call` takes and gives for it. `null` for a value no WIT
/// type has (a 128-bit integer), which no generated type holds.
pub fn wit_json<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    to_val(value).map_or(Value::Null, |v| val_to_json(&v))
}

type Conv<T> = Result<T, CallError>;

fn bad(field: &str, message: impl Into<String>) -> CallError {
    CallError::BadInput {
        field: field.to_string(),
        message: message.into(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Converts a JSON value to a value of `ty`; `path` names it in errors.
pub fn json_to_val(json: &Value, ty: &Type, path: &str) -> Conv<Val> {
    macro_rules! int {
        ($variant:ident, $t:ty) => {{
            let n = json
                .as_i64()
                .map(i128::from)
                .or_else(|| json.as_u64().map(i128::from))
                .ok_or_else(|| bad(path, format!("expected an integer, got {}", kind(json))))?;
            let v = <$t>::try_from(n)
                .map_err(|_| bad(path, format!("{n} is out of range for {}", stringify!($t))))?;
            Ok(Val::$variant(v))
        }};
    }
    match ty {
        Type::Bool => json
            .as_bool()
            .map(Val::Bool)
            .ok_or_else(|| bad(path, format!("expected a boolean, got {}", kind(json)))),
        Type::S8 => int!(S8, i8),
        Type::U8 => int!(U8, u8),
        Type::S16 => int!(S16, i16),
        Type::U16 => int!(U16, u16),
        Type::S32 => int!(S32, i32),
        Type::U32 => int!(U32, u32),
        Type::S64 => int!(S64, i64),
        Type::U64 => int!(U64, u64),
        Type::Float32 | Type::Float64 => {
            let f = json
                .as_f64()
                .ok_or_else(|| bad(path, format!("expected a number, got {}", kind(json))))?;
            Ok(if matches!(ty, Type::Float32) {
                Val::Float32(f as f32)
            } else {
                Val::Float64(f)
            })
        }
        Type::Char => {
            let s = string(json, path)?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Val::Char(c)),
                _ => Err(bad(path, "expected a single character")),
            }
        }
        Type::String => Ok(Val::String(string(json, path)?.to_string())),
        Type::List(list) => {
            let items = array(json, path)?;
            let elem = list.ty();
            items
                .iter()
                .enumerate()
                .map(|(i, v)| json_to_val(v, &elem, &format!("{path}[{i}]")))
                .collect::<Conv<Vec<_>>>()
                .map(Val::List)
        }
        Type::Record(record) => {
            let obj = object(json, path)?;
            let mut fields = Vec::with_capacity(record.fields().len());
            let mut given = 0;
            for field in record.fields() {
                let fpath = join(path, field.name);
                let val = match obj.get(field.name) {
                    Some(v) => {
                        given += 1;
                        json_to_val(v, &field.ty, &fpath)?
                    }
                    None if matches!(field.ty, Type::Option(_)) => Val::Option(None),
                    None => return Err(bad(&fpath, "missing field")),
                };
                fields.push((field.name.to_string(), val));
            }
            // Field names are distinct, so every key was a field unless
            // there are more keys than fields found; only then look for it
            // (`fields()` rebuilds each field's type, so the search costs).
            if obj.len() > given
                && let Some(unknown) = obj
                    .keys()
                    .find(|k| !record.fields().any(|f| f.name == k.as_str()))
            {
                return Err(bad(&join(path, unknown), "unknown field"));
            }
            Ok(Val::Record(fields))
        }
        Type::Tuple(tuple) => {
            let items = array(json, path)?;
            if items.len() != tuple.types().len() {
                return Err(bad(
                    path,
                    format!(
                        "expected {} elements, got {}",
                        tuple.types().len(),
                        items.len()
                    ),
                ));
            }
            tuple
                .types()
                .zip(items)
                .enumerate()
                .map(|(i, (t, v))| json_to_val(v, &t, &format!("{path}[{i}]")))
                .collect::<Conv<Vec<_>>>()
                .map(Val::Tuple)
        }
        Type::Variant(variant) => {
            let (name, payload) = case_of(json, path)?;
            let case = variant.cases().find(|c| c.name == name).ok_or_else(|| {
                let names: Vec<_> = variant.cases().map(|c| c.name).collect();
                bad(
                    path,
                    format!("unknown case `{name}`; expected one of {names:?}"),
                )
            })?;
            let payload = match (case.ty, payload) {
                (None, None | Some(Value::Null)) => None,
                (None, Some(_)) => return Err(bad(path, format!("case `{name}` takes no value"))),
                (Some(t), Some(v)) => Some(Box::new(json_to_val(v, &t, &join(path, name))?)),
                (Some(_), None) => return Err(bad(path, format!("case `{name}` needs a value"))),
            };
            Ok(Val::Variant(name.to_string(), payload))
        }
        Type::Enum(en) => {
            let s = string(json, path)?;
            if en.names().any(|n| n == s) {
                Ok(Val::Enum(s.to_string()))
            } else {
                let names: Vec<_> = en.names().collect();
                Err(bad(
                    path,
                    format!("unknown value `{s}`; expected one of {names:?}"),
                ))
            }
        }
        Type::Option(opt) => match json {
            Value::Null => Ok(Val::Option(None)),
            v => Ok(Val::Option(Some(Box::new(json_to_val(
                v,
                &opt.ty(),
                path,
            )?)))),
        },
        Type::Result(res) => {
            let (name, payload) = case_of(json, path)?;
            let side = match name {
                "ok" => res.ok(),
                "err" => res.err(),
                other => return Err(bad(path, format!("expected `ok` or `err`, got `{other}`"))),
            };
            let val = match (side, payload) {
                (None, _) => None,
                (Some(t), Some(v)) => Some(Box::new(json_to_val(v, &t, &join(path, name))?)),
                (Some(_), None) => return Err(bad(path, format!("`{name}` needs a value"))),
            };
            Ok(Val::Result(if name == "ok" { Ok(val) } else { Err(val) }))
        }
        Type::Flags(flags) => {
            let items = array(json, path)?;
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let s = string(item, &format!("{path}[{i}]"))?;
                if !flags.names().any(|n| n == s) {
                    return Err(bad(&format!("{path}[{i}]"), format!("unknown flag `{s}`")));
                }
                out.push(s.to_string());
            }
            Ok(Val::Flags(out))
        }
        other => Err(bad(
            path,
            format!("values of type {other:?} cannot be given as JSON"),
        )),
    }
}

/// Converts a value returned by a plugin to JSON.
pub fn val_to_json(val: &Val) -> Value {
    match val {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => Value::from(*n),
        Val::U8(n) => Value::from(*n),
        Val::S16(n) => Value::from(*n),
        Val::U16(n) => Value::from(*n),
        Val::S32(n) => Value::from(*n),
        Val::U32(n) => Value::from(*n),
        Val::S64(n) => Value::from(*n),
        Val::U64(n) => Value::from(*n),
        Val::Float32(f) => serde_json::Number::from_f64(f64::from(*f))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Val::Float64(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.iter().map(val_to_json).collect())
        }
        Val::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), val_to_json(v)))
                .collect(),
        ),
        Val::Variant(name, None) => Value::String(name.clone()),
        Val::Variant(name, Some(payload)) => single(name, val_to_json(payload)),
        Val::Enum(name) => Value::String(name.clone()),
        Val::Option(None) => Value::Null,
        Val::Option(Some(v)) => val_to_json(v),
        Val::Result(Ok(v)) => single("ok", v.as_deref().map(val_to_json).unwrap_or(Value::Null)),
        Val::Result(Err(e)) => single("err", e.as_deref().map(val_to_json).unwrap_or(Value::Null)),
        Val::Flags(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        Val::Map(pairs) => Value::Array(
            pairs
                .iter()
                .map(|(k, v)| Value::Array(vec![val_to_json(k), val_to_json(v)]))
                .collect(),
        ),
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => Value::Null,
    }
}

/// The size of a value in bytes as the output cap counts it: string and
/// list contents plus a small constant per value.
pub fn val_size(val: &Val) -> u64 {
    8 + match val {
        Val::String(s) => s.len() as u64,
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            items.iter().map(val_size).sum()
        }
        Val::Record(fields) => fields
            .iter()
            .map(|(k, v)| k.len() as u64 + val_size(v))
            .sum(),
        Val::Variant(name, payload) => {
            name.len() as u64 + payload.as_deref().map(val_size).unwrap_or(0)
        }
        Val::Enum(name) => name.len() as u64,
        Val::Option(v) => v.as_deref().map(val_size).unwrap_or(0),
        Val::Result(Ok(v) | Err(v)) => v.as_deref().map(val_size).unwrap_or(0),
        Val::Flags(names) => names.iter().map(|n| n.len() as u64).sum(),
        Val::Map(pairs) => pairs.iter().map(|(k, v)| val_size(k) + val_size(v)).sum(),
        _ => 0,
    }
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

fn kind(json: &Value) -> &'static str {
    match json {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string<'a>(json: &'a Value, path: &str) -> Conv<&'a str> {
    json.as_str()
        .ok_or_else(|| bad(path, format!("expected a string, got {}", kind(json))))
}

fn array<'a>(json: &'a Value, path: &str) -> Conv<&'a Vec<Value>> {
    json.as_array()
        .ok_or_else(|| bad(path, format!("expected an array, got {}", kind(json))))
}

fn object<'a>(json: &'a Value, path: &str) -> Conv<&'a Map<String, Value>> {
    json.as_object()
        .ok_or_else(|| bad(path, format!("expected an object, got {}", kind(json))))
}

/// A variant-like JSON value: `"name"` or `{"name": payload}`.
fn case_of<'a>(json: &'a Value, path: &str) -> Conv<(&'a str, Option<&'a Value>)> {
    match json {
        Value::String(s) => Ok((s, None)),
        Value::Object(map) if map.len() == 1 => {
            let (k, v) = map.iter().next().expect("one entry");
            Ok((k, Some(v)))
        }
        other => Err(bad(
            path,
            format!(
                "expected a case name or an object with exactly one key, got {}",
                kind(other)
            ),
        )),
    }
}
