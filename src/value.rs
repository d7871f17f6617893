//! Terraform values as plain Rust data: what the resource logic reads from configuration and plans,
//! and writes to state. The protocol adapter converts these to and from the wire.

use std::collections::BTreeMap;

/// A Terraform value. `Unknown` is a value known only after apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    Unknown,
    #[default]
    Null,
    String(String),
    Number(f64),
    Bool(bool),
    /// Lists and sets.
    List(Vec<Value>),
    /// Maps and objects.
    Map(BTreeMap<String, Value>),
}

/// An object: attribute name to value. Missing attributes read as null.
pub type Object = BTreeMap<String, Value>;

impl Value {
    pub fn string(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    /// `Some(text)` → string, `None` → null.
    pub fn opt_string(text: Option<impl Into<String>>) -> Value {
        text.map_or(Value::Null, |t| Value::String(t.into()))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether the value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(items) => items.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// A whole number, if the value is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The strings of a known list or set; `None` if null, unknown or holding unknowns.
    pub fn as_strings(&self) -> Option<Vec<String>> {
        match self {
            Value::List(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        }
    }

    /// A known map of strings.
    pub fn as_string_map(&self) -> Option<BTreeMap<String, String>> {
        match self {
            Value::Map(items) => items
                .iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect(),
            _ => None,
        }
    }

    pub fn string_list(items: impl IntoIterator<Item = impl Into<String>>) -> Value {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }
}

/// Read access to an object's attributes.
pub trait ObjectExt {
    fn attr(&self, name: &str) -> &Value;
    /// A known string attribute.
    fn str_attr(&self, name: &str) -> Option<&str>;
    fn set_attr(&mut self, name: &str, value: Value);
}

static NULL: Value = Value::Null;

impl ObjectExt for Object {
    fn attr(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&NULL)
    }
    fn str_attr(&self, name: &str) -> Option<&str> {
        self.attr(name).as_str()
    }
    fn set_attr(&mut self, name: &str, value: Value) {
        self.insert(name.to_owned(), value);
    }
}
