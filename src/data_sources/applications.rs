//! `izuma_applications` data source: every application of the account (all pages), optionally only
//! those with a given status.

use async_trait::async_trait;

use super::application::{application_attributes, application_object};
use super::DataSourceLogic;
use crate::api::ApplicationStatus;
use crate::backend::Backend;
use crate::diagnostics::{from_api_error, Diagnostics};
use crate::resources::{validate_common, validate_status, Outcome};
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct ApplicationsDataSource;

pub fn schema() -> Schema {
    let mut element = vec![
        Attribute::computed("id", AttrType::String, "The application's id."),
        Attribute::computed("name", AttrType::String, "The application's name."),
    ];
    element.extend(application_attributes());
    Schema::new(
        "Lists the applications of the account, optionally only those with a given status.",
        vec![
            Attribute::optional("status", AttrType::String, "Only applications with this status: `ACTIVE` or `INACTIVE`. All applications when omitted."),
            Attribute::computed("applications", AttrType::ObjectList(element), "The applications, oldest first."),
        ],
    )
}

#[async_trait]
impl DataSourceLogic for ApplicationsDataSource {
    fn name(&self) -> &'static str {
        "applications"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_status(config, &mut diags);
        diags
    }

    async fn read(&self, backend: &dyn Backend, config: &Object) -> Outcome<Object> {
        let status = config.str_attr("status").and_then(ApplicationStatus::parse);
        let apps = backend
            .list_applications(status)
            .await
            .map_err(|e| from_api_error(&e, "list applications", &["status"]))?;
        let mut state = config.clone();
        state.set_attr(
            "applications",
            Value::List(
                apps.iter()
                    .map(|app| Value::Map(application_object(app)))
                    .collect(),
            ),
        );
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NewApplication;
    use crate::resources::test_support::obj;
    use crate::testutil::local_backend;

    #[tokio::test]
    async fn lists_all_or_by_status() {
        let (_dir, backend) = local_backend();
        for (name, status) in [
            ("a", ApplicationStatus::Active),
            ("b", ApplicationStatus::Inactive),
        ] {
            backend
                .create_application(&NewApplication {
                    name: name.into(),
                    status: Some(status),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let all = ApplicationsDataSource
            .read(&backend, &Object::new())
            .await
            .unwrap();
        let Value::List(apps) = all.attr("applications") else {
            panic!("{all:?}")
        };
        assert_eq!(apps.len(), 2);
        let inactive = ApplicationsDataSource
            .read(&backend, &obj(&[("status", Value::string("INACTIVE"))]))
            .await
            .unwrap();
        let Value::List(apps) = inactive.attr("applications") else {
            panic!("{inactive:?}")
        };
        assert_eq!(apps.len(), 1);
        let Value::Map(first) = &apps[0] else {
            panic!("{apps:?}")
        };
        assert_eq!(first.attr("name"), &Value::string("b"));
        let bad = ApplicationsDataSource.validate(&obj(&[("status", Value::string("EXPIRED"))]));
        assert!(bad.has_errors());
    }
}
