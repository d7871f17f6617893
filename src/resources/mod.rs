//! Resource logic: planning, validation and the mapping between Terraform values and API objects,
//! on plain Rust types. Nothing here knows the Terraform protocol; the adapter in `provider` calls
//! these through [`ResourceLogic`]. One file per resource, its tests beside it.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::api::{ApiError, ApiResult, KeyStatus};
use crate::backend::Backend;
use crate::diagnostics::{from_api_error, Diagnostics};
use crate::rules;
use crate::schema::{AttrType, Presence, Schema};
use crate::value::{Object, ObjectExt, Value};

pub mod access_key;
pub mod application;
pub mod jwt_verification_key;

/// What Terraform hands a plan: the prior state (`None` when creating), its proposed new state and
/// the configuration.
pub struct PlanRequest<'a> {
    pub prior: Option<&'a Object>,
    pub proposed: &'a Object,
    pub config: &'a Object,
    pub now: OffsetDateTime,
}

/// The planned state, the attributes whose change forces a replacement, and any warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub state: Object,
    pub requires_replace: Vec<String>,
    pub diagnostics: Diagnostics,
}

pub type Outcome<T> = Result<T, Diagnostics>;

#[async_trait]
pub trait ResourceLogic: Send + Sync + 'static {
    /// The type name without the provider prefix (`access_key`).
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Checks what can be checked on the configuration alone; unknown values pass.
    fn validate(&self, config: &Object) -> Diagnostics;
    fn plan(&self, request: &PlanRequest<'_>) -> Outcome<Plan>;
    async fn create(&self, backend: &dyn Backend, planned: &Object) -> Outcome<Object>;
    /// `None` when the object no longer exists: Terraform then plans to create it again.
    async fn read(&self, backend: &dyn Backend, state: &Object) -> Outcome<Option<Object>>;
    async fn update(
        &self,
        backend: &dyn Backend,
        prior: &Object,
        planned: &Object,
    ) -> Outcome<Object>;
    async fn delete(&self, backend: &dyn Backend, state: &Object) -> Outcome<()>;
    async fn import(&self, backend: &dyn Backend, id: &str) -> Outcome<Object>;
}

/// All resources of the provider.
pub fn all() -> Vec<Box<dyn ResourceLogic>> {
    vec![
        Box::new(application::ApplicationResource),
        Box::new(access_key::AccessKeyResource),
        Box::new(jwt_verification_key::JwtVerificationKeyResource),
    ]
}

/// The plan every resource starts from, driven by the schema:
/// - an omitted attribute with a default is planned as the default;
/// - computed attributes are unknown on create and keep their prior value on update;
/// - a changed `force_new` attribute requires replacement.
///
/// Resources then refine it (values they can compute at plan time, semantic equality).
pub fn base_plan(schema: &Schema, request: &PlanRequest<'_>) -> Plan {
    let mut state = request.proposed.clone();
    let mut requires_replace = Vec::new();
    for attribute in &schema.attributes {
        let name = attribute.name;
        let configured = request.config.attr(name);
        match attribute.presence {
            Presence::OptionalComputed if configured.is_null() => {
                if let Some(default) = &attribute.default {
                    state.set_attr(name, default.clone());
                } else if request.prior.is_none() {
                    state.set_attr(name, Value::Unknown);
                }
            }
            Presence::Computed if request.prior.is_none() => {
                state.set_attr(name, Value::Unknown);
            }
            _ => {}
        }
        if let Some(prior) = request.prior {
            if attribute.force_new && prior.attr(name) != state.attr(name) {
                requires_replace.push(name.to_owned());
            }
        }
    }
    Plan {
        state,
        requires_replace,
        diagnostics: Diagnostics::new(),
    }
}

/// Whether a plan for an existing object changes any argument (anything not computed-only).
pub fn changes_arguments(schema: &Schema, prior: &Object, planned: &Object) -> bool {
    schema
        .attributes
        .iter()
        .filter(|a| a.presence != Presence::Computed)
        .any(|a| prior.attr(a.name) != planned.attr(a.name))
}

/// Marks computed attributes that the service changes on every update (`updated_at`) as unknown
/// when the plan changes anything.
pub fn mark_changed_on_update(plan: &mut Plan, schema: &Schema, prior: &Object, names: &[&str]) {
    if changes_arguments(schema, prior, &plan.state) {
        for name in names {
            plan.state.set_attr(name, Value::Unknown);
        }
    }
}

/// Checks shared by every resource: computed-only attributes must not be configured, and the
/// common string rules (name, description, status) hold where the values are known.
pub fn validate_common(schema: &Schema, config: &Object) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for attribute in &schema.attributes {
        if attribute.presence == Presence::Computed && !config.attr(attribute.name).is_null() {
            diags.attribute_error(
                attribute.name,
                format!("`{}` cannot be set", attribute.name),
                format!(
                    "`{}` is read-only: the provider sets it. Remove it from the configuration.",
                    attribute.name
                ),
            );
        }
    }
    if let Some(name) = config.str_attr("name") {
        if let Err(rule) = rules::check_name(name) {
            diags.attribute_error("name", "Invalid name", format!("`name` {rule}."));
        }
    }
    if let Some(description) = config.str_attr("description") {
        if let Err(rule) = rules::check_description(description) {
            diags.attribute_error(
                "description",
                "Invalid description",
                format!("`description` {rule}."),
            );
        }
    }
    diags
}

/// Checks a `status` value against the allowed ones; `EXPIRED` gets its own reason.
/// The statuses a configuration may write, for applications and keys alike (`EXPIRED` is derived).
pub const WRITABLE_STATUSES: &[&str] = &["ACTIVE", "INACTIVE"];

/// A key's written status in a planned state.
pub fn key_status_of(state: &Object) -> Option<KeyStatus> {
    state.str_attr("status").and_then(KeyStatus::parse)
}

pub fn validate_status(config: &Object, diags: &mut Diagnostics) {
    let allowed = WRITABLE_STATUSES;
    let Some(status) = config.str_attr("status") else {
        return;
    };
    if allowed.contains(&status) {
        return;
    }
    let detail = if status == "EXPIRED" {
        "`status` cannot be set to \"EXPIRED\": the service derives it from the expiration. Use \"ACTIVE\" or \"INACTIVE\".".to_string()
    } else {
        format!(
            "`status` is {status:?}; allowed values are {}.",
            allowed
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    diags.attribute_error("status", "Invalid status", detail);
}

/// Checks an id-valued argument such as `application_id` when known.
pub fn validate_id_attribute(config: &Object, name: &str, diags: &mut Diagnostics) {
    if let Some(id) = config.str_attr(name) {
        if let Err(rule) = rules::check_id(id) {
            diags.attribute_error(
                name,
                format!("Invalid {name}"),
                format!("`{name}`: {rule}."),
            );
        }
    }
}

/// The value to keep in state for a string the service may return in another spelling: the prior
/// (or planned) value when both mean the same, so no diff appears.
pub fn keep_equivalent(
    prior: &Value,
    fresh: Value,
    equivalent: impl Fn(&str, &str) -> bool,
) -> Value {
    match (prior, &fresh) {
        (Value::String(a), Value::String(b)) if equivalent(a, b) => prior.clone(),
        _ => fresh,
    }
}

/// An optional string the service returns as absent or empty: `""` and null are the same, and the
/// representation the user chose (prior state) is kept.
pub fn optional_text(prior: &Value, fresh: Option<&str>) -> Value {
    let fresh = fresh.filter(|s| !s.is_empty());
    match (prior, fresh) {
        (Value::String(p), None) if p.is_empty() => prior.clone(),
        (_, fresh) => Value::opt_string(fresh),
    }
}

/// A set of strings; an empty set and null are the same, and the prior representation is kept.
pub fn string_set(prior: &Value, mut fresh: Vec<String>) -> Value {
    fresh.sort();
    fresh.dedup();
    if fresh.is_empty() && (prior.is_null() || *prior == Value::List(vec![])) {
        return prior.clone();
    }
    Value::string_list(fresh)
}

/// A read's result: a 404 means the object was deleted outside Terraform, which is not an error:
/// `None` makes Terraform plan to create it again.
pub fn found<T>(result: ApiResult<T>, action: &str, schema: &Schema) -> Outcome<Option<T>> {
    match result {
        Ok(object) => Ok(Some(object)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(api_failure(&e, action, schema)),
    }
}

/// A delete's result: a 404 means the object is already gone, which is what was asked.
pub fn gone(result: ApiResult<()>, action: &str, schema: &Schema) -> Outcome<()> {
    match result {
        Err(e) if !e.is_not_found() => Err(api_failure(&e, action, schema)),
        _ => Ok(()),
    }
}

/// The `status` to keep in state for a key: `EXPIRED` is derived from the expiration, not what
/// was written, so the written status (the prior state's) is kept instead.
pub fn written_key_status(status: KeyStatus, prior: &Object) -> Value {
    match status {
        KeyStatus::Expired => Value::string(
            prior
                .str_attr("status")
                .unwrap_or(KeyStatus::Active.as_str()),
        ),
        status => Value::string(status.as_str()),
    }
}

/// An API error as diagnostics for `action` on this resource's attributes.
pub fn api_failure(error: &ApiError, action: &str, schema: &Schema) -> Diagnostics {
    let names: Vec<&str> = schema.attributes.iter().map(|a| a.name).collect();
    from_api_error(error, action, &names)
}

/// A 404 when creating a key means its application is gone: point at `application_id`.
pub fn unknown_application_field(application_id: &str) -> crate::api::FieldError {
    crate::api::FieldError {
        name: "application_id".into(),
        message: format!("no application with id {application_id} exists in the account (deleted outside Terraform, or a typo)"),
    }
}

/// A required string argument of a planned state (known at apply time).
pub fn required_str<'a>(state: &'a Object, name: &str) -> Outcome<&'a str> {
    state.str_attr(name).ok_or_else(|| {
        Diagnostics::single(
            format!("`{name}` is not known"),
            format!("`{name}` must be known when the resource is applied."),
        )
    })
}

/// Splits an import id `<application_id>/<key_id>`.
pub fn split_key_import_id<'a>(id: &'a str, what: &str) -> Outcome<(&'a str, &'a str)> {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        [application_id, key_id]
            if rules::is_valid_id(application_id) && rules::is_valid_id(key_id) =>
        {
            Ok((application_id, key_id))
        }
        _ => Err(Diagnostics::single(
            "Invalid import id",
            format!(
                "{id:?} is not an {what} import id: use <application_id>/<key_id>, two ids of 32 lowercase hexadecimal characters."
            ),
        )),
    }
}

/// Type check used by tests: every schema attribute has a description.
pub fn undocumented_attributes(schema: &Schema) -> Vec<&'static str> {
    schema
        .attributes
        .iter()
        .filter(|a| a.description.trim().is_empty())
        .map(|a| a.name)
        .chain(
            schema
                .attributes
                .iter()
                .filter_map(|a| match &a.ty {
                    AttrType::ObjectList(inner) => Some(inner),
                    _ => None,
                })
                .flatten()
                .filter(|a| a.description.trim().is_empty())
                .map(|a| a.name),
        )
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Planning helpers for the resources' unit tests.
    use super::*;

    pub fn obj(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    /// The proposed new state Terraform would send for `config`: configured values, prior values
    /// for omitted computed attributes, null otherwise.
    pub fn proposed(schema: &Schema, prior: Option<&Object>, config: &Object) -> Object {
        let mut state = Object::new();
        for attribute in &schema.attributes {
            let configured = config.attr(attribute.name).clone();
            let value = match (attribute.presence, prior) {
                (Presence::Computed, Some(prior)) => prior.attr(attribute.name).clone(),
                (Presence::Computed, None) => Value::Null,
                (Presence::OptionalComputed, Some(prior)) if configured.is_null() => {
                    prior.attr(attribute.name).clone()
                }
                _ => configured,
            };
            state.insert(attribute.name.to_owned(), value);
        }
        state
    }

    pub fn plan_for(
        resource: &dyn ResourceLogic,
        prior: Option<&Object>,
        config: &Object,
    ) -> Outcome<Plan> {
        let schema = resource.schema();
        let proposed = proposed(&schema, prior, config);
        resource.plan(&PlanRequest {
            prior,
            proposed: &proposed,
            config,
            now: OffsetDateTime::now_utc(),
        })
    }
}
