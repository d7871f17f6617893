//! Access keys: server-generated secrets, of which only a hash is kept.

use time::OffsetDateTime;

use crate::api::{
    AccessKey, AccessKeyUpdate, ApiError, ApiResult, Application, KeyStatus, ListPage, NewAccessKey,
};
use crate::rules;

use super::store::{status_filter, AuditAction, Filter, Record};
use super::{
    check_field, check_writable_status, common_changes, new_id, new_secret, non_empty,
    require_key_of, secret_hash, Actor, Engine, ListQuery,
};

impl Engine {
    /// The keys of one application, or of the whole account when `application_id` is `None`.
    pub fn list_access_keys(
        &self,
        query: &ListQuery,
        application_id: Option<&str>,
        status: Option<KeyStatus>,
    ) -> ApiResult<ListPage<AccessKey>> {
        self.read(|store| {
            let mut filter = Filter::new();
            if let Some(application_id) = application_id {
                store.require::<Application>(application_id)?;
                filter = filter.eq("application_id", application_id);
            }
            if let Some(status) = status {
                filter = status_filter(filter, status, store.now_text());
            }
            store.list(&filter, query)
        })
    }

    /// A key under its application, or anywhere in the account when `application_id` is `None`.
    pub fn get_access_key(&self, application_id: Option<&str>, id: &str) -> ApiResult<AccessKey> {
        self.read(|store| match application_id {
            Some(application_id) => require_key_of(store, application_id, id),
            None => store.require(id),
        })
    }

    /// Creates a key; the result carries its secret in `key`, the only time it is available.
    pub fn create_access_key(
        &self,
        actor: &Actor,
        application_id: &str,
        new: &NewAccessKey,
    ) -> ApiResult<AccessKey> {
        check_field("name", rules::check_name(&new.name))?;
        if let Some(description) = &new.description {
            check_field("description", rules::check_description(description))?;
        }
        check_writable_status(new.status)?;
        let expiration = match non_empty(&new.expiration) {
            Some(text) => Some(parse_expiration(&text)?),
            None => None,
        };
        self.write(actor, |change| {
            change.require::<Application>(application_id)?;
            if let Some(expiration) = expiration {
                if expiration <= change.now() {
                    return Err(ApiError::validation(
                        "expiration",
                        format!(
                            "expiration {} is not in the future; give a later time or none",
                            rules::format_time(expiration)
                        ),
                    ));
                }
            }
            let held = change.count::<AccessKey>(
                &Filter::new().eq("application_id", application_id),
            )?;
            if held >= rules::ACCESS_KEYS_PER_APPLICATION as u64 {
                return Err(ApiError::limit_exceeded(format!(
                    "application {application_id} already has {} access keys, the most an application may hold; delete one before creating another",
                    rules::ACCESS_KEYS_PER_APPLICATION
                )));
            }
            let id = new_id();
            let secret = new_secret(&id);
            change.insert(
                AccessKey::TABLE,
                vec![
                    ("id", id.clone().into()),
                    ("application_id", application_id.to_string().into()),
                    ("name", new.name.clone().into()),
                    ("description", non_empty(&new.description).into()),
                    ("status", new.status.unwrap_or_default().as_str().to_string().into()),
                    ("expiration", expiration.map(rules::format_time).into()),
                    ("secret_hash", secret_hash(secret.expose()).into()),
                ],
            )?;
            change.audit(
                AuditAction::Create,
                AccessKey::OBJECT,
                &id,
                Some(application_id),
                &format!("name {:?}", new.name),
            )?;
            let mut key: AccessKey = change.require(&id)?;
            key.key = Some(secret);
            Ok(key)
        })
    }

    /// `expiration: Some("")` clears the expiration. A past expiration is accepted here (it only
    /// makes the key read as EXPIRED), so an expired key can still be renamed or described.
    pub fn update_access_key(
        &self,
        actor: &Actor,
        application_id: &str,
        id: &str,
        update: &AccessKeyUpdate,
    ) -> ApiResult<AccessKey> {
        check_writable_status(update.status)?;
        let mut changes = common_changes(
            &update.name,
            &update.description,
            update.status.map(KeyStatus::as_str),
        )?;
        if let Some(text) = &update.expiration {
            let expiration = match text.as_str() {
                "" => None,
                text => Some(rules::format_time(parse_expiration(text)?)),
            };
            changes.set("expiration", expiration);
        }
        self.write(actor, |change| {
            require_key_of::<AccessKey>(change, application_id, id)?;
            change.update::<AccessKey>(id, &changes)?;
            change.audit(
                AuditAction::Update,
                AccessKey::OBJECT,
                id,
                Some(application_id),
                &changes.describe(),
            )?;
            change.require(id)
        })
    }

    pub fn delete_access_key(
        &self,
        actor: &Actor,
        application_id: &str,
        id: &str,
    ) -> ApiResult<()> {
        self.write(actor, |change| {
            let key = require_key_of::<AccessKey>(change, application_id, id)?;
            change.delete::<AccessKey>(id)?;
            change.audit(
                AuditAction::Delete,
                AccessKey::OBJECT,
                id,
                Some(application_id),
                &format!("name {:?}", key.name),
            )
        })
    }
}

fn parse_expiration(text: &str) -> ApiResult<OffsetDateTime> {
    rules::parse_time(text)
        .map_err(|reason| ApiError::validation("expiration", format!("expiration {reason}")))
}
