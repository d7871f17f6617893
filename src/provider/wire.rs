//! [`Value`] on the wire: Terraform's MessagePack (unknown is extension type 0) and JSON (state
//! upgrades). Only the adapter touches the encoding.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::value::{Object, Value};

/// Wrapper so that the plain [`Value`] type does not carry serde impls of its own.
pub struct Wire<'a>(pub &'a Value);

/// The name rmp-serde gives MessagePack extension values.
const EXT_STRUCT: &str = "_ExtStruct";

struct EmptyBytes;
impl Serialize for EmptyBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&[])
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Unknown => serializer.serialize_newtype_struct(EXT_STRUCT, &(0i8, EmptyBytes)),
            Value::Null => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                serializer.serialize_i64(*n as i64)
            }
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Wire(item))?;
                }
                seq.end()
            }
            Value::Map(items) => {
                let mut map = serializer.serialize_map(Some(items.len()))?;
                for (k, v) in items {
                    map.serialize_entry(k, &Wire(v))?;
                }
                map.end()
            }
        }
    }
}

/// Deserialized form of [`Value`].
pub struct Owned(pub Value);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(Owned)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Terraform value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        // Terraform never sends raw bytes; a number it could not fit reaches us as a string.
        Ok(Value::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Owned(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut items = BTreeMap::new();
        while let Some((key, Owned(value))) = map.next_entry::<String, Owned>()? {
            items.insert(key, value);
        }
        Ok(Value::Map(items))
    }
    /// MessagePack extension values: Terraform uses type 0 for "unknown".
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Value::Unknown)
    }
}

/// An object as Terraform sends and receives it; `None` is null (no object: not yet created, or
/// gone). This is the state type the adapter hands to tf-provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TfObject(pub Option<Object>);

impl Serialize for TfObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            None => serializer.serialize_unit(),
            Some(object) => Wire(&Value::Map(object.clone())).serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for TfObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(ValueVisitor)? {
            Value::Null => Ok(TfObject(None)),
            Value::Map(object) => Ok(TfObject(Some(object))),
            _ => Err(de::Error::custom("expected an object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_provider::value::Value as TfValue;

    #[test]
    fn round_trips_through_messagepack_with_unknowns() {
        let object: Object = [
            ("s".to_owned(), Value::string("x")),
            ("n".to_owned(), Value::Number(3.0)),
            ("f".to_owned(), Value::Number(1.5)),
            ("u".to_owned(), Value::Unknown),
            ("z".to_owned(), Value::Null),
            ("l".to_owned(), Value::string_list(["a", "b"])),
        ]
        .into();
        let bytes = rmp_serde::to_vec_named(&TfObject(Some(object.clone()))).unwrap();
        let back: TfObject = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, TfObject(Some(object)));
        let null = rmp_serde::to_vec_named(&TfObject(None)).unwrap();
        assert_eq!(
            rmp_serde::from_slice::<TfObject>(&null).unwrap(),
            TfObject(None)
        );
    }

    #[test]
    fn unknown_matches_the_crate_encoding() {
        let ours = rmp_serde::to_vec_named(&Wire(&Value::Unknown)).unwrap();
        let theirs = rmp_serde::to_vec_named(&TfValue::<String>::Unknown).unwrap();
        assert_eq!(ours, theirs);
    }
}
