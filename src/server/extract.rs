//! Request parsing: credentials, JSON bodies and list queries, each refused with the documented
//! error body rather than axum's plain-text rejections.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::api::{ApiError, ApiResult};
use crate::engine::{Engine, ListQuery, Order, Verified};

use super::AppState;

/// Largest request body accepted; every object of the API fits in a fraction of it.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An error answer. The body is written by the request middleware, which knows the request id.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure(error)
    }
}

impl From<Failure> for ApiError {
    fn from(Failure(error): Failure) -> Self {
        error
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        response.extensions_mut().insert(self.0);
        response
    }
}

/// The credential a request presents: `Authorization` and `X-Application-ID`, as sent. Reading
/// it cannot fail; [`AppState::caller`](super::AppState::caller) judges it on the blocking pool in
/// the same trip as the handler's engine call.
pub struct Credential {
    authorization: Option<String>,
    application_id: Option<String>,
}

impl Credential {
    /// The caller's application id and whether it is an administrator, or 401 (see
    /// [`super::auth::authenticate`]).
    pub fn authenticate(&self, engine: &Engine) -> ApiResult<Verified> {
        super::auth::authenticate(
            engine,
            self.authorization.as_deref(),
            self.application_id.as_deref(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let header_text = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Credential {
            authorization: header_text(header::AUTHORIZATION.as_str()),
            application_id: header_text("x-application-id"),
        })
    }
}

/// A call any authenticated caller may make.
pub struct Caller(pub Credential);

/// A call only an application in the Administrators group may make.
pub struct Admin(pub Credential);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(Caller(Credential::from_request_parts(parts, state).await?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(Admin(Credential::from_request_parts(parts, state).await?))
    }
}

/// A request part whose refusal waits until the caller is authenticated, so 401 and 403 come
/// before any 400 or 404 about the request itself.
pub type Later<T> = Result<T, Failure>;

/// A path's parameters; a path that does not decode (invalid percent-encoding) names no object.
pub type PathParts<T> = Result<Path<T>, PathRejection>;

pub fn path<T>(parts: PathParts<T>) -> ApiResult<T> {
    parts
        .map(|Path(value)| value)
        .map_err(|_| ApiError::not_found("no object has this path: it does not decode"))
}

/// A JSON body of `T`: `Content-Type: application/json`, at most [`MAX_BODY_BYTES`], no unknown
/// fields (the api.rs request types deny them). Refusals are 400 naming the culprit.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Failure> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Failure(ApiError::validation(
                "Content-Type",
                "the body must be JSON, sent with Content-Type: application/json",
            )));
        }
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::validation(
                    "body",
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                )
            })?;
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(deserializer)
            .map(JsonBody)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                let mut message = inner.to_string();
                // serde names our Rust types ("expected struct NewApplication"): say it in API terms.
                if message.contains("expected struct") {
                    message = "the body must be a JSON object with the documented fields".into();
                }
                // An unknown or missing field is named by serde in backticks.
                let field = match path.as_str() {
                    "." | "" | "?" => quoted_field(&message).unwrap_or("body").to_string(),
                    path => path.to_string(),
                };
                Failure(ApiError::validation(
                    &field,
                    format!("invalid JSON body: {message}"),
                ))
            })
    }
}

fn quoted_field(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

/// The query of a list call: paging plus the `*__eq` filters of that call.
pub struct ListParams {
    pub query: ListQuery,
    pairs: Vec<(String, String)>,
}

impl ListParams {
    /// The value of filter `name`, parsed by `parse`; 400 naming it when `parse` refuses.
    pub fn filter<T>(&self, name: &str, parse: impl Fn(&str) -> Option<T>) -> ApiResult<Option<T>> {
        match self.pairs.iter().find(|(key, _)| key == name) {
            None => Ok(None),
            Some((_, value)) => parse(value).map(Some).ok_or_else(|| {
                ApiError::validation(name, format!("{name} {value:?} is not a valid value"))
            }),
        }
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Failure> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
                .map_err(|_| ApiError::validation("query", "the query string is malformed"))?;
        let mut query = ListQuery::default();
        for (key, value) in &pairs {
            match key.as_str() {
                "limit" => {
                    query.limit = value
                        .parse()
                        .ok()
                        .filter(|limit| (2..=crate::engine::MAX_LIST_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            ApiError::validation(
                                "limit",
                                format!("limit is {value:?}; give 2 to 1000"),
                            )
                        })?;
                }
                "after" => {
                    if !crate::rules::is_valid_id(value) {
                        return Err(Failure(ApiError::validation(
                            "after",
                            "after must be an id: 32 lowercase hex characters",
                        )));
                    }
                    query.after = Some(value.clone());
                }
                "order" => {
                    query.order = Order::parse(value).ok_or_else(|| {
                        ApiError::validation(
                            "order",
                            format!("order is {value:?}; give ASC or DESC"),
                        )
                    })?;
                }
                "include" => {
                    if value != "total_count" {
                        return Err(Failure(ApiError::validation(
                            "include",
                            format!("include is {value:?}; the only inclusion is total_count"),
                        )));
                    }
                    query.include_total = true;
                }
                _ => {}
            }
        }
        Ok(ListParams { query, pairs })
    }
}

/// A path id: 32 lowercase hex characters, else 404 (no object can have that id).
pub fn check_id(noun: &str, id: &str) -> ApiResult<()> {
    if crate::rules::is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "{noun} {id:?} not found: ids are 32 lowercase hex characters"
        )))
    }
}
