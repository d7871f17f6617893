//! `izuma_jwt_verification_key`: an X.509 certificate whose public key verifies the JWTs an
//! application signs with its own private key. The private key never reaches the provider or the
//! service. The certificate is parsed at plan time, so the plan already shows its fingerprint,
//! issuer, subject and expiration, and bad certificates fail before anything is created.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::{
    api_failure, base_plan, found, gone, keep_equivalent, key_status_of, optional_text,
    required_str, split_key_import_id, validate_common, validate_id_attribute, validate_status,
    written_key_status, Outcome, Plan, PlanRequest, ResourceLogic,
};
use crate::api::{NewVerificationKey, VerificationKey, VerificationKeyUpdate};
use crate::backend::Backend;
use crate::certificate::{parse_certificate, same_certificate, CertificateInfo};
use crate::diagnostics::Diagnostics;
use crate::rules::{self, format_time};
use crate::schema::{AttrType, Attribute, Schema};
use crate::value::{Object, ObjectExt, Value};

pub struct JwtVerificationKeyResource;

/// Length of the suffix `name_prefix` gets: UTC time to the second, then 12 random hex digits.
const NAME_SUFFIX_LEN: usize = 26;

/// A unique name from `prefix`, as `name_prefix` promises.
fn name_from_prefix(prefix: &str) -> String {
    let now = OffsetDateTime::now_utc();
    let random: [u8; 6] = rand::random();
    format!(
        "{prefix}{:04}{:02}{:02}{:02}{:02}{:02}{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        hex::encode(random)
    )
}

pub fn schema() -> Schema {
    Schema::new(
        "A JWT verification key of an Izuma application: an X.509 certificate whose public key verifies the JWTs the application signs with its own private key, which never leaves your environment. The certificate is checked at plan time (one PEM certificate; RSA of at least 2048 bits or EC P-256/P-384/P-521; currently valid). A new certificate replaces the key.",
        vec![
            Attribute::computed("id", AttrType::String, "The verification key's id (32 lowercase hexadecimal characters)."),
            Attribute::required("application_id", AttrType::String, "Id of the application whose JWTs the key verifies. Changing it replaces the key.")
                .force_new(),
            Attribute::optional_computed("name", AttrType::String, "Name of the key, 1 to 100 characters, unique in the account. Give `name` or `name_prefix`."),
            Attribute::optional("name_prefix", AttrType::String, "Instead of `name`: the provider creates a unique name starting with this prefix (up to 74 characters; 26 characters of time and randomness follow). Use it with `create_before_destroy`: names are unique in the account, so a replacement with a fixed `name` cannot be created while the key it replaces exists.")
                .force_new(),
            Attribute::optional("description", AttrType::String, "Free-form description, up to 500 characters."),
            Attribute::optional("kid", AttrType::String, "Key id, up to 100 characters. A JWT whose header names this `kid` is verified with this key only."),
            Attribute::optional_computed("status", AttrType::String, "`ACTIVE` or `INACTIVE`; an inactive key verifies nothing. Defaults to `ACTIVE`. (`EXPIRED` is derived from the certificate and cannot be set.)")
                .default_string("ACTIVE"),
            Attribute::required("certificate", AttrType::String, "One X.509 certificate in PEM. Only the certificate: never paste the private key. Line endings and surrounding whitespace do not matter; a different certificate replaces the key.")
                .force_new(),
            Attribute::optional("rotation_triggers", AttrType::StringMap, "Arbitrary map of values; changing it replaces the key. Combine with `lifecycle { create_before_destroy = true }` for a rotation without downtime.")
                .force_new(),
            Attribute::optional("early_renewal_days", AttrType::Number, "When the certificate expires within this many days, the plan replaces the key (`ready_for_renewal` turns true), so a pipeline that runs regularly renews it before it lapses."),
            Attribute::computed("ready_for_renewal", AttrType::Bool, "True when the certificate expires within `early_renewal_days`: the key is then planned for replacement."),
            Attribute::computed("fingerprint", AttrType::String, "SHA-256 of the certificate's DER encoding, 64 lowercase hexadecimal characters."),
            Attribute::computed("issuer", AttrType::String, "The certificate's issuer distinguished name."),
            Attribute::computed("subject", AttrType::String, "The certificate's subject distinguished name."),
            Attribute::computed("expiration", AttrType::String, "The certificate's not-after time (RFC 3339, UTC)."),
            Attribute::computed("created_at", AttrType::String, "When the key was created (RFC 3339, UTC)."),
        ],
    )
}

/// Sets the attributes that come from the certificate itself. Computed from the certificate by the
/// provider (not copied from the service's answer), so plan and apply agree to the byte.
fn set_certificate_facts(state: &mut Object, info: &CertificateInfo) {
    state.set_attr("fingerprint", Value::string(&info.fingerprint));
    state.set_attr("issuer", Value::string(&info.issuer));
    state.set_attr("subject", Value::string(&info.subject));
    state.set_attr("expiration", Value::string(format_time(info.not_after)));
}

/// Terraform state from the service's key; `prior` keeps the user's certificate text and the
/// arguments the service does not store.
pub fn state_from_api(key: &VerificationKey, prior: &Object) -> Object {
    let mut state = Object::new();
    state.set_attr("id", Value::string(&key.id));
    state.set_attr("application_id", Value::string(&key.application_id));
    state.set_attr("name", Value::string(&key.name));
    state.set_attr("name_prefix", prior.attr("name_prefix").clone());
    state.set_attr(
        "description",
        optional_text(prior.attr("description"), key.description.as_deref()),
    );
    state.set_attr("kid", optional_text(prior.attr("kid"), key.kid.as_deref()));
    state.set_attr("status", written_key_status(key.status, prior));
    state.set_attr(
        "certificate",
        keep_equivalent(
            prior.attr("certificate"),
            Value::string(&key.certificate),
            same_certificate,
        ),
    );
    state.set_attr("rotation_triggers", prior.attr("rotation_triggers").clone());
    state.set_attr(
        "early_renewal_days",
        prior.attr("early_renewal_days").clone(),
    );
    state.set_attr(
        "ready_for_renewal",
        Value::Bool(prior.attr("ready_for_renewal").as_bool().unwrap_or(false)),
    );
    state.set_attr("fingerprint", Value::string(&key.fingerprint));
    state.set_attr("issuer", Value::string(&key.issuer));
    state.set_attr("subject", Value::string(&key.subject));
    state.set_attr("expiration", Value::string(&key.expiration));
    if let Ok(info) = parse_certificate(&key.certificate) {
        set_certificate_facts(&mut state, &info);
    }
    state.set_attr("created_at", Value::string(&key.created_at));
    state
}

/// Whether a certificate expiring at `expiration` is inside the renewal window at `now`.
pub fn ready_for_renewal(
    expiration: OffsetDateTime,
    early_renewal_days: Option<i64>,
    now: OffsetDateTime,
) -> bool {
    match early_renewal_days {
        Some(days) if days > 0 => now >= expiration - Duration::days(days),
        _ => false,
    }
}

#[async_trait]
impl ResourceLogic for JwtVerificationKeyResource {
    fn name(&self) -> &'static str {
        "jwt_verification_key"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Diagnostics {
        let mut diags = validate_common(&schema(), config);
        validate_status(config, &mut diags);
        validate_id_attribute(config, "application_id", &mut diags);
        match (config.attr("name"), config.attr("name_prefix")) {
            (Value::Null, Value::Null) => diags.attribute_error(
                "name",
                "Missing name",
                "Give `name`, or `name_prefix` for a generated unique name.",
            ),
            (name, prefix) if !name.is_null() && !prefix.is_null() => diags.attribute_error(
                "name_prefix",
                "Both name and name_prefix are set",
                "`name` and `name_prefix` exclude each other: give one of them.",
            ),
            _ => {}
        }
        if let Some(prefix) = config.str_attr("name_prefix") {
            let len = prefix.chars().count();
            if len == 0 || len > rules::NAME_MAX - NAME_SUFFIX_LEN {
                diags.attribute_error(
                    "name_prefix",
                    "Invalid name_prefix",
                    format!(
                        "`name_prefix` is {len} characters long; it is 1 to {} characters, since {NAME_SUFFIX_LEN} characters are added.",
                        rules::NAME_MAX - NAME_SUFFIX_LEN
                    ),
                );
            } else if let Err(rule) = rules::check_name(prefix) {
                diags.attribute_error(
                    "name_prefix",
                    "Invalid name_prefix",
                    format!("`name_prefix` {rule}."),
                );
            }
        }
        if let Some(kid) = config.str_attr("kid") {
            if let Err(rule) = rules::check_kid(kid) {
                diags.attribute_error("kid", "Invalid kid", format!("`kid` {rule}."));
            }
        }
        match config.attr("early_renewal_days") {
            Value::Null | Value::Unknown => {}
            value => match value.as_i64() {
                Some(days) if (0..=3650).contains(&days) => {}
                _ => diags.attribute_error(
                    "early_renewal_days",
                    "Invalid early_renewal_days",
                    "`early_renewal_days` is a whole number of days from 0 to 3650.",
                ),
            },
        }
        if let Some(pem) = config.str_attr("certificate") {
            if let Err(problem) = parse_certificate(pem) {
                diags.attribute_error(
                    "certificate",
                    "Invalid certificate",
                    format!("`certificate` {problem}."),
                );
            }
        }
        diags
    }

    fn plan(&self, request: &PlanRequest<'_>) -> Outcome<Plan> {
        let schema = schema();
        let mut plan = base_plan(&schema, request);
        let early_renewal_days = plan.state.attr("early_renewal_days").as_i64();
        if let Some(prior) = request.prior {
            // Same certificate in another spelling: keep the prior text, no replacement.
            let kept = keep_equivalent(
                prior.attr("certificate"),
                plan.state.attr("certificate").clone(),
                same_certificate,
            );
            if kept == *prior.attr("certificate") {
                plan.requires_replace.retain(|name| name != "certificate");
            }
            plan.state.set_attr("certificate", kept);
            let expiration = prior
                .str_attr("expiration")
                .and_then(|e| rules::parse_time(e).ok());
            if let Some(expiration) = expiration {
                if ready_for_renewal(expiration, early_renewal_days, request.now) {
                    plan.state.set_attr("ready_for_renewal", Value::Bool(true));
                    if prior.attr("ready_for_renewal") != &Value::Bool(true) {
                        plan.requires_replace.push("ready_for_renewal".into());
                    }
                } else {
                    plan.state.set_attr("ready_for_renewal", Value::Bool(false));
                }
            }
            return Ok(plan);
        }
        // Create: what the certificate says is known now.
        plan.state.set_attr("ready_for_renewal", Value::Bool(false));
        // Set from the certificate below when it is known: a key created inside its renewal
        // window is not replaced again until a new certificate arrives.
        if let Some(pem) = plan.state.str_attr("certificate").map(str::to_owned) {
            let info = parse_certificate(&pem).map_err(|problem| {
                let mut diags = Diagnostics::new();
                diags.attribute_error(
                    "certificate",
                    "Invalid certificate",
                    format!("`certificate` {problem}."),
                );
                diags
            })?;
            if let Err(problem) = info.check_validity(request.now) {
                let mut diags = Diagnostics::new();
                diags.attribute_error(
                    "certificate",
                    "Certificate not valid now",
                    format!("`certificate` {problem}."),
                );
                return Err(diags);
            }
            set_certificate_facts(&mut plan.state, &info);
            if ready_for_renewal(info.not_after, early_renewal_days, request.now) {
                plan.state.set_attr("ready_for_renewal", Value::Bool(true));
                plan.diagnostics.attribute_warning(
                    "certificate",
                    "Certificate inside its renewal window",
                    format!(
                        "The certificate expires on {}, within early_renewal_days ({}): the key is (re)created with it and `ready_for_renewal` is true; supply a renewed certificate to renew it for real.",
                        format_time(info.not_after),
                        early_renewal_days.unwrap_or_default()
                    ),
                );
            }
        }
        Ok(plan)
    }

    async fn create(&self, backend: &dyn Backend, planned: &Object) -> Outcome<Object> {
        let application_id = required_str(planned, "application_id")?;
        let name = match (planned.str_attr("name"), planned.str_attr("name_prefix")) {
            (Some(name), _) => name.to_owned(),
            (None, Some(prefix)) => name_from_prefix(prefix),
            (None, None) => required_str(planned, "name")?.to_owned(),
        };
        let certificate = required_str(planned, "certificate")?;
        let new = NewVerificationKey {
            name: name.clone(),
            certificate: certificate.to_owned(),
            description: planned
                .str_attr("description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            kid: planned.str_attr("kid").map(str::to_owned),
            status: key_status_of(planned),
        };
        let key = backend
            .create_verification_key(application_id, &new)
            .await
            .map_err(|mut e| {
                if e.is_not_found() {
                    e.fields.push(super::unknown_application_field(application_id));
                }
                api_failure(
                    &e,
                    &format!("create izuma_jwt_verification_key {name:?} of application {application_id}"),
                    &schema(),
                )
            })?;
        Ok(state_from_api(&key, planned))
    }

    async fn read(&self, backend: &dyn Backend, state: &Object) -> Outcome<Option<Object>> {
        let application_id = required_str(state, "application_id")?;
        let id = required_str(state, "id")?;
        let key = backend.get_verification_key(application_id, id).await;
        let key = found(
            key,
            &format!("read izuma_jwt_verification_key {id}"),
            &schema(),
        )?;
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
        let update = VerificationKeyUpdate {
            name: changed("name")
                .then(|| planned.str_attr("name").map(str::to_owned))
                .flatten(),
            description: changed("description")
                .then(|| planned.str_attr("description").unwrap_or("").to_owned()),
            kid: changed("kid").then(|| planned.str_attr("kid").unwrap_or("").to_owned()),
            // Always sent: a key that reads as EXPIRED hides its written status, which may
            // differ from the plan's.
            status: key_status_of(planned),
        };
        let action = format!("update izuma_jwt_verification_key {id}");
        let key = if update == VerificationKeyUpdate::default() {
            backend.get_verification_key(application_id, id).await
        } else {
            backend
                .update_verification_key(application_id, id, &update)
                .await
        }
        .map_err(|e| api_failure(&e, &action, &schema()))?;
        Ok(state_from_api(&key, planned))
    }

    async fn delete(&self, backend: &dyn Backend, state: &Object) -> Outcome<()> {
        let application_id = required_str(state, "application_id")?;
        let id = required_str(state, "id")?;
        let deleted = backend.delete_verification_key(application_id, id).await;
        gone(
            deleted,
            &format!("delete izuma_jwt_verification_key {id}"),
            &schema(),
        )
    }

    async fn import(&self, backend: &dyn Backend, id: &str) -> Outcome<Object> {
        let (application_id, key_id) = split_key_import_id(id, "izuma_jwt_verification_key")?;
        let key = backend
            .get_verification_key(application_id, key_id)
            .await
            .map_err(|e| {
                api_failure(
                    &e,
                    &format!("import izuma_jwt_verification_key {id}"),
                    &schema(),
                )
            })?;
        Ok(state_from_api(&key, &Object::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::application::ApplicationResource;
    use crate::resources::test_support::{obj, plan_for};
    use crate::testutil::{certs, local_backend};

    fn config(application_id: &str, name: &str, certificate: &str) -> Object {
        obj(&[
            ("application_id", Value::string(application_id)),
            ("name", Value::string(name)),
            ("certificate", Value::string(certificate)),
        ])
    }

    #[tokio::test]
    async fn plan_shows_the_certificate_facts_and_apply_agrees() {
        let (_dir, backend) = local_backend();
        let app_config = obj(&[("name", Value::string("app"))]);
        let app_plan = plan_for(&ApplicationResource, None, &app_config)
            .unwrap()
            .state;
        let app = ApplicationResource
            .create(&backend, &app_plan)
            .await
            .unwrap();
        let app_id = app.str_attr("id").unwrap();

        let cert = certs::ec_p256("CN=signer");
        let config = config(app_id, "signer", &cert.certificate_pem);
        let planned = plan_for(&JwtVerificationKeyResource, None, &config)
            .unwrap()
            .state;
        assert_eq!(planned.str_attr("fingerprint").unwrap().len(), 64);
        let state = JwtVerificationKeyResource
            .create(&backend, &planned)
            .await
            .unwrap();
        for name in [
            "fingerprint",
            "issuer",
            "subject",
            "expiration",
            "certificate",
        ] {
            assert_eq!(state.attr(name), planned.attr(name), "{name}");
        }

        // The same certificate with CRLF line ends: no change at all.
        let crlf = config_with_certificate(&config, &cert.certificate_pem.replace('\n', "\r\n"));
        let replan = plan_for(&JwtVerificationKeyResource, Some(&state), &crlf).unwrap();
        assert!(replan.requires_replace.is_empty());
        assert_eq!(replan.state, state);

        // Another certificate: replacement.
        let other = certs::ec_p256("CN=other");
        let changed = config_with_certificate(&config, &other.certificate_pem);
        let replan = plan_for(&JwtVerificationKeyResource, Some(&state), &changed).unwrap();
        assert_eq!(replan.requires_replace, vec!["certificate".to_owned()]);
    }

    fn config_with_certificate(config: &Object, pem: &str) -> Object {
        let mut config = config.clone();
        config.set_attr("certificate", Value::string(pem));
        config
    }

    #[test]
    fn early_renewal_plans_a_replacement_inside_the_window_only() {
        let now = OffsetDateTime::now_utc();
        let prior = obj(&[
            ("id", Value::string("0".repeat(32))),
            ("application_id", Value::string("a".repeat(32))),
            ("name", Value::string("k")),
            ("status", Value::string("ACTIVE")),
            ("certificate", Value::string("PEM")),
            ("ready_for_renewal", Value::Bool(false)),
            (
                "expiration",
                Value::string(format_time(now + Duration::days(10))),
            ),
        ]);
        let mut config = config(&"a".repeat(32), "k", "PEM");
        config.set_attr("early_renewal_days", Value::Number(30.0));
        let plan = plan_for(&JwtVerificationKeyResource, Some(&prior), &config).unwrap();
        assert_eq!(plan.requires_replace, vec!["ready_for_renewal".to_owned()]);

        config.set_attr("early_renewal_days", Value::Number(5.0));
        let plan = plan_for(&JwtVerificationKeyResource, Some(&prior), &config).unwrap();
        assert!(plan.requires_replace.is_empty());
    }

    /// Regression: a key created inside its renewal window showed `ready_for_renewal = false` in
    /// the plan that replaced it, so the plan never said why.
    #[test]
    fn a_create_inside_the_renewal_window_says_so_in_the_plan() {
        let now = OffsetDateTime::now_utc();
        let cert =
            certs::ec_p256_valid("CN=soon", now - Duration::days(1), now + Duration::days(10));
        let mut config = config(&"a".repeat(32), "k", &cert.certificate_pem);
        config.set_attr("early_renewal_days", Value::Number(30.0));
        let plan = plan_for(&JwtVerificationKeyResource, None, &config).unwrap();
        assert_eq!(plan.state.attr("ready_for_renewal"), &Value::Bool(true));
        assert!(plan.diagnostics.to_text().contains("renewal window"));
    }

    #[test]
    fn name_prefix_generates_unique_names_of_legal_length() {
        let prefix = "p".repeat(74);
        let (a, b) = (name_from_prefix(&prefix), name_from_prefix(&prefix));
        assert_ne!(a, b);
        assert_eq!(a.chars().count(), 100);
        assert!(rules::check_name(&a).is_ok());
    }

    #[test]
    fn exactly_one_of_name_and_name_prefix() {
        let cert = certs::ec_p256("CN=x");
        let mut both = config(&"a".repeat(32), "k", &cert.certificate_pem);
        both.set_attr("name_prefix", Value::string("k-"));
        assert!(JwtVerificationKeyResource
            .validate(&both)
            .to_text()
            .contains("exclude each other"));
        both.remove("name");
        assert!(JwtVerificationKeyResource.validate(&both).is_empty());
        both.remove("name_prefix");
        assert!(JwtVerificationKeyResource
            .validate(&both)
            .to_text()
            .contains("Give `name`"));
    }

    #[test]
    fn a_private_key_is_refused_at_plan_time_without_echo() {
        let cert = certs::ec_p256("CN=x");
        let diags = JwtVerificationKeyResource.validate(&config(
            &"a".repeat(32),
            "k",
            &cert.private_key_pem,
        ));
        let text = diags.to_text();
        assert!(text.contains("private key"), "{text}");
        assert!(!text.contains("BEGIN PRIVATE KEY"), "{text}");
    }
}
