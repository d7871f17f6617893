//! The remote backend: the Izuma REST API over reqwest. (Being built: until then every call
//! answers that remote mode is not available in this build.)

use std::time::Duration;

use crate::api::Secret;

/// How to reach the service.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// `https://api.us-east-1.mbedcloud.com` by default; no trailing slash needed.
    pub api_host: String,
    pub api_key: Secret,
    /// Timeout of each HTTP request.
    pub request_timeout: Duration,
    /// Retries of an idempotent call after 429/5xx or a connection failure.
    pub max_retries: u32,
}

pub const DEFAULT_API_HOST: &str = "https://api.us-east-1.mbedcloud.com";
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_RETRIES: u32 = 4;

/// Placeholder until the HTTP client lands.
pub struct RemoteBackend;

impl RemoteBackend {
    pub fn new(_settings: RemoteSettings) -> anyhow::Result<RemoteBackend> {
        anyhow::bail!("remote mode is not available in this build yet; use a `local` block")
    }
}

macro_rules! unavailable {
    ($($name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        #[async_trait::async_trait]
        impl crate::backend::Backend for RemoteBackend {
            $(async fn $name(&self, $($arg: $ty),*) -> crate::api::ApiResult<$ret> {
                $(let _ = $arg;)*
                Err(crate::api::ApiError::transport("remote mode is not available in this build yet"))
            })*
        }
    };
}
use crate::api::*;
unavailable! {
    account() -> Account;
    list_policy_groups() -> Vec<PolicyGroup>;
    list_applications(status: Option<ApplicationStatus>) -> Vec<Application>;
    get_application(id: &str) -> Application;
    create_application(new: &NewApplication) -> Application;
    update_application(id: &str, update: &ApplicationUpdate) -> Application;
    add_application_groups(id: &str, group_ids: &[String]) -> ();
    remove_application_groups(id: &str, group_ids: &[String]) -> ();
    delete_application(id: &str) -> ();
    list_access_keys(application_id: &str, status: Option<KeyStatus>) -> Vec<AccessKey>;
    get_access_key(application_id: &str, id: &str) -> AccessKey;
    create_access_key(application_id: &str, new: &NewAccessKey) -> AccessKey;
    update_access_key(application_id: &str, id: &str, update: &AccessKeyUpdate) -> AccessKey;
    delete_access_key(application_id: &str, id: &str) -> ();
    list_verification_keys(application_id: &str) -> Vec<VerificationKey>;
    get_verification_key(application_id: &str, id: &str) -> VerificationKey;
    create_verification_key(application_id: &str, new: &NewVerificationKey) -> VerificationKey;
    update_verification_key(application_id: &str, id: &str, update: &VerificationKeyUpdate) -> VerificationKey;
    delete_verification_key(application_id: &str, id: &str) -> ();
}
