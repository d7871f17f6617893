//! The remote backend: the Izuma REST API over reqwest.
//!
//! Idempotent calls (GET, PUT, DELETE) are retried after a 429, a 5xx or a transport failure,
//! with exponential backoff and jitter, honouring `Retry-After`. A create (POST) is retried only
//! once it is known not to have happened: see [`RemoteBackend::create`] and DESIGN.md.

// `ApiError` mirrors the wire error body (128 bytes); errors are the cold path.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{
    AccessKey, AccessKeyUpdate, Account, ApiError, ApiResult, Application, ApplicationStatus,
    ApplicationUpdate, KeyStatus, ListPage, NewAccessKey, NewApplication, NewVerificationKey,
    PolicyGroup, Secret, VerificationKey, VerificationKeyUpdate,
};
use crate::backend::Backend;

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

/// First backoff step; each retry doubles it, up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The longest `Retry-After` obeyed; a longer one is capped rather than hanging a plan.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Page size of the list calls: the largest the API allows, for the fewest round trips.
const PAGE_LIMIT: u32 = 1000;

pub struct RemoteBackend {
    client: reqwest::Client,
    settings: RemoteSettings,
}

/// One request's outcome before interpretation.
enum Attempt {
    Answered {
        status: StatusCode,
        retry_after: Option<Duration>,
        body: bytes::Bytes,
    },
    /// No answer. `sent` is false when the connection was never made, so the call did not happen.
    Failed { sent: bool, reason: String },
}

impl Attempt {
    fn retryable(&self) -> bool {
        match self {
            Attempt::Answered { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
            }
            Attempt::Failed { .. } => true,
        }
    }

    /// Whether a failed create may have happened on the service anyway.
    fn may_have_happened(&self) -> bool {
        match self {
            Attempt::Answered { status, .. } => status.is_server_error(),
            Attempt::Failed { sent, .. } => *sent,
        }
    }
}

impl RemoteBackend {
    pub fn new(settings: RemoteSettings) -> anyhow::Result<RemoteBackend> {
        let client = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout)
            .user_agent(concat!(
                "terraform-provider-izuma/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(RemoteBackend { client, settings })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_host.trim_end_matches('/'))
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Attempt {
        let mut request = self
            .client
            .request(method.clone(), self.url(path))
            .bearer_auth(self.settings.api_key.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.failed(&error),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
        match response.bytes().await {
            Ok(body) => Attempt::Answered {
                status,
                retry_after,
                body,
            },
            Err(error) => self.failed(&error),
        }
    }

    /// A transport failure, described without the URL's query or any header (so never the key).
    fn failed(&self, error: &reqwest::Error) -> Attempt {
        let host = &self.settings.api_host;
        // A refused or failed connection is said as such; only a real timeout names the timeout.
        let reason = if error.is_timeout() {
            format!(
                "the Izuma API at {host} did not answer within the {}s request timeout (request_timeout_seconds)",
                self.settings.request_timeout.as_secs()
            )
        } else if error.is_connect() {
            format!("cannot connect to the Izuma API at {host} (connection refused or host unreachable); check api_host / IZUMA_API_HOST")
        } else {
            format!("the connection to the Izuma API at {host} failed before an answer arrived")
        };
        Attempt::Failed {
            sent: !error.is_connect(),
            reason,
        }
    }

    /// How long to wait before retry number `retry` (1-based).
    fn backoff(retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait;
        }
        let full = BASE_BACKOFF
            .saturating_mul(1 << retry.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        // Jitter in [full/2, full]: clients that failed together do not retry together.
        full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }

    /// An idempotent call, retried on 429/5xx/transport failures. On a retry, the status
    /// `done_on_retry` (404 for a delete) means an earlier attempt did the work.
    async fn idempotent(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        done_on_retry: Option<StatusCode>,
    ) -> ApiResult<bytes::Bytes> {
        let mut retry = 0;
        loop {
            let attempt = self.attempt(&method, path, body.as_ref()).await;
            if let Attempt::Answered { status, .. } = &attempt {
                if retry > 0 && Some(*status) == done_on_retry {
                    return Ok(bytes::Bytes::new());
                }
            }
            if !attempt.retryable() || retry >= self.settings.max_retries {
                return into_result(attempt, retry);
            }
            retry += 1;
            tokio::time::sleep(Self::backoff(retry, retry_after_of(&attempt))).await;
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> ApiResult<T> {
        decode(self.idempotent(Method::GET, path, None, None).await?)
    }

    async fn put<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> ApiResult<T> {
        let body = to_json(body)?;
        decode(self.idempotent(Method::PUT, path, Some(body), None).await?)
    }

    async fn delete(&self, path: &str) -> ApiResult<()> {
        self.idempotent(Method::DELETE, path, None, Some(StatusCode::NOT_FOUND))
            .await
            .map(drop)
    }

    /// Every item of a list call, following `has_more`/`after` to the end.
    async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: &[(&str, String)],
        id_of: impl Fn(&T) -> &str,
    ) -> ApiResult<Vec<T>> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> = vec![("limit", PAGE_LIMIT.to_string())];
            query.extend(filters.iter().cloned());
            if let Some(after) = &after {
                query.push(("after", after.clone()));
            }
            let query = serde_urlencoded::to_string(&query)
                .map_err(|error| ApiError::internal(format!("cannot encode a query: {error}")))?;
            let page: ListPage<T> = self.get(&format!("{path}?{query}")).await?;
            let next = match (page.has_more, page.data.last()) {
                (true, Some(last)) => Some(id_of(last).to_string()),
                _ => None,
            };
            items.extend(page.data);
            match next {
                Some(next) => after = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// A create (POST), which is not idempotent. After a 429, or a failure to connect, nothing
    /// happened and the POST is simply retried. After a 5xx or a lost answer it may have
    /// happened: `recover` then looks for the object by its unique name and returns it to
    /// adopt, or `None` when it does not exist (and the POST is retried).
    async fn create<T, F, Fut>(&self, path: &str, body: &impl Serialize, recover: F) -> ApiResult<T>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = ApiResult<Option<T>>>,
    {
        let body = to_json(body)?;
        let mut retry = 0;
        loop {
            let attempt = self.attempt(&Method::POST, path, Some(&body)).await;
            if !attempt.retryable() || retry >= self.settings.max_retries {
                return decode(into_result(attempt, retry)?);
            }
            retry += 1;
            tokio::time::sleep(Self::backoff(retry, retry_after_of(&attempt))).await;
            if attempt.may_have_happened() {
                if let Some(existing) = recover().await? {
                    return Ok(existing);
                }
            }
        }
    }

    /// A POST whose repetition is harmless once `done_on_retry` is read as success
    /// (groups/add answers 409 and groups/remove 404 when an earlier attempt did the work).
    async fn post_repeatable(
        &self,
        path: &str,
        body: &impl Serialize,
        done_on_retry: StatusCode,
    ) -> ApiResult<()> {
        let body = to_json(body)?;
        self.idempotent(Method::POST, path, Some(body), Some(done_on_retry))
            .await
            .map(drop)
    }
}

fn retry_after_of(attempt: &Attempt) -> Option<Duration> {
    match attempt {
        Attempt::Answered { retry_after, .. } => *retry_after,
        Attempt::Failed { .. } => None,
    }
}

fn to_json(body: &impl Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(body)
        .map_err(|error| ApiError::internal(format!("cannot encode the request: {error}")))
}

/// A success's body, or the service's error body as an [`ApiError`] (fields and request id kept).
fn into_result(attempt: Attempt, retries: u32) -> ApiResult<bytes::Bytes> {
    match attempt {
        Attempt::Answered { status, body, .. } if status.is_success() => Ok(body),
        Attempt::Answered { status, body, .. } => Err(serde_json::from_slice::<ApiError>(&body)
            .map(|mut error| {
                if retries > 0 {
                    error.message = format!(
                        "{} (gave up after {retries} retries)",
                        error.message.trim_end_matches('.')
                    );
                }
                error
            })
            .unwrap_or_else(|_| {
                ApiError::new(
                    status.as_u16(),
                    kind_of_status(status),
                    format!(
                        "the Izuma API answered HTTP {status} without an error body: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    ),
                )
            })),
        Attempt::Failed { reason, .. } => Err(ApiError::transport(match retries {
            0 => reason,
            n => format!("{reason}; gave up after {n} retries"),
        })),
    }
}

fn kind_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "validation_error",
        401 => "invalid_token",
        403 => "access_denied",
        404 => "not_found",
        409 => "duplicate",
        429 => "rate_limit_exceeded",
        503 => "system_unavailable",
        _ => "internal_server_error",
    }
}

fn decode<T: DeserializeOwned>(body: bytes::Bytes) -> ApiResult<T> {
    serde_json::from_slice(&body).map_err(|error| {
        ApiError::internal(format!(
            "the Izuma API answered with an unexpected body: {error}"
        ))
    })
}

fn status_filter(name: &'static str, status: Option<&'static str>) -> Vec<(&'static str, String)> {
    status
        .map(|s| vec![(name, s.to_string())])
        .unwrap_or_default()
}

#[async_trait]
impl Backend for RemoteBackend {
    async fn account(&self) -> ApiResult<Account> {
        self.get("/v3/accounts/me").await
    }

    async fn list_policy_groups(&self) -> ApiResult<Vec<PolicyGroup>> {
        self.list_all("/v3/policy-groups", &[], |g: &PolicyGroup| &g.id)
            .await
    }

    async fn list_applications(
        &self,
        status: Option<ApplicationStatus>,
    ) -> ApiResult<Vec<Application>> {
        let filters = status_filter("status__eq", status.map(ApplicationStatus::as_str));
        self.list_all("/v3/applications", &filters, |a: &Application| &a.id)
            .await
    }

    async fn get_application(&self, id: &str) -> ApiResult<Application> {
        self.get(&format!("/v3/applications/{id}")).await
    }

    async fn create_application(&self, new: &NewApplication) -> ApiResult<Application> {
        // Application names are unique in the account.
        self.create("/v3/applications", new, || async {
            let all = self.list_applications(None).await?;
            Ok(all.into_iter().find(|a| a.name == new.name))
        })
        .await
    }

    async fn update_application(
        &self,
        id: &str,
        update: &ApplicationUpdate,
    ) -> ApiResult<Application> {
        self.put(&format!("/v3/applications/{id}"), update).await
    }

    async fn add_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()> {
        let path = format!("/v3/applications/{id}/groups/add");
        self.post_repeatable(&path, &group_ids, StatusCode::CONFLICT)
            .await
    }

    async fn remove_application_groups(&self, id: &str, group_ids: &[String]) -> ApiResult<()> {
        let path = format!("/v3/applications/{id}/groups/remove");
        self.post_repeatable(&path, &group_ids, StatusCode::NOT_FOUND)
            .await
    }

    async fn delete_application(&self, id: &str) -> ApiResult<()> {
        self.delete(&format!("/v3/applications/{id}")).await
    }

    async fn list_access_keys(
        &self,
        application_id: &str,
        status: Option<KeyStatus>,
    ) -> ApiResult<Vec<AccessKey>> {
        let filters = status_filter("status__eq", status.map(KeyStatus::as_str));
        let path = format!("/v3/applications/{application_id}/access-keys");
        self.list_all(&path, &filters, |k: &AccessKey| &k.id).await
    }

    async fn get_access_key(&self, application_id: &str, id: &str) -> ApiResult<AccessKey> {
        self.get(&format!(
            "/v3/applications/{application_id}/access-keys/{id}"
        ))
        .await
    }

    async fn create_access_key(
        &self,
        application_id: &str,
        new: &NewAccessKey,
    ) -> ApiResult<AccessKey> {
        // Key names are not unique and a key's secret is only in its create response, so a key
        // made by a lost attempt cannot be adopted: it is found (by name, among the keys that
        // did not exist before) and deleted, and the create is retried.
        let before: Vec<String> = self
            .list_access_keys(application_id, None)
            .await?
            .into_iter()
            .map(|key| key.id)
            .collect();
        let path = format!("/v3/applications/{application_id}/access-keys");
        self.create(&path, new, || async {
            for key in self.list_access_keys(application_id, None).await? {
                if key.name == new.name && !before.contains(&key.id) {
                    self.delete_access_key(application_id, &key.id).await?;
                }
            }
            Ok(None)
        })
        .await
    }

    async fn update_access_key(
        &self,
        application_id: &str,
        id: &str,
        update: &AccessKeyUpdate,
    ) -> ApiResult<AccessKey> {
        self.put(
            &format!("/v3/applications/{application_id}/access-keys/{id}"),
            update,
        )
        .await
    }

    async fn delete_access_key(&self, application_id: &str, id: &str) -> ApiResult<()> {
        self.delete(&format!(
            "/v3/applications/{application_id}/access-keys/{id}"
        ))
        .await
    }

    async fn list_verification_keys(
        &self,
        application_id: &str,
    ) -> ApiResult<Vec<VerificationKey>> {
        let path = format!("/v3/applications/{application_id}/verification-keys");
        self.list_all(&path, &[], |k: &VerificationKey| &k.id).await
    }

    async fn get_verification_key(
        &self,
        application_id: &str,
        id: &str,
    ) -> ApiResult<VerificationKey> {
        self.get(&format!(
            "/v3/applications/{application_id}/verification-keys/{id}"
        ))
        .await
    }

    async fn create_verification_key(
        &self,
        application_id: &str,
        new: &NewVerificationKey,
    ) -> ApiResult<VerificationKey> {
        // Verification-key names are unique in the account.
        let path = format!("/v3/applications/{application_id}/verification-keys");
        self.create(&path, new, || async {
            let keys = self.list_verification_keys(application_id).await?;
            Ok(keys.into_iter().find(|k| k.name == new.name))
        })
        .await
    }

    async fn update_verification_key(
        &self,
        application_id: &str,
        id: &str,
        update: &VerificationKeyUpdate,
    ) -> ApiResult<VerificationKey> {
        self.put(
            &format!("/v3/applications/{application_id}/verification-keys/{id}"),
            update,
        )
        .await
    }

    async fn delete_verification_key(&self, application_id: &str, id: &str) -> ApiResult<()> {
        self.delete(&format!(
            "/v3/applications/{application_id}/verification-keys/{id}"
        ))
        .await
    }
}
