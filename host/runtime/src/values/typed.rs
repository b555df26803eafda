//! Component-model values from the Rust types `bindgen!` generates, through
//! the `serde::Serialize` they derive: what lets a typed call count its input
//! and output against the same caps, and show its output as the same JSON, as
//! a call through the JSON path.
//!
//! The generated types keep the WIT's shape under Rust names: a record's
//! `frontend-url` is the field `frontend_url`, a case `trial-to-formal` is
//! the variant `TrialToFormal`, `result` and `option` are Rust's own. Turning
//! the names back is exact for the WIT's identifiers (lower-case words, digits
//! only after a letter), which a test checks against every identifier in
//! `wit/plugin.wit`.

use serde::ser::{self, Serialize};
use wasmtime::component::Val;

/// Why a value has no component-model form (a shape no WIT type has).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotWit(String);

impl ser::Error for NotWit {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NotWit(msg.to_string())
    }
}

/// The value of a generated WIT type as a [`Val`].
pub fn to_val<T: Serialize + ?Sized>(value: &T) -> Result<Val, NotWit> {
    value.serialize(ToVal).map(filled)
}

/// `None` stands for "no value" (Rust's `()`, as in `result<_, e>`); where
/// a value is required the empty tuple takes its place.
type Out = Result<Option<Val>, NotWit>;

fn filled(v: Option<Val>) -> Val {
    v.unwrap_or(Val::Tuple(Vec::new()))
}

fn boxed(v: Option<Val>) -> Option<Box<Val>> {
    v.map(Box::new)
}

/// `frontend_url` → `frontend-url`; a trailing `_` escapes a Rust keyword.
fn field_name(rust: &str) -> String {
    rust.trim_end_matches('_').replace('_', "-")
}

/// `TrialToFormal` → `trial-to-formal`, `RandomU64` → `random-u64`.
fn case_name(rust: &str) -> String {
    let mut out = String::with_capacity(rust.len() + 4);
    for (i, c) in rust.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

struct ToVal;

/// A list, tuple or map being built.
struct Items {
    items: Vec<Val>,
    shape: Shape,
}

enum Shape {
    List,
    Tuple,
    /// A variant case whose payload is a tuple.
    Case(String),
}

/// A record being built, or a variant case whose payload is one.
struct Fields {
    fields: Vec<(String, Val)>,
    case: Option<String>,
}

struct Pairs {
    pairs: Vec<(Val, Val)>,
    key: Option<Val>,
}

impl ser::Serializer for ToVal {
    type Ok = Option<Val>;
    type Error = NotWit;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = Items;
    type SerializeMap = Pairs;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Fields;

    fn serialize_bool(self, v: bool) -> Out {
        Ok(Some(Val::Bool(v)))
    }
    fn serialize_i8(self, v: i8) -> Out {
        Ok(Some(Val::S8(v)))
    }
    fn serialize_i16(self, v: i16) -> Out {
        Ok(Some(Val::S16(v)))
    }
    fn serialize_i32(self, v: i32) -> Out {
        Ok(Some(Val::S32(v)))
    }
    fn serialize_i64(self, v: i64) -> Out {
        Ok(Some(Val::S64(v)))
    }
    fn serialize_u8(self, v: u8) -> Out {
        Ok(Some(Val::U8(v)))
    }
    fn serialize_u16(self, v: u16) -> Out {
        Ok(Some(Val::U16(v)))
    }
    fn serialize_u32(self, v: u32) -> Out {
        Ok(Some(Val::U32(v)))
    }
    fn serialize_u64(self, v: u64) -> Out {
        Ok(Some(Val::U64(v)))
    }
    fn serialize_f32(self, v: f32) -> Out {
        Ok(Some(Val::Float32(v)))
    }
    fn serialize_f64(self, v: f64) -> Out {
        Ok(Some(Val::Float64(v)))
    }
    fn serialize_char(self, v: char) -> Out {
        Ok(Some(Val::Char(v)))
    }
    fn serialize_str(self, v: &str) -> Out {
        Ok(Some(Val::String(v.to_string())))
    }
    fn serialize_bytes(self, v: &[u8]) -> Out {
        Ok(Some(Val::List(v.iter().copied().map(Val::U8).collect())))
    }
    fn serialize_none(self) -> Out {
        Ok(Some(Val::Option(None)))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out {
        let inner = value.serialize(ToVal)?;
        Ok(Some(Val::Option(Some(Box::new(filled(inner))))))
    }
    fn serialize_unit(self) -> Out {
        Ok(None)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out {
        Ok(None)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out {
        // A WIT enum value, or a variant case without payload: both are a
        // name, counted and shown alike.
        Ok(Some(Val::Enum(case_name(variant))))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out {
        value.serialize(ToVal)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out {
        let payload = boxed(value.serialize(ToVal)?);
        // serde's own `Result` impl: the WIT `result`.
        Ok(Some(match (name, variant) {
            ("Result", "Ok") => Val::Result(Ok(payload)),
            ("Result", "Err") => Val::Result(Err(payload)),
            _ => Val::Variant(case_name(variant), payload),
        }))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items, NotWit> {
        Ok(Items {
            items: Vec::with_capacity(len.unwrap_or(0)),
            shape: Shape::List,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Items, NotWit> {
        Ok(Items {
            items: Vec::with_capacity(len),
            shape: Shape::Tuple,
        })
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items, NotWit> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items, NotWit> {
        Ok(Items {
            items: Vec::with_capacity(len),
            shape: Shape::Case(case_name(variant)),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Pairs, NotWit> {
        Ok(Pairs {
            pairs: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Fields, NotWit> {
        Ok(Fields {
            fields: Vec::with_capacity(len),
            case: None,
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Fields, NotWit> {
        Ok(Fields {
            fields: Vec::with_capacity(len),
            case: Some(case_name(variant)),
        })
    }
    fn serialize_i128(self, v: i128) -> Out {
        Err(NotWit(format!("{v}: WIT has no 128-bit integers")))
    }
    fn serialize_u128(self, v: u128) -> Out {
        Err(NotWit(format!("{v}: WIT has no 128-bit integers")))
    }
}

impl Items {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        self.items.push(filled(value.serialize(ToVal)?));
        Ok(())
    }

    fn finish(self) -> Out {
        Ok(Some(match self.shape {
            Shape::List => Val::List(self.items),
            Shape::Tuple => Val::Tuple(self.items),
            Shape::Case(name) => Val::Variant(name, Some(Box::new(Val::Tuple(self.items)))),
        }))
    }
}

impl ser::SerializeSeq for Items {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        self.push(value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl ser::SerializeTuple for Items {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        self.push(value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Items {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        self.push(value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Items {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        self.push(value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl ser::SerializeMap for Pairs {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotWit> {
        self.key = Some(filled(key.serialize(ToVal)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotWit> {
        let key = self
            .key
            .take()
            .ok_or_else(|| NotWit("a map value without its key".into()))?;
        self.pairs.push((key, filled(value.serialize(ToVal)?)));
        Ok(())
    }
    fn end(self) -> Out {
        Ok(Some(Val::Map(self.pairs)))
    }
}

impl Fields {
    fn push<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), NotWit> {
        self.fields
            .push((field_name(key), filled(value.serialize(ToVal)?)));
        Ok(())
    }

    fn finish(self) -> Out {
        let record = Val::Record(self.fields);
        Ok(Some(match self.case {
            None => record,
            Some(name) => Val::Variant(name, Some(Box::new(record))),
        }))
    }
}

impl ser::SerializeStruct for Fields {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotWit> {
        self.push(key, value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Fields {
    type Ok = Option<Val>;
    type Error = NotWit;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotWit> {
        self.push(key, value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{val_size, val_to_json};
    use crate::wit::latest::{PluginError, lifecycle};
    use serde_json::json;

    /// What `bindgen!` (heck) makes of a WIT identifier.
    fn upper_camel(wit: &str) -> String {
        wit.split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn every_wit_identifier_round_trips() {
        let wit = include_str!("../../../../wit/plugin.wit");
        let code: String = wit
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let idents = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()));
        let mut checked = 0;
        for id in idents {
            assert_eq!(case_name(&upper_camel(id)), id, "case {id}");
            assert_eq!(field_name(&id.replace('-', "_")), id, "field {id}");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} identifiers found");
    }

    #[test]
    fn typed_values_show_as_the_json_path_shows_them() {
        let provisioned: Result<lifecycle::Provisioned, PluginError> = Ok(lifecycle::Provisioned {
            instance_id: "i-1".into(),
            app: lifecycle::AppInfo {
                frontend_url: "https://x".into(),
                admin_url: None,
                username: "u".into(),
                password: "p".into(),
                memo: Some("m".into()),
            },
        });
        let val = to_val(&provisioned).expect("a WIT value");
        assert_eq!(
            val_to_json(&val),
            json!({"ok": {"instance-id": "i-1", "app": {"frontend-url": "https://x",
                "admin-url": null, "username": "u", "password": "p", "memo": "m"}}})
        );
        // The very `Val` the JSON path lifts, so the output cap counts alike.
        let s = |v: &str| Val::String(v.into());
        let expected = Val::Result(Ok(Some(Box::new(Val::Record(vec![
            ("instance-id".into(), s("i-1")),
            (
                "app".into(),
                Val::Record(vec![
                    ("frontend-url".into(), s("https://x")),
                    ("admin-url".into(), Val::Option(None)),
                    ("username".into(), s("u")),
                    ("password".into(), s("p")),
                    ("memo".into(), Val::Option(Some(Box::new(s("m"))))),
                ]),
            ),
        ])))));
        assert_eq!(val, expected);
        assert_eq!(val_size(&val), 150);

        let change = lifecycle::InstanceChange {
            instance_id: "i".into(),
            order_id: "o".into(),
            change: lifecycle::Change::TrialToFormal(5),
        };
        assert_eq!(
            val_to_json(&to_val(&change).expect("a WIT value")),
            json!({"instance-id": "i", "order-id": "o", "change": {"trial-to-formal": 5}})
        );
        let unit: Result<(), PluginError> = Ok(());
        assert_eq!(
            val_to_json(&to_val(&unit).expect("a WIT value")),
            json!({"ok": null})
        );
        let err: Result<(), PluginError> =
            Err(PluginError::InvalidInput(crate::wit::latest::FieldError {
                field: "f".into(),
                message: "m".into(),
            }));
        assert_eq!(
            val_to_json(&to_val(&err).expect("a WIT value")),
            json!({"err": {"invalid-input": {"field": "f", "message": "m"}}})
        );
        let freeze = lifecycle::Change::Freeze(lifecycle::FreezeReason::QuotaExhausted);
        assert_eq!(
            val_to_json(&to_val(&freeze).expect("a WIT value")),
            json!({"freeze": "quota-exhausted"})
        );
        assert_eq!(
            val_to_json(&to_val(&lifecycle::Change::Unfreeze).expect("a WIT value")),
            json!("unfreeze")
        );
    }
}
