//! Schemas as plain data. The adapter turns them into Terraform's schema and the docs generator
//! into the attribute reference, so every attribute is described once, here.

use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    StringSet,
    StringMap,
    /// A list of objects (data sources' results).
    ObjectList(Vec<Attribute>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Optional; when omitted the provider decides (a default, or the service's value).
    OptionalComputed,
    /// Set by the provider only; configuring it is an error.
    Computed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub presence: Presence,
    pub sensitive: bool,
    /// Changing it replaces the object.
    pub force_new: bool,
    /// The value planned when the configuration omits it (`OptionalComputed` only).
    pub default: Option<Value>,
    /// Markdown.
    pub description: &'static str,
}

impl Attribute {
    fn new(
        name: &'static str,
        ty: AttrType,
        presence: Presence,
        description: &'static str,
    ) -> Self {
        Attribute {
            name,
            ty,
            presence,
            sensitive: false,
            force_new: false,
            default: None,
            description,
        }
    }
    pub fn required(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Required, description)
    }
    pub fn optional(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Optional, description)
    }
    pub fn optional_computed(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        Self::new(name, ty, Presence::OptionalComputed, description)
    }
    pub fn computed(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Computed, description)
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    /// Optional with a default: planned as `value` when omitted.
    pub fn default_string(mut self, value: &'static str) -> Self {
        self.presence = Presence::OptionalComputed;
        self.default = Some(Value::string(value));
        self
    }
}

/// A nested block holding at most one element (the provider's `local { ... }`).
#[derive(Debug, Clone, PartialEq)]
pub struct SingleBlock {
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Markdown: the first paragraph of the registry page.
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<SingleBlock>,
}

impl Schema {
    pub fn new(description: &'static str, attributes: Vec<Attribute>) -> Self {
        Schema {
            description,
            attributes,
            blocks: Vec::new(),
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}
