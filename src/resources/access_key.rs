//! `izuma_access_key`: an access key of an application. The service generates the secret and
//! returns it once, in the create response; the provider keeps it in state (sensitive) and never
//! reads it back. Rotate with `rotation_triggers` and `create_before_destroy`.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    api_failure, base_plan, found, gone, keep_equivalent, key_status_of, optional_text,
    required_str, split_key_import_id, unknown_application_field, validate_common,
    validate_id_attribute, validate_status, written_key_status, Outcome, Plan, PlanRequest,
    ResourceLogic,
};
use crate::api::{AccessKey, AccessKeyUpdate, NewAccessKey};
use crate::backend::Backend;
use crate::diagnostics::Diagnostics;
use crate::rules::{self, same_instant};
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct AccessKeyResource;

pub fn schema() -> Schema {
    Schema::new(
        "An access key of an Izuma application. The service generates the secret and shows it once: the provider stores it in state as the sensitive `secret` attribute and never reads it back. Rotate a key without downtime by changing `rotation_triggers` on a key with `lifecycle { create_before_destroy = true }`.",
        vec![
            Attribute::computed("id", AttrType::String, "The access key's id (32 lowercase hexadecimal characters)."),
            Attribute::required("application_id", AttrType::String, "Id of the application the key belongs to. Changing it replaces the key: a key never moves to another application.")
                .force_new(),
            Attribute::required("name", AttrType::String, "Name of the key, 1 to 100 characters."),
            Attribute::optional("description", AttrType::String, "Free-form description, up to 500 characters."),
            Attribute::optional_computed("status", AttrType::String, "`ACTIVE` or `INACTIVE`; an inactive key does not authenticate. Defaults to `ACTIVE`. (`EXPIRED` is derived by the service from `expiration` and cannot be set.)")
                .default_string("ACTIVE"),
            Attribute::optional("expiration", AttrType::String, "RFC 3339 time after which the key stops working, for example `2027-01-31T00:00:00Z`. Must lie in the future when set."),
            Attribute::optional("rotation_triggers", AttrType::StringMap, "Arbitrary map of values; changing it replaces the key (a new secret). Combine with `lifecycle { create_before_destroy = true }` for a rotation without downtime.")
                .force_new(),
            Attribute::computed("created_at", AttrType::String, "When the key was created (RFC 3339, UTC)."),
            Attribute::computed("secret", AttrType::String, "The full `ak_...` secret. Known only from the create response: after `terraform import` it is null (an output of it is then absent), since the service keeps only a hash.")
                .sensitive(),
        ],
    )
}

/// Terraform state from the service's key. `prior` supplies what the service does not return:
/// the secret, the rotation triggers, and the user's spelling of equivalent values.
pub fn state_from_api(key: &AccessKey, prior: &Object) -> Object {
    let mut state = Object::new();
    state.set_attr("id", Value::string(&key.id));
    state.set_attr("application_id", Value::string(&key.application_id));
    state.set_attr("name", Value::string(&key.name));
    state.set_attr(
        "description",
        optional_text(prior.attr("description"), key.description.as_deref()),
    );
    state.set_attr("status", written_key_status(key.status, prior));
    state.set_attr(
        "expiration",
        keep_equivalent(
            prior.attr("expiration"),
            Value::opt_string(key.expiration.as_deref()),
            same_instant,
        ),
    );
    state.set_attr("rotation_triggers", prior.attr("rotation_triggers").clone());
    state.set_attr("created_at", Value::string(&key.created_at));
    let secret = match &key.key {
        Some(secret) => Value::string(secret.expose()),
        None => prior.attr("secret").clone(),
    };
    state.set_attr("secret", secret);
    state
}

/// An expiration in the past is refused when it is being set, not when an existing key reaches it.
fn check_expiration_in_future(expiration: &str, now: OffsetDateTime, diags: &mut Diagnostics) {
    if let Ok(at) = rules::parse_time(expiration) {
        if at <= now {
            diags.attribute_error(
                "expiration",
                "Expiration in the past",
                format!(
                    "`expiration` {expiration:?} has already passed (it is now {}); give a time in the future.",
                    rules::format_time(now)
                ),
            );
        }
    }
}

#[async_trait]
impl ResourceLogic for AccessKeyResource {
    fn name(&self) -> &'static str {
        "access_key"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_status(config, &mut diags);
        validate_id_attribute(config, "application_id", &mut diags);
        if let Some(expiration) = config.str_attr("expiration") {
            match rules::parse_time(expiration) {
                Err(rule) => diags.attribute_error(
                    "expiration",
                    "Invalid expiration",
                    format!("`expiration`: {rule}."),
                ),
                // The service keeps whole seconds; a fraction would come back changed.
                Ok(at) if at.nanosecond() != 0 => diags.attribute_error(
                    "expiration",
                    "Invalid expiration",
                    format!("`expiration` {expiration:?} has a fraction of a second; the service keeps whole seconds, for example \"2027-06-01T00:00:00Z\"."),
                ),
                Ok(_) => {}
            }
        }
        diags
    }

    fn plan(&self, request: &PlanRequest<'_>) -> Outcome<Plan> {
        let schema = schema();
        let mut plan = base_plan(&schema, request);
        let planned_expiration = plan.state.attr("expiration").clone();
        match request.prior {
            None => {
                if let Some(expiration) = planned_expiration.as_str() {
                    check_expiration_in_future(expiration, request.now, &mut plan.diagnostics);
                }
            }
            Some(prior) => {
                let kept =
                    keep_equivalent(prior.attr("expiration"), planned_expiration, same_instant);
                if kept != *prior.attr("expiration") {
                    if let Some(expiration) = kept.as_str() {
                        check_expiration_in_future(expiration, request.now, &mut plan.diagnostics);
                    }
                }
                plan.state.set_attr("expiration", kept);
            }
        }
        plan.diagnostics.clone().into_result()?;
        Ok(plan)
    }

    async fn create(&self, backend: &dyn Backend, planned: &Object) -> Outcome<Object> {
        let application_id = required_str(planned, "application_id")?;
        let name = required_str(planned, "name")?;
        let new = NewAccessKey {
            name: name.to_owned(),
            description: planned
                .str_attr("description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            status: key_status_of(planned),
            expiration: planned.str_attr("expiration").map(str::to_owned),
        };
        let key = backend
            .create_access_key(application_id, &new)
            .await
            .map_err(|mut e| {
                if e.kind == "account_limit_exceeded" {
                    e.message.push_str(". A create_before_destroy rotation creates the new key while the old one still exists, so it needs a free slot. This key was not created and the application's existing keys are untouched: remove an unused key of this application, then apply again");
                }
                if e.is_not_found() {
                    e.fields.push(unknown_application_field(application_id));
                }
                api_failure(
                    &e,
                    &format!("create izuma_access_key {name:?} of application {application_id}"),
                    &schema(),
                )
            })?;
        if key.key.is_none() {
            return Err(Diagnostics::single(
                "The service returned no secret",
                "The create response of the access key held no `key`; the secret cannot be recovered later. Delete the key and create it again.",
            ));
        }
        Ok(state_from_api(&key, planned))
    }

    async fn read(&self, backend: &dyn Backend, state: &Object) -> Outcome<Option<Object>> {
        let application_id = required_str(state, "application_id")?;
        let id = required_str(state, "id")?;
        let key = backend.get_access_key(application_id, id).await;
        let key = found(key, &format!("read izuma_access_key {id}"), &schema())?;
        Ok(key.map(|key| state_from_api(&key, state)))
    }

    async fn update(
        &self,
        backend: &dyn Backend,
        prior: &Object,
        planned: &Object,
    ) -> Outcome<Object> {
        let application_id = required_str(prior, "application_id")?;
        let id = required_str(prior, "id")?;
        let changed = |name: &str| prior.attr(name) != planned.attr(name);
        let update = AccessKeyUpdate {
            name: changed("name")
                .then(|| planned.str_attr("name").map(str::to_owned))
                .flatten(),
            description: changed("description")
                .then(|| planned.str_attr("description").unwrap_or("").to_owned()),
            // Always sent: a key that reads as EXPIRED hides its written status, which may
            // differ from the plan's.
            status: key_status_of(planned),
            // An empty expiration clears it.
            expiration: changed("expiration")
                .then(|| planned.str_attr("expiration").unwrap_or("").to_owned()),
        };
        let action = format!("update izuma_access_key {id}");
        let key = if update == AccessKeyUpdate::default() {
            backend.get_access_key(application_id, id).await
        } else {
            backend.update_access_key(application_id, id, &update).await
        }
        .map_err(|e| api_failure(&e, &action, &schema()))?;
        let mut state = state_from_api(&key, planned);
        state.set_attr("secret", prior.attr("secret").clone());
        Ok(state)
    }

    async fn delete(&self, backend: &dyn Backend, state: &Object) -> Outcome<()> {
        let application_id = required_str(state, "application_id")?;
        let id = required_str(state, "id")?;
        let deleted = backend.delete_access_key(application_id, id).await;
        gone(deleted, &format!("delete izuma_access_key {id}"), &schema())
    }

    async fn import(&self, backend: &dyn Backend, id: &str) -> Outcome<Object> {
        let (application_id, key_id) = split_key_import_id(id, "izuma_access_key")?;
        let key = backend
            .get_access_key(application_id, key_id)
            .await
            .map_err(|e| api_failure(&e, &format!("import izuma_access_key {id}"), &schema()))?;
        Ok(state_from_api(&key, &Object::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::application::ApplicationResource;
    use crate::resources::test_support::{obj, plan_for};
    use crate::testutil::local_backend;

    async fn application(backend: &dyn Backend) -> String {
        let config = obj(&[("name", Value::string("app"))]);
        let planned = plan_for(&ApplicationResource, None, &config).unwrap().state;
        let state = ApplicationResource.create(backend, &planned).await.unwrap();
        state.str_attr("id").unwrap().to_owned()
    }

    fn config(application_id: &str, name: &str) -> Object {
        obj(&[
            ("application_id", Value::string(application_id)),
            ("name", Value::string(name)),
        ])
    }

    #[tokio::test]
    async fn create_returns_the_secret_once_and_read_keeps_it() {
        let (_dir, backend) = local_backend();
        let app = application(&backend).await;
        let planned = plan_for(&AccessKeyResource, None, &config(&app, "ci"))
            .unwrap()
            .state;
        assert_eq!(planned.attr("secret"), &Value::Unknown);
        let state = AccessKeyResource.create(&backend, &planned).await.unwrap();
        let secret = state.str_attr("secret").unwrap().to_owned();
        assert!(secret.starts_with("ak_"));

        let read = AccessKeyResource
            .read(&backend, &state)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, state);
        let replan = plan_for(&AccessKeyResource, Some(&state), &config(&app, "ci")).unwrap();
        assert_eq!(replan.state, state);
        assert!(replan.requires_replace.is_empty());

        let imported = AccessKeyResource
            .import(
                &backend,
                &format!("{app}/{}", state.str_attr("id").unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(imported.attr("secret"), &Value::Null);
        let mut without_secret = state.clone();
        without_secret.set_attr("secret", Value::Null);
        assert_eq!(imported, without_secret);
    }

    /// Regression: an expired key reads as EXPIRED, which hides a status changed outside
    /// Terraform; the update must still deliver the planned status, or Terraform reports an
    /// inconsistent result.
    #[tokio::test]
    async fn an_update_delivers_the_planned_status_even_when_expired_hid_a_drift() {
        use crate::api::{AccessKeyUpdate as Update, KeyStatus};
        use crate::engine::Actor;
        let (_dir, backend) = local_backend();
        let app = application(&backend).await;
        let planned = plan_for(&AccessKeyResource, None, &config(&app, "k"))
            .unwrap()
            .state;
        let state = AccessKeyResource.create(&backend, &planned).await.unwrap();
        let key_id = state.str_attr("id").unwrap();
        backend
            .engine()
            .update_access_key(
                &Actor::Local,
                &app,
                key_id,
                &Update {
                    status: Some(KeyStatus::Inactive),
                    expiration: Some("2020-01-01T00:00:00Z".into()),
                    ..Update::default()
                },
            )
            .unwrap();
        let refreshed = AccessKeyResource
            .read(&backend, &state)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refreshed.attr("status"), &Value::string("ACTIVE"));
        let plan = plan_for(&AccessKeyResource, Some(&refreshed), &config(&app, "k")).unwrap();
        let updated = AccessKeyResource
            .update(&backend, &refreshed, &plan.state)
            .await
            .unwrap();
        assert_eq!(updated.attr("status"), plan.state.attr("status"));
    }

    #[tokio::test]
    async fn a_third_key_fails_with_the_rotation_hint() {
        let (_dir, backend) = local_backend();
        let app = application(&backend).await;
        for name in ["one", "two"] {
            let planned = plan_for(&AccessKeyResource, None, &config(&app, name))
                .unwrap()
                .state;
            AccessKeyResource.create(&backend, &planned).await.unwrap();
        }
        let planned = plan_for(&AccessKeyResource, None, &config(&app, "three"))
            .unwrap()
            .state;
        let text = AccessKeyResource
            .create(&backend, &planned)
            .await
            .unwrap_err()
            .to_text();
        assert!(text.contains("the most an application may hold"), "{text}");
        assert!(text.contains("This key was not created"), "{text}");
        assert!(text.contains("already has 2 access keys"), "{text}");
    }

    #[test]
    fn rotation_triggers_and_application_force_replacement() {
        let prior = obj(&[
            ("id", Value::string("0".repeat(32))),
            ("application_id", Value::string("a".repeat(32))),
            ("name", Value::string("k")),
            ("status", Value::string("ACTIVE")),
            (
                "rotation_triggers",
                Value::Map([("v".to_owned(), Value::string("1"))].into()),
            ),
            ("created_at", Value::string("2026-01-01T00:00:00Z")),
            ("secret", Value::string("ak_x")),
        ]);
        let mut config = config(&"a".repeat(32), "k");
        config.set_attr(
            "rotation_triggers",
            Value::Map([("v".to_owned(), Value::string("2"))].into()),
        );
        let plan = plan_for(&AccessKeyResource, Some(&prior), &config).unwrap();
        assert_eq!(plan.requires_replace, vec!["rotation_triggers".to_owned()]);
    }

    #[test]
    fn expiration_is_checked_at_plan_time() {
        let mut config = config(&"a".repeat(32), "k");
        config.set_attr("expiration", Value::string("yesterday"));
        assert!(AccessKeyResource
            .validate(&config)
            .to_text()
            .contains("RFC 3339"));
        config.set_attr("expiration", Value::string("2027-06-01T00:00:00.123456Z"));
        assert!(AccessKeyResource
            .validate(&config)
            .to_text()
            .contains("whole seconds"));
        config.set_attr("expiration", Value::string("2001-01-01T00:00:00Z"));
        let diags = plan_for(&AccessKeyResource, None, &config).unwrap_err();
        assert!(
            diags.to_text().contains("has already passed"),
            "{}",
            diags.to_text()
        );
    }

    #[test]
    fn an_equivalent_expiration_is_no_change() {
        let prior = obj(&[
            ("id", Value::string("0".repeat(32))),
            ("application_id", Value::string("a".repeat(32))),
            ("name", Value::string("k")),
            ("status", Value::string("ACTIVE")),
            ("expiration", Value::string("2099-01-01T00:00:00Z")),
        ]);
        let mut config = config(&"a".repeat(32), "k");
        config.set_attr("expiration", Value::string("2099-01-01T01:00:00+01:00"));
        let plan = plan_for(&AccessKeyResource, Some(&prior), &config).unwrap();
        assert_eq!(
            plan.state.attr("expiration"),
            &Value::string("2099-01-01T00:00:00Z")
        );
    }
}
