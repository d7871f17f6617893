//! `izuma_access_keys` data source: the access keys of one application. Never any secret: the
//! service returns it only when a key is created.

use async_trait::async_trait;

use super::{lookup_error, DataSourceLogic};
use crate::backend::Backend;
use crate::diagnostics::{from_api_error, Diagnostics};
use crate::resources::{validate_common, validate_id_attribute, Outcome};
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct AccessKeysDataSource;

pub fn schema() -> Schema {
    let element = vec![
        Attribute::computed("id", AttrType::String, "The key's id."),
        Attribute::computed("name", AttrType::String, "The key's name."),
        Attribute::computed(
            "description",
            AttrType::String,
            "The key's description, if any.",
        ),
        Attribute::computed(
            "status",
            AttrType::String,
            "`ACTIVE`, `INACTIVE` or `EXPIRED`.",
        ),
        Attribute::computed(
            "expiration",
            AttrType::String,
            "When the key stops working (RFC 3339), if set.",
        ),
        Attribute::computed(
            "created_at",
            AttrType::String,
            "When the key was created (RFC 3339, UTC).",
        ),
        Attribute::computed(
            "last_used_at",
            AttrType::String,
            "When the key last authenticated (RFC 3339, UTC), if ever.",
        ),
    ];
    Schema::new(
        "Lists the access keys of one application. The secrets are never included: the service shows a secret only once, when the key is created.",
        vec![
            Attribute::required("application_id", AttrType::String, "Id of the application whose keys to list."),
            Attribute::computed("access_keys", AttrType::ObjectList(element), "The application's access keys, oldest first."),
        ],
    )
}

#[async_trait]
impl DataSourceLogic for AccessKeysDataSource {
    fn name(&self) -> &'static str {
        "access_keys"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_id_attribute(config, "application_id", &mut diags);
        diags
    }

    async fn read(&self, backend: &dyn Backend, config: &Object) -> Outcome<Object> {
        let application_id = config.str_attr("application_id").unwrap_or_default();
        let keys = match backend.list_access_keys(application_id, None).await {
            Ok(keys) => keys,
            Err(e) if e.is_not_found() => {
                return Err(lookup_error(
                    "application_id",
                    "No such application",
                    format!("The account has no application with id {application_id:?}."),
                ))
            }
            Err(e) => {
                return Err(from_api_error(
                    &e,
                    &format!("list the access keys of application {application_id}"),
                    &["application_id"],
                ))
            }
        };
        let elements = keys
            .iter()
            .map(|key| {
                let mut object = Object::new();
                object.set_attr("id", Value::string(&key.id));
                object.set_attr("name", Value::string(&key.name));
                object.set_attr("description", Value::opt_string(key.description.as_deref()));
                object.set_attr("status", Value::string(key.status.as_str()));
                object.set_attr("expiration", Value::opt_string(key.expiration.as_deref()));
                object.set_attr("created_at", Value::string(&key.created_at));
                object.set_attr(
                    "last_used_at",
                    Value::opt_string(key.last_used_at.as_deref()),
                );
                Value::Map(object)
            })
            .collect();
        let mut state = config.clone();
        state.set_attr("access_keys", Value::List(elements));
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NewAccessKey, NewApplication};
    use crate::resources::test_support::obj;
    use crate::testutil::local_backend;

    #[tokio::test]
    async fn lists_keys_without_secrets() {
        let (_dir, backend) = local_backend();
        let app = backend
            .create_application(&NewApplication {
                name: "web".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let created = backend
            .create_access_key(
                &app.id,
                &NewAccessKey {
                    name: "ci".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let secret = created.key.unwrap().expose().to_owned();
        let state = AccessKeysDataSource
            .read(
                &backend,
                &obj(&[("application_id", Value::string(&app.id))]),
            )
            .await
            .unwrap();
        let Value::List(keys) = state.attr("access_keys") else {
            panic!("{state:?}")
        };
        assert_eq!(keys.len(), 1);
        assert!(!format!("{state:?}").contains(&secret));
        let missing = AccessKeysDataSource
            .read(
                &backend,
                &obj(&[("application_id", Value::string("a".repeat(32)))]),
            )
            .await
            .unwrap_err()
            .to_text();
        assert!(missing.contains("no application with id"), "{missing}");
    }
}
