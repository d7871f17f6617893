//! `izuma_policy_group` data source: a policy group by name, so configurations never hard-code
//! group ids.

use async_trait::async_trait;

use super::DataSourceLogic;
use crate::backend::Backend;
use crate::diagnostics::{from_api_error, Diagnostics};
use crate::resources::Outcome;
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct PolicyGroupDataSource;

pub fn schema() -> Schema {
    Schema::new(
        "Looks a policy group of the account up by name. Every account has `Administrators` (may manage applications and keys) and `Developers`.",
        vec![
            Attribute::required("name", AttrType::String, "The group's name, for example `Administrators` or `Developers`."),
            Attribute::computed("id", AttrType::String, "The group's id, for `izuma_application.groups`."),
            Attribute::computed("description", AttrType::String, "The group's description, if any."),
        ],
    )
}

#[async_trait]
impl DataSourceLogic for PolicyGroupDataSource {
    fn name(&self) -> &'static str {
        "policy_group"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        crate::resources::validate_common(&schema(), config)
    }

    async fn read(&self, backend: &dyn Backend, config: &Object) -> Outcome<Object> {
        let name = config.str_attr("name").unwrap_or_default();
        let groups = backend
            .list_policy_groups()
            .await
            .map_err(|e| from_api_error(&e, "list policy groups", &[]))?;
        let matching: Vec<_> = groups.iter().filter(|g| g.name == name).collect();
        match matching.as_slice() {
            [group] => {
                let mut state = config.clone();
                state.set_attr("id", Value::string(&group.id));
                state.set_attr(
                    "description",
                    Value::opt_string(group.description.as_deref()),
                );
                Ok(state)
            }
            [] => {
                let mut diags = Diagnostics::new();
                let known: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                diags.attribute_error(
                    "name",
                    "No such policy group",
                    format!(
                        "The account has no policy group named {name:?}; it has: {}.",
                        known.join(", ")
                    ),
                );
                Err(diags)
            }
            many => {
                let mut diags = Diagnostics::new();
                diags.attribute_error(
                    "name",
                    "More than one policy group has this name",
                    format!(
                        "{} policy groups are named {name:?}; names must identify one group.",
                        many.len()
                    ),
                );
                Err(diags)
            }
        }
    }
}
