//! `izuma_application`: an application of the account, the holder of access keys and JWT
//! verification keys. Every argument updates in place.

use async_trait::async_trait;

use super::{
    api_failure, base_plan, found, gone, mark_changed_on_update, optional_text, required_str,
    string_set, validate_common, validate_status, Outcome, Plan, PlanRequest, ResourceLogic,
};
use crate::api::{Application, ApplicationStatus, ApplicationUpdate, NewApplication};
use crate::backend::Backend;
use crate::diagnostics::Diagnostics;
use crate::rules;
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct ApplicationResource;

pub fn schema() -> Schema {
    Schema::new(
        "An Izuma application: the identity that access keys and JWT verification keys authenticate as. Its rights come from the policy groups it belongs to.",
        vec![
            Attribute::computed("id", AttrType::String, "The application's id (32 lowercase hexadecimal characters)."),
            Attribute::required("name", AttrType::String, "Name of the application, 1 to 100 characters, unique in the account."),
            Attribute::optional("description", AttrType::String, "Free-form description, up to 500 characters."),
            Attribute::optional_computed("status", AttrType::String, "`ACTIVE` or `INACTIVE`. The keys of an inactive application do not authenticate. Defaults to `ACTIVE`.")
                .default_string("ACTIVE"),
            Attribute::optional("groups", AttrType::StringSet, "Ids of the policy groups the application belongs to. Look them up with the `izuma_policy_group` data source; an application in `Administrators` can manage the account."),
            Attribute::computed("created_at", AttrType::String, "When the application was created (RFC 3339, UTC)."),
            Attribute::computed("updated_at", AttrType::String, "When the application was last changed (RFC 3339, UTC)."),
        ],
    )
}

/// Terraform state from the service's application; `prior` keeps the user's spelling of
/// equivalent values (an empty `groups` set against null, say).
pub fn state_from_api(app: &Application, prior: &Object) -> Object {
    let mut state = Object::new();
    state.set_attr("id", Value::string(&app.id));
    state.set_attr("name", Value::string(&app.name));
    state.set_attr(
        "description",
        optional_text(prior.attr("description"), app.description.as_deref()),
    );
    state.set_attr("status", Value::string(app.status.as_str()));
    state.set_attr(
        "groups",
        string_set(prior.attr("groups"), app.groups.clone()),
    );
    state.set_attr("created_at", Value::string(&app.created_at));
    state.set_attr("updated_at", Value::string(&app.updated_at));
    state
}

fn status_of(state: &Object) -> Option<ApplicationStatus> {
    state.str_attr("status").and_then(ApplicationStatus::parse)
}

fn groups_of(state: &Object) -> Vec<String> {
    let mut groups = state.attr("groups").as_strings().unwrap_or_default();
    groups.sort();
    groups.dedup();
    groups
}

#[async_trait]
impl ResourceLogic for ApplicationResource {
    fn name(&self) -> &'static str {
        "application"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_status(config, &mut diags);
        if let Some(groups) = config.attr("groups").as_strings() {
            for group in groups {
                if let Err(rule) = rules::check_id(&group) {
                    diags.attribute_error(
                        "groups",
                        "Invalid policy-group id",
                        format!("`groups`: {rule}. Use the `izuma_policy_group` data source to look ids up by name."),
                    );
                }
            }
        }
        diags
    }

    fn plan(&self, request: &PlanRequest<'_>) -> Outcome<Plan> {
        let schema = schema();
        let mut plan = base_plan(&schema, request);
        if let Some(prior) = request.prior {
            // An empty set and null mean "no groups": keep the prior spelling.
            let groups = string_set(
                prior.attr("groups"),
                plan.state.attr("groups").as_strings().unwrap_or_default(),
            );
            if plan.state.attr("groups").is_wholly_known() {
                plan.state.set_attr("groups", groups);
            }
            mark_changed_on_update(&mut plan, &schema, prior, &["updated_at"]);
        }
        Ok(plan)
    }

    async fn create(&self, backend: &dyn Backend, planned: &Object) -> Outcome<Object> {
        let name = required_str(planned, "name")?;
        let groups = groups_of(planned);
        let new = NewApplication {
            name: name.to_owned(),
            description: planned
                .str_attr("description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            status: status_of(planned),
            groups: (!groups.is_empty()).then_some(groups),
        };
        let app = backend.create_application(&new).await.map_err(|e| {
            api_failure(&e, &format!("create izuma_application {name:?}"), &schema())
        })?;
        Ok(state_from_api(&app, planned))
    }

    async fn read(&self, backend: &dyn Backend, state: &Object) -> Outcome<Option<Object>> {
        let id = required_str(state, "id")?;
        let app = backend.get_application(id).await;
        let app = found(app, &format!("read izuma_application {id}"), &schema())?;
        Ok(app.map(|app| state_from_api(&app, state)))
    }

    async fn update(
        &self,
        backend: &dyn Backend,
        prior: &Object,
        planned: &Object,
    ) -> Outcome<Object> {
        let id = required_str(prior, "id")?;
        let action = format!("update izuma_application {id}");
        let (before, after) = (groups_of(prior), groups_of(planned));
        let added: Vec<String> = after
            .iter()
            .filter(|g| !before.contains(g))
            .cloned()
            .collect();
        let removed: Vec<String> = before
            .iter()
            .filter(|g| !after.contains(g))
            .cloned()
            .collect();
        // Groups change through separate calls: check them first so that an unknown group fails
        // the update before anything else is written.
        if !added.is_empty() {
            let known = backend
                .list_policy_groups()
                .await
                .map_err(|e| api_failure(&e, &action, &schema()))?;
            if let Some(unknown) = added.iter().find(|g| !known.iter().any(|k| &k.id == *g)) {
                let mut diags = Diagnostics::new();
                diags.attribute_error(
                    "groups",
                    format!("Cannot {action}: unknown policy group"),
                    format!("No policy group with id {unknown} exists in the account; nothing was changed. Look ids up with the `izuma_policy_group` data source."),
                );
                return Err(diags);
            }
        }
        let changed = |name: &str| prior.attr(name) != planned.attr(name);
        let update = ApplicationUpdate {
            name: changed("name")
                .then(|| planned.str_attr("name").map(str::to_owned))
                .flatten(),
            // An empty description clears it.
            description: changed("description")
                .then(|| planned.str_attr("description").unwrap_or("").to_owned()),
            status: changed("status").then(|| status_of(planned)).flatten(),
        };
        if update != ApplicationUpdate::default() {
            backend
                .update_application(id, &update)
                .await
                .map_err(|e| api_failure(&e, &action, &schema()))?;
        }
        if !added.is_empty() {
            backend
                .add_application_groups(id, &added)
                .await
                .map_err(|e| api_failure(&e, &action, &schema()))?;
        }
        if !removed.is_empty() {
            backend
                .remove_application_groups(id, &removed)
                .await
                .map_err(|e| api_failure(&e, &action, &schema()))?;
        }
        let app = backend
            .get_application(id)
            .await
            .map_err(|e| api_failure(&e, &action, &schema()))?;
        Ok(state_from_api(&app, planned))
    }

    async fn delete(&self, backend: &dyn Backend, state: &Object) -> Outcome<()> {
        let id = required_str(state, "id")?;
        let deleted = backend.delete_application(id).await;
        gone(
            deleted,
            &format!("delete izuma_application {id}"),
            &schema(),
        )
    }

    async fn import(&self, backend: &dyn Backend, id: &str) -> Outcome<Object> {
        if let Err(rule) = rules::check_id(id) {
            return Err(Diagnostics::single(
                "Invalid import id",
                format!("An izuma_application is imported by its id: {rule}."),
            ));
        }
        let app = backend
            .get_application(id)
            .await
            .map_err(|e| api_failure(&e, &format!("import izuma_application {id}"), &schema()))?;
        Ok(state_from_api(&app, &Object::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::test_support::{obj, plan_for};
    use crate::testutil::local_backend;

    fn config(name: &str) -> Object {
        obj(&[("name", Value::string(name))])
    }

    #[test]
    fn create_plan_defaults_status_and_leaves_ids_unknown() {
        let plan = plan_for(&ApplicationResource, None, &config("web")).unwrap();
        assert_eq!(plan.state.attr("status"), &Value::string("ACTIVE"));
        assert_eq!(plan.state.attr("id"), &Value::Unknown);
        assert_eq!(plan.state.attr("groups"), &Value::Null);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn validation_names_the_attribute_and_the_rule() {
        let mut bad = config(&"x".repeat(101));
        bad.set_attr("status", Value::string("EXPIRED"));
        bad.set_attr("id", Value::string("0123"));
        let diags = ApplicationResource.validate(&bad);
        let text = diags.to_text();
        assert!(text.contains("101 characters"), "{text}");
        assert!(text.contains("derives it"), "{text}");
        assert!(text.contains("`id` is read-only"), "{text}");
        assert!(ApplicationResource.validate(&config("ok")).is_empty());
    }

    #[tokio::test]
    async fn lifecycle_against_the_local_engine() {
        let (_dir, backend) = local_backend();
        let planned = plan_for(&ApplicationResource, None, &config("web"))
            .unwrap()
            .state;
        let state = ApplicationResource
            .create(&backend, &planned)
            .await
            .unwrap();
        assert_eq!(state.attr("status"), &Value::string("ACTIVE"));
        assert_eq!(state.attr("groups"), &Value::Null);

        // Re-plan with the same configuration: nothing changes, nothing unknown.
        let replan = plan_for(&ApplicationResource, Some(&state), &config("web")).unwrap();
        assert_eq!(replan.state, state);

        let mut renamed = config("web2");
        renamed.set_attr("status", Value::string("INACTIVE"));
        let plan = plan_for(&ApplicationResource, Some(&state), &renamed).unwrap();
        assert_eq!(plan.state.attr("updated_at"), &Value::Unknown);
        let updated = ApplicationResource
            .update(&backend, &state, &plan.state)
            .await
            .unwrap();
        assert_eq!(updated.attr("name"), &Value::string("web2"));
        assert_eq!(updated.attr("status"), &Value::string("INACTIVE"));

        let imported = ApplicationResource
            .import(&backend, updated.str_attr("id").unwrap())
            .await
            .unwrap();
        assert_eq!(imported, updated);

        ApplicationResource
            .delete(&backend, &updated)
            .await
            .unwrap();
        assert_eq!(
            ApplicationResource.read(&backend, &updated).await.unwrap(),
            None
        );
        // Deleting what is already gone is not an error.
        ApplicationResource
            .delete(&backend, &updated)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_unknown_group_fails_the_update_before_the_rename() {
        let (_dir, backend) = local_backend();
        let planned = plan_for(&ApplicationResource, None, &config("before"))
            .unwrap()
            .state;
        let state = ApplicationResource
            .create(&backend, &planned)
            .await
            .unwrap();
        let mut changed = config("after");
        changed.set_attr(
            "groups",
            Value::string_list(["0123456789abcdef0123456789abcdef"]),
        );
        let plan = plan_for(&ApplicationResource, Some(&state), &changed).unwrap();
        let text = ApplicationResource
            .update(&backend, &state, &plan.state)
            .await
            .unwrap_err()
            .to_text();
        assert!(text.contains("nothing was changed"), "{text}");
        let id = state.str_attr("id").unwrap();
        assert_eq!(backend.get_application(id).await.unwrap().name, "before");
    }

    #[tokio::test]
    async fn a_duplicate_name_is_reported_on_the_name_attribute() {
        let (_dir, backend) = local_backend();
        let planned = plan_for(&ApplicationResource, None, &config("dup"))
            .unwrap()
            .state;
        ApplicationResource
            .create(&backend, &planned)
            .await
            .unwrap();
        let diags = ApplicationResource
            .create(&backend, &planned)
            .await
            .unwrap_err();
        let text = diags.to_text();
        assert!(text.contains("already used by application"), "{text}");
    }
}
