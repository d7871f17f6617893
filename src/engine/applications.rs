//! Applications and their policy-group memberships.

use crate::api::{
    AccessKey, AccountTier, ApiError, ApiResult, Application, ApplicationStatus, ApplicationUpdate,
    ListPage, NewApplication, PolicyGroup, VerificationKey,
};
use crate::rules;

use super::store::{AuditAction, Change, Filter, Record, Store, GROUP_MEMBERSHIP};
use super::{
    check_field, clashing_id, common_changes, new_id, non_empty, Actor, Engine, ListQuery,
};

impl Engine {
    pub fn list_applications(
        &self,
        query: &ListQuery,
        status: Option<ApplicationStatus>,
    ) -> ApiResult<ListPage<Application>> {
        let filter = match status {
            Some(status) => Filter::new().eq("status", status.as_str()),
            None => Filter::new(),
        };
        self.read(|store| store.list(&filter, query))
    }

    pub fn get_application(&self, id: &str) -> ApiResult<Application> {
        self.read(|store| store.require(id))
    }

    pub fn create_application(
        &self,
        actor: &Actor,
        new: &NewApplication,
    ) -> ApiResult<Application> {
        check_field("name", rules::check_name(&new.name))?;
        if let Some(description) = &new.description {
            check_field("description", rules::check_description(description))?;
        }
        let group_ids = distinct(new.groups.as_deref().unwrap_or_default());
        self.write(actor, |change| {
            let groups = require_groups(change, &group_ids)?;
            check_name_is_free(change, &new.name, None)?;
            check_application_limit(change)?;
            let id = new_id();
            change.insert(
                Application::TABLE,
                vec![
                    ("id", id.clone().into()),
                    ("name", new.name.clone().into()),
                    ("description", non_empty(&new.description).into()),
                    (
                        "status",
                        new.status.unwrap_or_default().as_str().to_string().into(),
                    ),
                ],
            )?;
            change.audit(
                AuditAction::Create,
                Application::OBJECT,
                &id,
                Some(&id),
                &format!("name {:?}", new.name),
            )?;
            for group in &groups {
                add_membership(change, &id, group)?;
            }
            change.require(&id)
        })
    }

    pub fn update_application(
        &self,
        actor: &Actor,
        id: &str,
        update: &ApplicationUpdate,
    ) -> ApiResult<Application> {
        let changes = common_changes(
            &update.name,
            &update.description,
            update.status.map(ApplicationStatus::as_str),
        )?;
        self.write(actor, |change| {
            change.require::<Application>(id)?;
            if let Some(name) = &update.name {
                check_name_is_free(change, name, Some(id))?;
            }
            change.update::<Application>(id, &changes)?;
            change.audit(
                AuditAction::Update,
                Application::OBJECT,
                id,
                Some(id),
                &changes.describe(),
            )?;
            change.require(id)
        })
    }

    /// Adds the application to each group; 409 if it is already in one of them.
    pub fn add_application_groups(
        &self,
        actor: &Actor,
        id: &str,
        group_ids: &[String],
    ) -> ApiResult<()> {
        let group_ids = distinct(group_ids);
        self.write(actor, |change| {
            change.require::<Application>(id)?;
            for group in require_groups(change, &group_ids)? {
                if is_member(change, id, &group.id)? {
                    return Err(ApiError::duplicate(
                        "groups",
                        format!(
                            "application {id} is already in policy group {:?} ({})",
                            group.name, group.id
                        ),
                    ));
                }
                add_membership(change, id, &group)?;
            }
            if !group_ids.is_empty() {
                change.touch::<Application>(id)?;
            }
            Ok(())
        })
    }

    /// Removes the application from each group; 404 if it is not in one of them.
    pub fn remove_application_groups(
        &self,
        actor: &Actor,
        id: &str,
        group_ids: &[String],
    ) -> ApiResult<()> {
        let group_ids = distinct(group_ids);
        self.write(actor, |change| {
            change.require::<Application>(id)?;
            for group in require_groups(change, &group_ids)? {
                if !is_member(change, id, &group.id)? {
                    return Err(ApiError::not_found(format!(
                        "application {id} is not in policy group {:?} ({})",
                        group.name, group.id
                    )));
                }
                change.execute(
                    "DELETE FROM application_groups WHERE application_id = ? AND group_id = ?",
                    (id, &group.id),
                )?;
                change.audit(
                    AuditAction::Delete,
                    GROUP_MEMBERSHIP,
                    &group.id,
                    Some(id),
                    &format!("left policy group {:?}", group.name),
                )?;
            }
            if !group_ids.is_empty() {
                change.touch::<Application>(id)?;
            }
            Ok(())
        })
    }

    pub fn list_application_groups(
        &self,
        id: &str,
        query: &ListQuery,
    ) -> ApiResult<ListPage<PolicyGroup>> {
        self.read(|store| {
            store.require::<Application>(id)?;
            let filter = Filter::new().clause(
                "id IN (SELECT group_id FROM application_groups WHERE application_id = ?)",
                [id.to_string().into()],
            );
            store.list(&filter, query)
        })
    }

    /// Deletes the application with its access keys and verification keys.
    pub fn delete_application(&self, actor: &Actor, id: &str) -> ApiResult<()> {
        self.write(actor, |change| {
            let application = change.require::<Application>(id)?;
            // The foreign keys cascade the rows; the audit log still names each key that went.
            let of_application = Filter::new().eq("application_id", id);
            for key_id in change.ids::<AccessKey>(&of_application)? {
                change.audit(
                    AuditAction::Delete,
                    AccessKey::OBJECT,
                    &key_id,
                    Some(id),
                    "deleted with its application",
                )?;
            }
            for key_id in change.ids::<VerificationKey>(&of_application)? {
                change.audit(
                    AuditAction::Delete,
                    VerificationKey::OBJECT,
                    &key_id,
                    Some(id),
                    "deleted with its application",
                )?;
            }
            change.delete::<Application>(id)?;
            change.audit(
                AuditAction::Delete,
                Application::OBJECT,
                id,
                Some(id),
                &format!("name {:?}", application.name),
            )
        })
    }
}

/// The ids in their first order, without repeats.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(id) {
            seen.push(id.clone());
        }
    }
    seen
}

/// The named groups; 400 on `groups` for an id that is not one of the account's groups.
fn require_groups(store: &Store, ids: &[String]) -> ApiResult<Vec<PolicyGroup>> {
    ids.iter()
        .map(|id| {
            store.get::<PolicyGroup>(id)?.ok_or_else(|| {
                ApiError::validation(
                    "groups",
                    format!("groups: {id:?} is not the id of a policy group of this account"),
                )
            })
        })
        .collect()
}

fn is_member(store: &Store, application_id: &str, group_id: &str) -> ApiResult<bool> {
    store.exists(
        "SELECT 1 FROM application_groups WHERE application_id = ? AND group_id = ?",
        (application_id, group_id),
    )
}

fn add_membership(change: &Change, application_id: &str, group: &PolicyGroup) -> ApiResult<()> {
    change.execute(
        "INSERT INTO application_groups (application_id, group_id) VALUES (?, ?)",
        (application_id, &group.id),
    )?;
    change.audit(
        AuditAction::Create,
        GROUP_MEMBERSHIP,
        &group.id,
        Some(application_id),
        &format!("joined policy group {:?}", group.name),
    )
}

/// 409 if another application already has `name`.
fn check_name_is_free(store: &Store, name: &str, except: Option<&str>) -> ApiResult<()> {
    let filter = Filter::new().eq("name", name);
    match clashing_id::<Application>(store, filter, except)? {
        Some(other) => Err(ApiError::duplicate(
            "name",
            format!("name {name:?} is already used by application {other}"),
        )),
        None => Ok(()),
    }
}

/// 403 when the account already holds as many applications as its tier allows.
fn check_application_limit(store: &Store) -> ApiResult<()> {
    let tier = store.account()?.tier.unwrap_or_default();
    let most = match tier {
        AccountTier::Free => rules::FREE_ACCOUNT_APPLICATIONS,
        AccountTier::Commercial => rules::COMMERCIAL_ACCOUNT_APPLICATIONS,
    };
    if store.count::<Application>(&Filter::new())? >= most as u64 {
        return Err(ApiError::limit_exceeded(format!(
            "a {} account holds at most {most} applications",
            tier.as_str()
        )));
    }
    Ok(())
}
