//! Our schemas in tf-provider's terms.

use std::collections::HashMap;

use tf_provider::schema::{
    Attribute as TfAttribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock,
    Schema as TfSchema,
};

use crate::schema::{AttrType, Attribute, Presence, Schema};

fn attr_type(ty: &AttrType) -> AttributeType {
    match ty {
        AttrType::String => AttributeType::String,
        AttrType::Number => AttributeType::Number,
        AttrType::Bool => AttributeType::Bool,
        AttrType::StringSet => AttributeType::Set(Box::new(AttributeType::String)),
        AttrType::StringMap => AttributeType::Map(Box::new(AttributeType::String)),
        AttrType::ObjectList(attributes) => AttributeType::List(Box::new(AttributeType::Object(
            attributes
                .iter()
                .map(|a| (a.name.to_owned(), attr_type(&a.ty)))
                .collect(),
        ))),
    }
}

fn attributes(attributes: &[Attribute]) -> HashMap<String, TfAttribute> {
    attributes
        .iter()
        .map(|a| {
            let constraint = match a.presence {
                Presence::Required => AttributeConstraint::Required,
                Presence::Optional => AttributeConstraint::Optional,
                Presence::OptionalComputed => AttributeConstraint::OptionalComputed,
                Presence::Computed => AttributeConstraint::Computed,
            };
            let attribute = TfAttribute {
                attr_type: attr_type(&a.ty),
                description: Description::markdown(a.description),
                constraint,
                sensitive: a.sensitive,
                deprecated: false,
            };
            (a.name.to_owned(), attribute)
        })
        .collect()
}

pub fn to_tf_schema(schema: &Schema) -> TfSchema {
    let blocks = schema
        .blocks
        .iter()
        .map(|b| {
            let block = Block {
                version: 1,
                attributes: attributes(&b.attributes),
                blocks: HashMap::new(),
                description: Description::markdown(b.description),
                deprecated: false,
            };
            (b.name.to_owned(), NestedBlock::Optional(block))
        })
        .collect();
    TfSchema {
        version: 0,
        block: Block {
            version: 0,
            attributes: attributes(&schema.attributes),
            blocks,
            description: Description::markdown(schema.description),
            deprecated: false,
        },
    }
}
