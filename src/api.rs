//! The Izuma access-management API objects, in their JSON wire format.
//!
//! These types are shared by everything below the resource logic: the backend interface, the local
//! engine, the HTTP server that serves the engine and the reqwest client. Field names follow
//! `shared/izuma-api.md` exactly; changing one breaks compatibility with the real service.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `ACTIVE` / `INACTIVE` of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApplicationStatus {
    #[default]
    Active,
    Inactive,
}

/// `ACTIVE` / `INACTIVE` / `EXPIRED` of an access key or verification key. `EXPIRED` is derived
/// from the expiration and is never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyStatus {
    #[default]
    Active,
    Inactive,
    Expired,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Active => "ACTIVE",
            ApplicationStatus::Inactive => "INACTIVE",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(ApplicationStatus::Active),
            "INACTIVE" => Some(ApplicationStatus::Inactive),
            _ => None,
        }
    }
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Inactive => "INACTIVE",
            KeyStatus::Expired => "EXPIRED",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(KeyStatus::Active),
            "INACTIVE" => Some(KeyStatus::Inactive),
            "EXPIRED" => Some(KeyStatus::Expired),
            _ => None,
        }
    }
}

/// `free` (4 applications) or `commercial` (25 applications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountTier {
    #[default]
    Free,
    Commercial,
}

impl AccountTier {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountTier::Free => "free",
            AccountTier::Commercial => "commercial",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "free" => Some(AccountTier::Free),
            "commercial" => Some(AccountTier::Commercial),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub object: String,
    pub id: String,
    pub display_name: String,
    /// Our field: the local engine's tier. The real service reports its own business model fields.
    #[serde(default)]
    pub tier: Option<AccountTier>,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyGroup {
    pub object: String,
    pub id: String,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub object: String,
    pub id: String,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Policy-group ids, sorted.
    #[serde(default)]
    pub groups: Vec<String>,
    pub status: ApplicationStatus,
    #[serde(default)]
    pub last_used_at: Option<String>,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Body of `POST /v3/applications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplicationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// Body of `PUT /v3/applications/{id}`: absent fields stay as they are. `description: Some("")`
/// clears the description. Groups change through the groups/add and groups/remove calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplicationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplicationStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub object: String,
    pub id: String,
    pub account_id: String,
    pub application_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub status: KeyStatus,
    #[serde(default)]
    pub expiration: Option<String>,
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// The full secret: present only in the create response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Secret>,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Body of `POST /v3/applications/{id}/access-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewAccessKey {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

/// Body of `PUT /v3/applications/{id}/access-keys/{key_id}`; `expiration: Some("")` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationKey {
    pub object: String,
    pub id: String,
    pub account_id: String,
    pub application_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    /// The certificate as PEM, as the service returns it.
    pub certificate: String,
    pub issuer: String,
    pub subject: String,
    /// SHA-256 of the certificate's DER bytes, 64 lowercase hex.
    pub fingerprint: String,
    /// The certificate's not-after.
    pub expiration: String,
    pub status: KeyStatus,
    #[serde(default)]
    pub last_used_at: Option<String>,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Body of `POST /v3/applications/{id}/verification-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewVerificationKey {
    pub name: String,
    pub certificate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
}

/// Body of `PUT .../verification-keys/{id}`; the certificate never changes in place.
/// `description: Some("")` / `kid: Some("")` clear the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VerificationKeyUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
}

/// The list envelope of every list call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub object: String,
    pub data: Vec<T>,
    pub has_more: bool,
    pub limit: u32,
    #[serde(default)]
    pub after: Option<String>,
    pub order: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
}

/// A secret credential (an access key's `ak_...` value). Its `Debug` never shows the value and it
/// has no `Display`, so it cannot end up in a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    /// The plaintext, for the few places that must hand it on (the create response, Terraform state).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One invalid input named by a 400 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub name: String,
    pub message: String,
}

/// The error type of the whole API, also used by the local engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Always `"error"` on the wire.
    #[serde(default = "error_object")]
    pub object: String,
    /// The HTTP status code.
    pub code: u16,
    /// `validation_error`, `invalid_token`, `access_denied`, `account_limit_exceeded`, `not_found`,
    /// `duplicate`, `rate_limit_exceeded`, `internal_server_error`, `system_unavailable`; and, for
    /// failures that never reached the service, `transport_error` (code 0).
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub fields: Vec<FieldError>,
    #[serde(default)]
    pub request_id: Option<String>,
}

fn error_object() -> String {
    "error".to_string()
}

impl ApiError {
    pub fn new(code: u16, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            object: "error".into(),
            code,
            kind: kind.into(),
            message: message.into(),
            fields: Vec::new(),
            request_id: None,
        }
    }
    /// A 400 `validation_error` naming one field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = ApiError::new(400, "validation_error", message.clone());
        error.fields.push(FieldError {
            name: field.into(),
            message,
        });
        error
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(404, "not_found", message)
    }
    pub fn duplicate(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = ApiError::new(409, "duplicate", message.clone());
        error.fields.push(FieldError {
            name: field.into(),
            message,
        });
        error
    }
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        ApiError::new(403, "account_limit_exceeded", message)
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        ApiError::new(403, "access_denied", message)
    }
    pub fn invalid_token(message: impl Into<String>) -> Self {
        ApiError::new(401, "invalid_token", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "internal_server_error", message)
    }
    pub fn transport(message: impl Into<String>) -> Self {
        ApiError::new(0, "transport_error", message)
    }
    pub fn is_not_found(&self) -> bool {
        self.code == 404
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
