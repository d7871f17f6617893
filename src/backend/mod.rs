//! The backend interface: the one way the resource logic reaches Izuma.
//!
//! Two implementations: [`local::LocalBackend`] calls the embedded engine in-process, and
//! [`remote::RemoteBackend`] speaks the REST API over reqwest. Every resource behaves the same on
//! both because it only ever sees this trait.

use async_trait::async_trait;

use crate::api::{
    AccessKey, AccessKeyUpdate, Account, ApiResult, Application, ApplicationStatus,
    ApplicationUpdate, KeyStatus, NewAccessKey, NewApplication, NewVerificationKey, PolicyGroup,
    VerificationKey, VerificationKeyUpdate,
};

pub mod local;
pub mod remote;

/// What the provider needs from the service. List calls return every page.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `GET /v3/accounts/me`.
    async fn account(&self) -> ApiResult<Account>;
    async fn list_policy_groups(&self) -> ApiResult<Vec<PolicyGroup>>;

    async fn list_applications(
        &self,
        status: Option<ApplicationStatus>,
    ) -> ApiResult<Vec<Application>>;
    async fn get_application(&self, id: &str) -> ApiResult<Application>;
    async fn create_application(&self, new: &NewApplication) -> ApiResult<Application>;
    async fn update_application(
        &self,
        id: &str,
        update: &ApplicationUpdate,
    ) -> ApiResult<Application>;
    async fn add_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()>;
    async fn remove_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()>;
    async fn delete_application(&self, id: &str) -> ApiResult<()>;

    async fn list_access_keys(
        &self,
        application_id: &str,
        status: Option<KeyStatus>,
    ) -> ApiResult<Vec<AccessKey>>;
    async fn get_access_key(&self, application_id: &str, id: &str) -> ApiResult<AccessKey>;
    /// The returned key carries the secret in `key`: the only time it is ever available.
    async fn create_access_key(
        &self,
        application_id: &str,
        new: &NewAccessKey,
    ) -> ApiResult<AccessKey>;
    async fn update_access_key(
        &self,
        application_id: &str,
        id: &str,
        update: &AccessKeyUpdate,
    ) -> ApiResult<AccessKey>;
    async fn delete_access_key(&self, application_id: &str, id: &str) -> ApiResult<()>;

    async fn list_verification_keys(&self, application_id: &str)
        -> ApiResult<Vec<VerificationKey>>;
    async fn get_verification_key(
        &self,
        application_id: &str,
        id: &str,
    ) -> ApiResult<VerificationKey>;
    async fn create_verification_key(
        &self,
        application_id: &str,
        new: &NewVerificationKey,
    ) -> ApiResult<VerificationKey>;
    async fn update_verification_key(
        &self,
        application_id: &str,
        id: &str,
        update: &VerificationKeyUpdate,
    ) -> ApiResult<VerificationKey>;
    async fn delete_verification_key(&self, application_id: &str, id: &str) -> ApiResult<()>;
}
