//! The local backend: the embedded engine, called in-process as [`Actor::Local`].
//!
//! The engine is synchronous (SQLite), so every call runs on tokio's blocking pool.

// `ApiError` mirrors the wire error body (128 bytes); errors are the cold path, so boxing it
// would buy nothing but noise at every call site.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use async_trait::async_trait;

use crate::api::{
    AccessKey, AccessKeyUpdate, Account, ApiError, ApiResult, Application, ApplicationStatus,
    ApplicationUpdate, KeyStatus, ListPage, NewAccessKey, NewApplication, NewVerificationKey,
    PolicyGroup, VerificationKey, VerificationKeyUpdate,
};
use crate::backend::Backend;
use crate::engine::{Actor, Engine, ListQuery, VerificationKeyFilter, MAX_LIST_LIMIT};

pub struct LocalBackend {
    engine: Arc<Engine>,
}

impl LocalBackend {
    pub fn new(engine: Arc<Engine>) -> Self {
        LocalBackend { engine }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Runs `call` on the blocking pool.
    async fn run<T, F>(&self, call: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> ApiResult<T> + Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || call(&engine))
            .await
            .map_err(|error| ApiError::internal(format!("local engine call failed: {error}")))?
    }
}

/// Every item of a list call, following `after` from page to page.
fn all_pages<T>(
    id_of: impl Fn(&T) -> &str,
    list: impl Fn(&ListQuery) -> ApiResult<ListPage<T>>,
) -> ApiResult<Vec<T>> {
    let mut query = ListQuery {
        limit: MAX_LIST_LIMIT,
        ..ListQuery::default()
    };
    let mut items = Vec::new();
    loop {
        let page = list(&query)?;
        let next = match (page.has_more, page.data.last()) {
            (true, Some(last)) => Some(id_of(last).to_string()),
            _ => None,
        };
        items.extend(page.data);
        match next {
            Some(after) => query.after = Some(after),
            None => return Ok(items),
        }
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn account(&self) -> ApiResult<Account> {
        self.run(|engine| engine.account()).await
    }

    async fn list_policy_groups(&self) -> ApiResult<Vec<PolicyGroup>> {
        self.run(|engine| {
            all_pages(
                |group: &PolicyGroup| &group.id,
                |query| engine.list_policy_groups(query),
            )
        })
        .await
    }

    async fn list_applications(
        &self,
        status: Option<ApplicationStatus>,
    ) -> ApiResult<Vec<Application>> {
        self.run(move |engine| {
            all_pages(
                |application: &Application| &application.id,
                |query| engine.list_applications(query, status),
            )
        })
        .await
    }

    async fn get_application(&self, id: &str) -> ApiResult<Application> {
        let id = id.to_string();
        self.run(move |engine| engine.get_application(&id)).await
    }

    async fn create_application(&self, new: &NewApplication) -> ApiResult<Application> {
        let new = new.clone();
        self.run(move |engine| engine.create_application(&Actor::Local, &new))
            .await
    }

    async fn update_application(
        &self,
        id: &str,
        update: &ApplicationUpdate,
    ) -> ApiResult<Application> {
        let (id, update) = (id.to_string(), update.clone());
        self.run(move |engine| engine.update_application(&Actor::Local, &id, &update))
            .await
    }

    async fn add_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()> {
        let (id, group_ids) = (id.to_string(), group_ids.to_vec());
        self.run(move |engine| engine.add_application_groups(&Actor::Local, &id, &group_ids))
            .await
    }

    async fn remove_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()> {
        let (id, group_ids) = (id.to_string(), group_ids.to_vec());
        self.run(move |engine| engine.remove_application_groups(&Actor::Local, &id, &group_ids))
            .await
    }

    async fn delete_application(&self, id: &str) -> ApiResult<()> {
        let id = id.to_string();
        self.run(move |engine| engine.delete_application(&Actor::Local, &id))
            .await
    }

    async fn list_access_keys(
        &self,
        application_id: &str,
        status: Option<KeyStatus>,
    ) -> ApiResult<Vec<AccessKey>> {
        let application_id = application_id.to_string();
        self.run(move |engine| {
            all_pages(
                |key: &AccessKey| &key.id,
                |query| engine.list_access_keys(query, Some(&application_id), status),
            )
        })
        .await
    }

    async fn get_access_key(&self, application_id: &str, id: &str) -> ApiResult<AccessKey> {
        let (application_id, id) = (application_id.to_string(), id.to_string());
        self.run(move |engine| engine.get_access_key(Some(&application_id), &id))
            .await
    }

    async fn create_access_key(
        &self,
        application_id: &str,
        new: &NewAccessKey,
    ) -> ApiResult<AccessKey> {
        let (application_id, new) = (application_id.to_string(), new.clone());
        self.run(move |engine| engine.create_access_key(&Actor::Local, &application_id, &new))
            .await
    }

    async fn update_access_key(
        &self,
        application_id: &str,
        id: &str,
        update: &AccessKeyUpdate,
    ) -> ApiResult<AccessKey> {
        let (application_id, id, update) =
            (application_id.to_string(), id.to_string(), update.clone());
        self.run(move |engine| {
            engine.update_access_key(&Actor::Local, &application_id, &id, &update)
        })
        .await
    }

    async fn delete_access_key(&self, application_id: &str, id: &str) -> ApiResult<()> {
        let (application_id, id) = (application_id.to_string(), id.to_string());
        self.run(move |engine| engine.delete_access_key(&Actor::Local, &application_id, &id))
            .await
    }

    async fn list_verification_keys(
        &self,
        application_id: &str,
    ) -> ApiResult<Vec<VerificationKey>> {
        let application_id = application_id.to_string();
        self.run(move |engine| {
            all_pages(
                |key: &VerificationKey| &key.id,
                |query| {
                    engine.list_verification_keys(
                        query,
                        &application_id,
                        &VerificationKeyFilter::default(),
                    )
                },
            )
        })
        .await
    }

    async fn get_verification_key(
        &self,
        application_id: &str,
        id: &str,
    ) -> ApiResult<VerificationKey> {
        let (application_id, id) = (application_id.to_string(), id.to_string());
        self.run(move |engine| engine.get_verification_key(&application_id, &id))
            .await
    }

    async fn create_verification_key(
        &self,
        application_id: &str,
        new: &NewVerificationKey,
    ) -> ApiResult<VerificationKey> {
        let (application_id, new) = (application_id.to_string(), new.clone());
        self.run(move |engine| engine.create_verification_key(&Actor::Local, &application_id, &new))
            .await
    }

    async fn update_verification_key(
        &self,
        application_id: &str,
        id: &str,
        update: &VerificationKeyUpdate,
    ) -> ApiResult<VerificationKey> {
        let (application_id, id, update) =
            (application_id.to_string(), id.to_string(), update.clone());
        self.run(move |engine| {
            engine.update_verification_key(&Actor::Local, &application_id, &id, &update)
        })
        .await
    }

    async fn delete_verification_key(&self, application_id: &str, id: &str) -> ApiResult<()> {
        let (application_id, id) = (application_id.to_string(), id.to_string());
        self.run(move |engine| engine.delete_verification_key(&Actor::Local, &application_id, &id))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> (tempfile::TempDir, LocalBackend) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(&dir.path().join("izuma.db"), None).unwrap();
        (dir, LocalBackend::new(Arc::new(engine)))
    }

    #[test]
    fn all_pages_follows_after_until_the_last_page() {
        let items: Vec<String> = (0..2500).map(|i| format!("{i:032x}")).collect();
        let pages = std::cell::Cell::new(0);
        let listed = all_pages(
            |item: &String| item.as_str(),
            |query| {
                pages.set(pages.get() + 1);
                let start = match &query.after {
                    Some(after) => items.iter().position(|i| i == after).unwrap() + 1,
                    None => 0,
                };
                let end = (start + query.limit as usize).min(items.len());
                Ok(ListPage {
                    object: "list".into(),
                    data: items[start..end].to_vec(),
                    has_more: end < items.len(),
                    limit: query.limit,
                    after: query.after.clone(),
                    order: query.order.as_str().into(),
                    total_count: None,
                })
            },
        )
        .unwrap();
        assert_eq!(listed, items);
        assert_eq!(pages.get(), 3);
    }

    #[tokio::test]
    async fn calls_reach_the_engine_as_the_local_actor() {
        let (_dir, backend) = backend();
        let groups = backend.list_policy_groups().await.unwrap();
        assert_eq!(groups.len(), 2);
        let app = backend
            .create_application(&NewApplication {
                name: "app".into(),
                groups: Some(vec![groups[0].id.clone()]),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            backend.list_applications(None).await.unwrap(),
            std::slice::from_ref(&app)
        );
        let key = backend
            .create_access_key(
                &app.id,
                &NewAccessKey {
                    name: "k".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(key.key.is_some());
        let listed = backend.list_access_keys(&app.id, None).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, None);
        let error = backend
            .get_application("0123456789abcdef0123456789abcdef")
            .await
            .unwrap_err();
        assert!(error.is_not_found());
        backend.delete_application(&app.id).await.unwrap();
        let log = backend.engine().audit_log().unwrap();
        assert!(log.iter().all(|entry| entry.actor == "local"));
    }
}
