//! One handler per documented call. Each authenticates first (extractor order), then parses the
//! body, then makes exactly one engine call, which is one transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::{
    AccessKeyUpdate, ApplicationStatus, ApplicationUpdate, KeyStatus, NewAccessKey, NewApplication,
    NewVerificationKey, VerificationKeyUpdate,
};
use crate::engine::VerificationKeyFilter;

use super::extract::{check_id, Admin, Caller, Failure, JsonBody, ListParams};
use super::AppState;

type Answer = Result<Response, Failure>;

fn ok<T: serde::Serialize>(value: T) -> Answer {
    Ok(Json(value).into_response())
}
fn created<T: serde::Serialize>(value: T) -> Answer {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}
fn no_content(_: ()) -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/v3/accounts/me", get(account))
        .route("/v3/policy-groups", get(list_policy_groups))
        .route(
            "/v3/applications",
            get(list_applications).post(create_application),
        )
        .route(
            "/v3/applications/{app}",
            get(get_application)
                .put(update_application)
                .delete(delete_application),
        )
        .route(
            "/v3/applications/{app}/groups",
            get(list_application_groups),
        )
        .route("/v3/applications/{app}/groups/add", post(add_groups))
        .route("/v3/applications/{app}/groups/remove", post(remove_groups))
        .route(
            "/v3/applications/{app}/access-keys",
            get(list_access_keys).post(create_access_key),
        )
        .route(
            "/v3/applications/{app}/access-keys/{key}",
            get(get_access_key)
                .put(update_access_key)
                .delete(delete_access_key),
        )
        .route(
            "/v3/applications/{app}/verification-keys",
            get(list_verification_keys).post(create_verification_key),
        )
        .route(
            "/v3/applications/{app}/verification-keys/{key}",
            get(get_verification_key)
                .put(update_verification_key)
                .delete(delete_verification_key),
        )
        .route("/v3/access-keys", get(list_account_access_keys))
        .route("/v3/access-keys/{key}", get(get_account_access_key))
}

async fn account(State(state): State<AppState>, _caller: Caller) -> Answer {
    ok(state.blocking(|engine| engine.account()).await?)
}

async fn list_policy_groups(
    State(state): State<AppState>,
    _admin: Admin,
    params: ListParams,
) -> Answer {
    ok(state
        .blocking(move |engine| engine.list_policy_groups(&params.query))
        .await?)
}

async fn list_applications(
    State(state): State<AppState>,
    _admin: Admin,
    params: ListParams,
) -> Answer {
    let status = params.filter("status__eq", ApplicationStatus::parse)?;
    ok(state
        .blocking(move |engine| engine.list_applications(&params.query, status))
        .await?)
}

async fn create_application(
    State(state): State<AppState>,
    Admin(actor): Admin,
    JsonBody(new): JsonBody<NewApplication>,
) -> Answer {
    created(
        state
            .blocking(move |engine| engine.create_application(&actor, &new))
            .await?,
    )
}

async fn get_application(
    State(state): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
) -> Answer {
    check_id("application", &app)?;
    ok(state
        .blocking(move |engine| engine.get_application(&app))
        .await?)
}

async fn update_application(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
    JsonBody(update): JsonBody<ApplicationUpdate>,
) -> Answer {
    check_id("application", &app)?;
    ok(state
        .blocking(move |engine| engine.update_application(&actor, &app, &update))
        .await?)
}

async fn delete_application(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
) -> Answer {
    check_id("application", &app)?;
    no_content(
        state
            .blocking(move |engine| engine.delete_application(&actor, &app))
            .await?,
    )
}

async fn list_application_groups(
    State(state): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    params: ListParams,
) -> Answer {
    check_id("application", &app)?;
    ok(state
        .blocking(move |engine| engine.list_application_groups(&app, &params.query))
        .await?)
}

async fn add_groups(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
    JsonBody(groups): JsonBody<Vec<String>>,
) -> Answer {
    check_id("application", &app)?;
    no_content(
        state
            .blocking(move |engine| engine.add_application_groups(&actor, &app, &groups))
            .await?,
    )
}

async fn remove_groups(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
    JsonBody(groups): JsonBody<Vec<String>>,
) -> Answer {
    check_id("application", &app)?;
    no_content(
        state
            .blocking(move |engine| engine.remove_application_groups(&actor, &app, &groups))
            .await?,
    )
}

async fn list_access_keys(
    State(state): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    params: ListParams,
) -> Answer {
    check_id("application", &app)?;
    let status = params.filter("status__eq", KeyStatus::parse)?;
    ok(state
        .blocking(move |engine| engine.list_access_keys(&params.query, Some(&app), status))
        .await?)
}

async fn create_access_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
    JsonBody(new): JsonBody<NewAccessKey>,
) -> Answer {
    check_id("application", &app)?;
    created(
        state
            .blocking(move |engine| engine.create_access_key(&actor, &app, &new))
            .await?,
    )
}

async fn get_access_key(
    State(state): State<AppState>,
    _admin: Admin,
    Path((app, key)): Path<(String, String)>,
) -> Answer {
    check_id("application", &app)?;
    check_id("access key", &key)?;
    ok(state
        .blocking(move |engine| engine.get_access_key(Some(&app), &key))
        .await?)
}

async fn update_access_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((app, key)): Path<(String, String)>,
    JsonBody(update): JsonBody<AccessKeyUpdate>,
) -> Answer {
    check_id("application", &app)?;
    check_id("access key", &key)?;
    ok(state
        .blocking(move |engine| engine.update_access_key(&actor, &app, &key, &update))
        .await?)
}

async fn delete_access_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((app, key)): Path<(String, String)>,
) -> Answer {
    check_id("application", &app)?;
    check_id("access key", &key)?;
    no_content(
        state
            .blocking(move |engine| engine.delete_access_key(&actor, &app, &key))
            .await?,
    )
}

async fn list_account_access_keys(
    State(state): State<AppState>,
    _admin: Admin,
    params: ListParams,
) -> Answer {
    let status = params.filter("status__eq", KeyStatus::parse)?;
    let application = params.filter("application_id__eq", |id| {
        crate::rules::is_valid_id(id).then(|| id.to_string())
    })?;
    ok(state
        .blocking(move |engine| {
            engine.list_access_keys(&params.query, application.as_deref(), status)
        })
        .await?)
}

async fn get_account_access_key(
    State(state): State<AppState>,
    _admin: Admin,
    Path(key): Path<String>,
) -> Answer {
    check_id("access key", &key)?;
    ok(state
        .blocking(move |engine| engine.get_access_key(None, &key))
        .await?)
}

async fn list_verification_keys(
    State(state): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    params: ListParams,
) -> Answer {
    check_id("application", &app)?;
    let filters = VerificationKeyFilter {
        issuer: params.text("issuer__eq"),
        subject: params.text("subject__eq"),
        fingerprint: params.text("fingerprint__eq"),
        status: params.filter("status__eq", KeyStatus::parse)?,
    };
    ok(state
        .blocking(move |engine| engine.list_verification_keys(&params.query, &app, &filters))
        .await?)
}

async fn create_verification_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(app): Path<String>,
    JsonBody(new): JsonBody<NewVerificationKey>,
) -> Answer {
    check_id("application", &app)?;
    created(
        state
            .blocking(move |engine| engine.create_verification_key(&actor, &app, &new))
            .await?,
    )
}

async fn get_verification_key(
    State(state): State<AppState>,
    _admin: Admin,
    Path((app, key)): Path<(String, String)>,
) -> Answer {
    check_id("application", &app)?;
    check_id("verification key", &key)?;
    ok(state
        .blocking(move |engine| engine.get_verification_key(&app, &key))
        .await?)
}

async fn update_verification_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((app, key)): Path<(String, String)>,
    JsonBody(update): JsonBody<VerificationKeyUpdate>,
) -> Answer {
    check_id("application", &app)?;
    check_id("verification key", &key)?;
    ok(state
        .blocking(move |engine| engine.update_verification_key(&actor, &app, &key, &update))
        .await?)
}

async fn delete_verification_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((app, key)): Path<(String, String)>,
) -> Answer {
    check_id("application", &app)?;
    check_id("verification key", &key)?;
    no_content(
        state
            .blocking(move |engine| engine.delete_verification_key(&actor, &app, &key))
            .await?,
    )
}
