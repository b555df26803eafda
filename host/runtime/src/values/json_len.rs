//! The length of a value's JSON without building the JSON: what the input
//! cap of a typed call measures (the bytes [`super::val_to_json`] would
//! serialize to), counted by serializing straight into a counter.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use wasmtime::component::Val;

/// `serde_json::to_vec(&val_to_json(v)).len()` for an object of named
/// values, e.g. a call's parameters keyed by name.
pub fn named_json_len<'a>(values: impl Iterator<Item = (&'a str, &'a Val)> + Clone) -> u64 {
    let mut counter = Counter(0);
    let named = Named(values);
    // Writing to a counter cannot fail, and every `Val` serializes.
    let _ = serde_json::to_writer(&mut counter, &named);
    counter.0
}

struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Named<I>(I);

impl<'a, I: Iterator<Item = (&'a str, &'a Val)> + Clone> Serialize for Named<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (name, v) in self.0.clone() {
            map.serialize_entry(name, &AsJson(v))?;
        }
        map.end()
    }
}

/// A value serialized the way [`super::val_to_json`] shapes it.
struct AsJson<'a>(&'a Val);

fn single<S: Serializer>(s: S, key: &str, value: Option<&Val>) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(key, &value.map(AsJson))?;
    map.end()
}

impl Serialize for AsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Val::Bool(b) => s.serialize_bool(*b),
            Val::S8(n) => s.serialize_i8(*n),
            Val::U8(n) => s.serialize_u8(*n),
            Val::S16(n) => s.serialize_i16(*n),
            Val::U16(n) => s.serialize_u16(*n),
            Val::S32(n) => s.serialize_i32(*n),
            Val::U32(n) => s.serialize_u32(*n),
            Val::S64(n) => s.serialize_i64(*n),
            Val::U64(n) => s.serialize_u64(*n),
            // serde_json writes a non-finite float as null, as `val_to_json` maps it.
            Val::Float32(f) => s.serialize_f64(f64::from(*f)),
            Val::Float64(f) => s.serialize_f64(*f),
            Val::Char(c) => s.serialize_char(*c),
            Val::String(text) => s.serialize_str(text),
            Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&AsJson(item))?;
                }
                seq.end()
            }
            Val::Record(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &AsJson(v))?;
                }
                map.end()
            }
            Val::Variant(name, None) | Val::Enum(name) => s.serialize_str(name),
            Val::Variant(name, Some(payload)) => single(s, name, Some(payload)),
            Val::Option(None) => s.serialize_unit(),
            Val::Option(Some(v)) => AsJson(v).serialize(s),
            Val::Result(Ok(v)) => single(s, "ok", v.as_deref()),
            Val::Result(Err(e)) => single(s, "err", e.as_deref()),
            Val::Flags(names) => {
                let mut seq = s.serialize_seq(Some(names.len()))?;
                for name in names {
                    seq.serialize_element(name)?;
                }
                seq.end()
            }
            Val::Map(pairs) => {
                let mut seq = s.serialize_seq(Some(pairs.len()))?;
                for (k, v) in pairs {
                    seq.serialize_element(&(AsJson(k), AsJson(v)))?;
                }
                seq.end()
            }
            Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
                s.serialize_unit()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::val_to_json;

    fn json_len(named: &[(&str, Val)]) -> u64 {
        let object: serde_json::Map<String, serde_json::Value> = named
            .iter()
            .map(|(k, v)| (k.to_string(), val_to_json(v)))
            .collect();
        serde_json::to_vec(&object).expect("JSON").len() as u64
    }

    #[test]
    fn counts_what_val_to_json_would_serialize() {
        let record = Val::Record(vec![
            ("order-id".into(), Val::String("ord-\"1\"\n\u{1}é".into())),
            ("seats".into(), Val::U32(12)),
            ("balance".into(), Val::S64(-9_007_199_254_740_993)),
            ("ratio".into(), Val::Float64(0.1)),
            ("nan".into(), Val::Float32(f32::NAN)),
            ("c".into(), Val::Char('€')),
            ("kind".into(), Val::Enum("monthly".into())),
            ("plain".into(), Val::Variant("none".into(), None)),
            (
                "paid".into(),
                Val::Variant("card".into(), Some(Box::new(Val::String("x".into())))),
            ),
            ("missing".into(), Val::Option(None)),
            (
                "present".into(),
                Val::Option(Some(Box::new(Val::Bool(true)))),
            ),
            ("ok".into(), Val::Result(Ok(None))),
            (
                "err".into(),
                Val::Result(Err(Some(Box::new(Val::List(vec![Val::U8(1), Val::U8(2)]))))),
            ),
            ("flags".into(), Val::Flags(vec!["a".into(), "b".into()])),
            ("tuple".into(), Val::Tuple(vec![Val::S8(-1), Val::U16(7)])),
        ]);
        let named = [("subscription", record), ("count", Val::U64(u64::MAX))];
        let counted = named_json_len(named.iter().map(|(k, v)| (*k, v)));
        assert_eq!(counted, json_len(&named));
        assert_eq!(named_json_len(std::iter::empty()), 2);
    }
}
