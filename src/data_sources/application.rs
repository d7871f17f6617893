//! `izuma_application` data source: one application of the account, by `id` or by `name`.

use async_trait::async_trait;

use super::{lookup_error, DataSourceLogic};
use crate::api::Application;
use crate::backend::Backend;
use crate::diagnostics::{from_api_error, Diagnostics};
use crate::resources::{validate_common, validate_id_attribute, Outcome};
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct ApplicationDataSource;

/// The attributes describing an application, shared with `izuma_applications`' list elements.
pub fn application_attributes() -> Vec<Attribute> {
    vec![
        Attribute::computed(
            "description",
            AttrType::String,
            "The application's description, if any.",
        ),
        Attribute::computed("status", AttrType::String, "`ACTIVE` or `INACTIVE`."),
        Attribute::computed(
            "groups",
            AttrType::StringSet,
            "Ids of the policy groups the application belongs to.",
        ),
        Attribute::computed(
            "created_at",
            AttrType::String,
            "When the application was created (RFC 3339, UTC).",
        ),
        Attribute::computed(
            "updated_at",
            AttrType::String,
            "When the application was last changed (RFC 3339, UTC).",
        ),
        Attribute::computed(
            "last_used_at",
            AttrType::String,
            "When one of the application's keys last authenticated (RFC 3339, UTC), if ever.",
        ),
    ]
}

/// An application as attribute values: `id`, `name` and [`application_attributes`].
pub fn application_object(app: &Application) -> Object {
    let mut groups = app.groups.clone();
    groups.sort();
    let mut object = Object::new();
    object.set_attr("id", Value::string(&app.id));
    object.set_attr("name", Value::string(&app.name));
    object.set_attr("description", Value::opt_string(app.description.as_deref()));
    object.set_attr("status", Value::string(app.status.as_str()));
    object.set_attr("groups", Value::string_list(groups));
    object.set_attr("created_at", Value::string(&app.created_at));
    object.set_attr("updated_at", Value::string(&app.updated_at));
    object.set_attr(
        "last_used_at",
        Value::opt_string(app.last_used_at.as_deref()),
    );
    object
}

pub fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::optional_computed(
            "id",
            AttrType::String,
            "The application's id. Give exactly one of `id` and `name`.",
        ),
        Attribute::optional_computed(
            "name",
            AttrType::String,
            "The application's name (unique in the account). Give exactly one of `id` and `name`.",
        ),
    ];
    attributes.extend(application_attributes());
    Schema::new(
        "Looks one application of the account up, by `id` or by `name` (exactly one of them).",
        attributes,
    )
}

#[async_trait]
impl DataSourceLogic for ApplicationDataSource {
    fn name(&self) -> &'static str {
        "application"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_id_attribute(config, "id", &mut diags);
        // Unknown values pass: they may resolve to exactly one at apply time.
        let (id, name) = (config.attr("id"), config.attr("name"));
        if id.is_null() && name.is_null() {
            diags.error(
                "Missing lookup key",
                "Give exactly one of `id` and `name` to look an application up.",
            );
        } else if !id.is_null() && !name.is_null() {
            diags.error(
                "Conflicting lookup keys",
                "Both `id` and `name` are set; give exactly one of them.",
            );
        }
        diags
    }

    async fn read(&self, backend: &dyn Backend, config: &Object) -> Outcome<Object> {
        if let Some(id) = config.str_attr("id") {
            return match backend.get_application(id).await {
                Ok(app) => Ok(application_object(&app)),
                Err(e) if e.is_not_found() => Err(lookup_error(
                    "id",
                    "No such application",
                    format!("The account has no application with id {id:?}."),
                )),
                Err(e) => Err(from_api_error(
                    &e,
                    &format!("read application {id}"),
                    &["id"],
                )),
            };
        }
        let name = config.str_attr("name").unwrap_or_default();
        let apps = backend
            .list_applications(None)
            .await
            .map_err(|e| from_api_error(&e, "list applications", &[]))?;
        let matching: Vec<&Application> = apps.iter().filter(|a| a.name == name).collect();
        match matching.as_slice() {
            [app] => Ok(application_object(app)),
            [] => Err(lookup_error(
                "name",
                "No such application",
                format!("The account has no application named {name:?}."),
            )),
            many => Err(lookup_error(
                "name",
                "More than one application has this name",
                format!(
                    "{} applications are named {name:?}; look the one you mean up by `id`.",
                    many.len()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NewApplication;
    use crate::resources::test_support::obj;
    use crate::testutil::local_backend;

    #[test]
    fn exactly_one_of_id_and_name() {
        let neither = ApplicationDataSource.validate(&Object::new()).to_text();
        assert!(
            neither.contains("exactly one of `id` and `name`"),
            "{neither}"
        );
        let both = obj(&[
            ("id", Value::string("0".repeat(32))),
            ("name", Value::string("a")),
        ]);
        let both = ApplicationDataSource.validate(&both).to_text();
        assert!(both.contains("Both `id` and `name`"), "{both}");
        let unknown = obj(&[("id", Value::Unknown)]);
        assert!(ApplicationDataSource.validate(&unknown).is_empty());
        let bad_id = obj(&[("id", Value::string("xyz"))]);
        assert!(ApplicationDataSource.validate(&bad_id).has_errors());
    }

    #[tokio::test]
    async fn finds_by_id_and_by_name_and_says_when_nothing_matches() {
        let (_dir, backend) = local_backend();
        let app = backend
            .create_application(&NewApplication {
                name: "web".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let by_name = ApplicationDataSource
            .read(&backend, &obj(&[("name", Value::string("web"))]))
            .await
            .unwrap();
        assert_eq!(by_name.attr("id"), &Value::string(&app.id));
        assert_eq!(by_name.attr("status"), &Value::string("ACTIVE"));
        let by_id = ApplicationDataSource
            .read(&backend, &obj(&[("id", Value::string(&app.id))]))
            .await
            .unwrap();
        assert_eq!(by_id, by_name);
        let missing = ApplicationDataSource
            .read(&backend, &obj(&[("name", Value::string("nope"))]))
            .await
            .unwrap_err()
            .to_text();
        assert!(
            missing.contains("no application named \"nope\""),
            "{missing}"
        );
        let missing = ApplicationDataSource
            .read(&backend, &obj(&[("id", Value::string("f".repeat(32)))]))
            .await
            .unwrap_err()
            .to_text();
        assert!(missing.contains("no application with id"), "{missing}");
    }
}
