//! Verification keys: an application's X.509 certificates, for the JWTs it signs.

use crate::api::{
    ApiError, ApiResult, Application, KeyStatus, ListPage, NewVerificationKey, VerificationKey,
    VerificationKeyUpdate,
};
use crate::certificate::parse_certificate;
use crate::rules;

use super::store::{status_filter, AuditAction, Filter, Record, Store};
use super::{
    check_field, check_writable_status, clashing_id, common_changes, new_id, non_empty,
    require_key_of, Actor, Engine, ListQuery,
};

/// The list filters of `GET .../verification-keys`; each given one must match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerificationKeyFilter {
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// Compared in lower case, as fingerprints are stored.
    pub fingerprint: Option<String>,
    pub status: Option<KeyStatus>,
}

impl Engine {
    pub fn list_verification_keys(
        &self,
        query: &ListQuery,
        application_id: &str,
        filters: &VerificationKeyFilter,
    ) -> ApiResult<ListPage<VerificationKey>> {
        self.read(|store| {
            store.require::<Application>(application_id)?;
            let mut filter = Filter::new().eq("application_id", application_id);
            if let Some(issuer) = &filters.issuer {
                filter = filter.eq("issuer", issuer);
            }
            if let Some(subject) = &filters.subject {
                filter = filter.eq("subject", subject);
            }
            if let Some(fingerprint) = &filters.fingerprint {
                filter = filter.eq("fingerprint", &fingerprint.to_ascii_lowercase());
            }
            if let Some(status) = filters.status {
                filter = status_filter(filter, status, store.now_text());
            }
            store.list(&filter, query)
        })
    }

    pub fn get_verification_key(
        &self,
        application_id: &str,
        id: &str,
    ) -> ApiResult<VerificationKey> {
        self.read(|store| require_key_of(store, application_id, id))
    }

    pub fn create_verification_key(
        &self,
        actor: &Actor,
        application_id: &str,
        new: &NewVerificationKey,
    ) -> ApiResult<VerificationKey> {
        check_field("name", rules::check_name(&new.name))?;
        if let Some(description) = &new.description {
            check_field("description", rules::check_description(description))?;
        }
        if let Some(kid) = &new.kid {
            check_field("kid", rules::check_kid(kid))?;
        }
        check_writable_status(new.status)?;
        let certificate =
            parse_certificate(&new.certificate).map_err(|reason| certificate_error(&reason))?;
        self.write(actor, |change| {
            change.require::<Application>(application_id)?;
            certificate
                .check_validity(change.now())
                .map_err(|reason| certificate_error(&reason))?;
            check_name_is_free(change, &new.name, None)?;
            let fingerprint = Filter::new().eq("fingerprint", &certificate.fingerprint);
            if let Some(other) = clashing_id::<VerificationKey>(change, fingerprint, None)? {
                return Err(ApiError::duplicate(
                    "certificate",
                    format!(
                        "this certificate (fingerprint {}) is already used by verification key {other}",
                        certificate.fingerprint
                    ),
                ));
            }
            if let Some(kid) = &new.kid {
                check_kid_is_free(change, application_id, kid, None)?;
            }
            let id = new_id();
            change.insert(
                VerificationKey::TABLE,
                vec![
                    ("id", id.clone().into()),
                    ("application_id", application_id.to_string().into()),
                    ("name", new.name.clone().into()),
                    ("description", non_empty(&new.description).into()),
                    ("kid", new.kid.clone().into()),
                    ("certificate", certificate.canonical_pem.clone().into()),
                    ("issuer", certificate.issuer.clone().into()),
                    ("subject", certificate.subject.clone().into()),
                    ("fingerprint", certificate.fingerprint.clone().into()),
                    ("expiration", rules::format_time(certificate.not_after).into()),
                    ("status", new.status.unwrap_or_default().as_str().to_string().into()),
                ],
            )?;
            change.audit(
                AuditAction::Create,
                VerificationKey::OBJECT,
                &id,
                Some(application_id),
                &format!(
                    "name {:?}, certificate fingerprint {}",
                    new.name, certificate.fingerprint
                ),
            )?;
            change.require(&id)
        })
    }

    /// The certificate never changes in place. `description: Some("")` and `kid: Some("")`
    /// clear those fields.
    pub fn update_verification_key(
        &self,
        actor: &Actor,
        application_id: &str,
        id: &str,
        update: &VerificationKeyUpdate,
    ) -> ApiResult<VerificationKey> {
        check_writable_status(update.status)?;
        let mut changes = common_changes(
            &update.name,
            &update.description,
            update.status.map(KeyStatus::as_str),
        )?;
        let kid = non_empty(&update.kid);
        if let Some(kid) = &kid {
            check_field("kid", rules::check_kid(kid))?;
        }
        if update.kid.is_some() {
            changes.set("kid", kid.clone());
        }
        self.write(actor, |change| {
            require_key_of::<VerificationKey>(change, application_id, id)?;
            if let Some(name) = &update.name {
                check_name_is_free(change, name, Some(id))?;
            }
            if let Some(kid) = &kid {
                check_kid_is_free(change, application_id, kid, Some(id))?;
            }
            change.update::<VerificationKey>(id, &changes)?;
            change.audit(
                AuditAction::Update,
                VerificationKey::OBJECT,
                id,
                Some(application_id),
                &changes.describe(),
            )?;
            change.require(id)
        })
    }

    pub fn delete_verification_key(
        &self,
        actor: &Actor,
        application_id: &str,
        id: &str,
    ) -> ApiResult<()> {
        self.write(actor, |change| {
            let key = require_key_of::<VerificationKey>(change, application_id, id)?;
            change.delete::<VerificationKey>(id)?;
            change.audit(
                AuditAction::Delete,
                VerificationKey::OBJECT,
                id,
                Some(application_id),
                &format!("name {:?}", key.name),
            )
        })?;
        self.forget_verification_key(id);
        Ok(())
    }
}

fn certificate_error(reason: &str) -> ApiError {
    ApiError::validation("certificate", format!("certificate {reason}"))
}

/// 409 if another verification key in the account already has `name`.
fn check_name_is_free(store: &Store, name: &str, except: Option<&str>) -> ApiResult<()> {
    let filter = Filter::new().eq("name", name);
    match clashing_id::<VerificationKey>(store, filter, except)? {
        Some(other) => Err(ApiError::duplicate(
            "name",
            format!("name {name:?} is already used by verification key {other}"),
        )),
        None => Ok(()),
    }
}

/// 409 if another key of the application already has `kid`: a JWT's `kid` must pick one key.
fn check_kid_is_free(
    store: &Store,
    application_id: &str,
    kid: &str,
    except: Option<&str>,
) -> ApiResult<()> {
    let filter = Filter::new()
        .eq("application_id", application_id)
        .eq("kid", kid);
    match clashing_id::<VerificationKey>(store, filter, except)? {
        Some(other) => Err(ApiError::duplicate(
            "kid",
            format!(
                "kid {kid:?} is already used by verification key {other} of application {application_id}"
            ),
        )),
        None => Ok(()),
    }
}
