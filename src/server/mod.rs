//! `izuma-local serve`: the local engine served as the Izuma HTTP API of `shared/izuma-api.md`.
//!
//! Requests pass one middleware ([`finish`]) that gives each a request id, answers injected faults
//! when asked to, writes the error body (the handlers only hand it an [`ApiError`]) and logs one
//! line. Handlers authenticate through [`auth::authenticate`] and make one engine call each on the
//! blocking pool; the engine runs every call in one transaction, so a refused call writes nothing.
//!
//! Ids that are not 32 lowercase hex characters answer 404 `not_found` in a path (no object can
//! have them) and 400 `validation_error` in a query (`after`, `application_id__eq`).

// `ApiError` mirrors the wire error body; errors are the cold path.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use rand::Rng;

use crate::api::{ApiError, ApiResult, Application, NewAccessKey, NewApplication, Secret};
use crate::engine::{Actor, Engine, ListQuery};

pub mod auth;
mod extract;
mod faults;
mod routes;

pub use extract::MAX_BODY_BYTES;
pub use faults::Faults;

/// Name of the application the first start creates.
pub const ADMIN_APPLICATION_NAME: &str = "izuma-local-admin";

#[derive(Clone)]
pub struct AppState {
    engine: Arc<Engine>,
    administrators_group_id: String,
    faults: Option<Arc<Faults>>,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, faults: Option<Faults>) -> anyhow::Result<AppState> {
        let administrators_group_id = administrators_group(&engine)?;
        Ok(AppState {
            engine,
            administrators_group_id,
            faults: faults.map(Arc::new),
        })
    }

    /// Runs a (synchronous, SQLite) engine call on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Engine) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || call(&engine))
            .await
            .map_err(|error| ApiError::internal(format!("engine call failed: {error}")))?
    }
}

fn administrators_group(engine: &Engine) -> anyhow::Result<String> {
    let groups = engine.list_policy_groups(&ListQuery {
        limit: crate::engine::MAX_LIST_LIMIT,
        ..ListQuery::default()
    })?;
    groups
        .data
        .into_iter()
        .find(|group| group.name == "Administrators")
        .map(|group| group.id)
        .ok_or_else(|| anyhow::anyhow!("the account has no Administrators policy group"))
}

/// The whole service: the documented calls, `/health`, and the documented 404/405 bodies.
pub fn app(state: AppState) -> Router {
    routes::router()
        .fallback(|| async { extract::Failure(ApiError::not_found("no such API call")) })
        .method_not_allowed_fallback(|| async {
            extract::Failure(ApiError::new(
                405,
                "method_not_allowed",
                "this method is not allowed on this path",
            ))
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), finish))
        .with_state(state)
}

/// Request id, fault injection, error body, one log line.
async fn finish(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = match &state.faults {
        Some(faults) if path.starts_with("/v3/") => faults.run(request, next).await,
        _ => next.run(request).await,
    };
    if let Some(mut error) = response.extensions_mut().remove::<ApiError>() {
        error.request_id = Some(request_id.clone());
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        response = (status, axum::Json(error)).into_response();
        if let Some(value) = retry_after {
            response.headers_mut().insert("retry-after", value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    eprintln!(
        "{method} {path} {} {:.1}ms request_id={request_id}",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

fn new_request_id() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 16]>())
}

/// On a database without applications, creates the administrator application and its access
/// key and returns the key's secret (the only time it exists in clear); `None` otherwise.
pub fn bootstrap_admin(engine: &Engine) -> anyhow::Result<Option<Secret>> {
    let existing = engine.list_applications(&ListQuery::default(), None)?;
    if !existing.data.is_empty() {
        return Ok(None);
    }
    let administrators = administrators_group(engine)?;
    let application: Application = engine.create_application(
        &Actor::Local,
        &NewApplication {
            name: ADMIN_APPLICATION_NAME.into(),
            description: Some("created by the first start of izuma-local serve".into()),
            groups: Some(vec![administrators]),
            ..NewApplication::default()
        },
    )?;
    let key = engine.create_access_key(
        &Actor::Local,
        &application.id,
        &NewAccessKey {
            name: "admin".into(),
            ..NewAccessKey::default()
        },
    )?;
    Ok(key.key)
}

/// Serves `app` on `listener` until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("install the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!("shutting down");
}

/// A 429 with its `Retry-After`, as the fault injector and a real rate limiter answer.
fn rate_limited(retry_after: Duration) -> Response {
    let mut response = extract::Failure(ApiError::new(
        429,
        "rate_limit_exceeded",
        "too many requests; retry after the time in Retry-After",
    ))
    .into_response();
    response.headers_mut().insert(
        "retry-after",
        HeaderValue::from(retry_after.as_secs().max(1)),
    );
    response
}

fn unavailable(status: StatusCode) -> Response {
    let kind = if status == StatusCode::SERVICE_UNAVAILABLE {
        "system_unavailable"
    } else {
        "internal_server_error"
    };
    extract::Failure(ApiError::new(status.as_u16(), kind, "injected fault")).into_response()
}
