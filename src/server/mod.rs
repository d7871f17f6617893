//! `izuma-local serve`: the local engine served as the Izuma HTTP API of `shared/izuma-api.md`.
//!
//! Requests pass one middleware ([`finish`]) that gives each a request id, answers injected faults
//! when asked to, writes the error body (the handlers only hand it an [`ApiError`]) and logs one
//! line. Each handler authenticates through [`auth::authenticate`], then makes one engine call
//! ([`AppState::caller`], [`AppState::admin_read`] inline for reads, [`AppState::admin`] in one
//! trip to the blocking pool for changes); the engine runs every call in one transaction, so a
//! refused call writes nothing.
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
use crate::engine::{Actor, Engine, ListQuery, Verified};

pub mod auth;
mod extract;
mod faults;
mod routes;

pub use extract::MAX_BODY_BYTES;
use extract::{Admin, Caller};
pub use faults::Faults;

/// Name of the application the first start creates.
pub const ADMIN_APPLICATION_NAME: &str = "izuma-local-admin";

#[derive(Clone)]
pub struct AppState {
    engine: Arc<Engine>,
    faults: Option<Arc<Faults>>,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, faults: Option<Faults>) -> anyhow::Result<AppState> {
        // Refuse to serve an account the 403 check could never pass.
        administrators_group(&engine)?;
        Ok(AppState {
            engine,
            faults: faults.map(Arc::new),
        })
    }

    /// Authenticates the caller (401), then runs the read `call` with who it is, inline (see
    /// [`AppState::admin_read`]).
    fn caller<T>(
        &self,
        Caller(credential): Caller,
        call: impl FnOnce(&Engine, Verified) -> ApiResult<T>,
    ) -> ApiResult<T> {
        call(&self.engine, credential.authenticate(&self.engine)?)
    }

    /// Authenticates the caller (401), requires its application to be in Administrators (403),
    /// then runs the read `call` as that application, inline on the async worker: a verification
    /// and a read are a few indexed lookups, far cheaper than the two thread hand-offs of the
    /// blocking pool.
    fn admin_read<T>(
        &self,
        Admin(credential): Admin,
        call: impl FnOnce(&Engine, Actor) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let actor = authorize_admin(&self.engine, &credential)?;
        call(&self.engine, actor)
    }

    /// [`AppState::admin_read`] for a change: one trip to the blocking pool for the
    /// authentication and the write transaction, which may wait for the disk or another process.
    async fn admin<T: Send + 'static>(
        &self,
        Admin(credential): Admin,
        call: impl FnOnce(&Engine, Actor) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        self.blocking(move |engine| call(engine, authorize_admin(engine, &credential)?))
            .await
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

/// The caller as an actor, if authenticated (else 401) and in Administrators (else 403).
fn authorize_admin(engine: &Engine, credential: &extract::Credential) -> ApiResult<Actor> {
    let caller = credential.authenticate(engine)?;
    if !caller.is_admin {
        return Err(ApiError::access_denied(
            "managing applications and keys needs an application in the Administrators group",
        ));
    }
    Ok(Actor::Application(caller.application_id))
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
    log_line(format_args!(
        "{method} {path} {} {:.1}ms request_id={request_id}",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    response
}

/// Writes one line to stderr in one `write`: `eprintln!` writes each formatted piece separately
/// (stderr is unbuffered), which cost a dozen system calls per request.
fn log_line(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut buffer = Vec::with_capacity(128);
    let _ = buffer.write_fmt(line);
    buffer.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&buffer);
}

fn new_request_id() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 16]>())
}

/// Whether the database has no applications yet, so the first start must create the
/// administrator.
pub fn needs_admin(engine: &Engine) -> anyhow::Result<bool> {
    Ok(engine
        .list_applications(&ListQuery::default(), None)?
        .data
        .is_empty())
}

/// The administrator made by [`bootstrap_admin`].
pub struct Bootstrapped {
    pub application_id: String,
    /// The access key's secret: the only time it exists in clear.
    pub secret: Secret,
}

/// On a database without applications, creates the administrator application and its access
/// key; `None` otherwise.
pub fn bootstrap_admin(engine: &Engine) -> anyhow::Result<Option<Bootstrapped>> {
    if !needs_admin(engine)? {
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
    let secret = key
        .key
        .ok_or_else(|| anyhow::anyhow!("the engine returned no secret for the new key"))?;
    Ok(Some(Bootstrapped {
        application_id: application.id,
        secret,
    }))
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
