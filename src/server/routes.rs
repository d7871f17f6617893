//! One handler per documented call. Each authenticates the caller, then judges the request's parts
//! (in extractor order), then makes exactly one engine call, which is one transaction: 401 before
//! 403 before any 400 or 404. Reads run inline, changes in one trip to the blocking pool.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::{
    AccessKeyUpdate, ApplicationStatus, ApplicationUpdate, KeyStatus, NewAccessKey, NewApplication,
    NewVerificationKey, VerificationKeyUpdate,
};
use crate::engine::VerificationKeyFilter;

use super::extract::{
    check_id, path, Admin, Caller, Failure, JsonBody, Later, ListParams, PathParts,
};
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

async fn account(State(state): State<AppState>, caller: Caller) -> Answer {
    ok(state.caller(caller, |engine, _| engine.account())?)
}

async fn list_policy_groups(
    State(state): State<AppState>,
    admin: Admin,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| engine.list_policy_groups(&params?.query))?)
}

async fn list_applications(
    State(state): State<AppState>,
    admin: Admin,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let params = params?;
        let status = params.filter("status__eq", ApplicationStatus::parse)?;
        engine.list_applications(&params.query, status)
    })?)
}

async fn create_application(
    State(state): State<AppState>,
    admin: Admin,
    new: Later<JsonBody<NewApplication>>,
) -> Answer {
    created(
        state
            .admin(admin, move |engine, actor| {
                engine.create_application(&actor, &new?.0)
            })
            .await?,
    )
}

async fn get_application(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let app = path(app)?;
        check_id("application", &app)?;
        engine.get_application(&app)
    })?)
}

async fn update_application(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    update: Later<JsonBody<ApplicationUpdate>>,
) -> Answer {
    ok(state
        .admin(admin, move |engine, actor| {
            let app = path(app)?;
            let update = update?.0;
            check_id("application", &app)?;
            engine.update_application(&actor, &app, &update)
        })
        .await?)
}

async fn delete_application(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
) -> Answer {
    no_content(
        state
            .admin(admin, move |engine, actor| {
                let app = path(app)?;
                check_id("application", &app)?;
                engine.delete_application(&actor, &app)
            })
            .await?,
    )
}

async fn list_application_groups(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let app = path(app)?;
        let params = params?;
        check_id("application", &app)?;
        engine.list_application_groups(&app, &params.query)
    })?)
}

async fn add_groups(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    groups: Later<JsonBody<Vec<String>>>,
) -> Answer {
    no_content(
        state
            .admin(admin, move |engine, actor| {
                let app = path(app)?;
                let groups = groups?.0;
                check_id("application", &app)?;
                engine.add_application_groups(&actor, &app, &groups)
            })
            .await?,
    )
}

async fn remove_groups(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    groups: Later<JsonBody<Vec<String>>>,
) -> Answer {
    no_content(
        state
            .admin(admin, move |engine, actor| {
                let app = path(app)?;
                let groups = groups?.0;
                check_id("application", &app)?;
                engine.remove_application_groups(&actor, &app, &groups)
            })
            .await?,
    )
}

async fn list_access_keys(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let app = path(app)?;
        let params = params?;
        check_id("application", &app)?;
        let status = params.filter("status__eq", KeyStatus::parse)?;
        engine.list_access_keys(&params.query, Some(&app), status)
    })?)
}

async fn create_access_key(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    new: Later<JsonBody<NewAccessKey>>,
) -> Answer {
    created(
        state
            .admin(admin, move |engine, actor| {
                let app = path(app)?;
                let new = new?.0;
                check_id("application", &app)?;
                engine.create_access_key(&actor, &app, &new)
            })
            .await?,
    )
}

async fn get_access_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let (app, key) = path(ids)?;
        check_id("application", &app)?;
        check_id("access key", &key)?;
        engine.get_access_key(Some(&app), &key)
    })?)
}

async fn update_access_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
    update: Later<JsonBody<AccessKeyUpdate>>,
) -> Answer {
    ok(state
        .admin(admin, move |engine, actor| {
            let (app, key) = path(ids)?;
            let update = update?.0;
            check_id("application", &app)?;
            check_id("access key", &key)?;
            engine.update_access_key(&actor, &app, &key, &update)
        })
        .await?)
}

async fn delete_access_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
) -> Answer {
    no_content(
        state
            .admin(admin, move |engine, actor| {
                let (app, key) = path(ids)?;
                check_id("application", &app)?;
                check_id("access key", &key)?;
                engine.delete_access_key(&actor, &app, &key)
            })
            .await?,
    )
}

async fn list_account_access_keys(
    State(state): State<AppState>,
    admin: Admin,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let params = params?;
        let status = params.filter("status__eq", KeyStatus::parse)?;
        let application = params.filter("application_id__eq", |id| {
            crate::rules::is_valid_id(id).then(|| id.to_string())
        })?;
        engine.list_access_keys(&params.query, application.as_deref(), status)
    })?)
}

async fn get_account_access_key(
    State(state): State<AppState>,
    admin: Admin,
    key: PathParts<String>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let key = path(key)?;
        check_id("access key", &key)?;
        engine.get_access_key(None, &key)
    })?)
}

async fn list_verification_keys(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    params: Later<ListParams>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let app = path(app)?;
        let params = params?;
        check_id("application", &app)?;
        let filters = VerificationKeyFilter {
            issuer: params.text("issuer__eq"),
            subject: params.text("subject__eq"),
            fingerprint: params.text("fingerprint__eq"),
            status: params.filter("status__eq", KeyStatus::parse)?,
        };
        engine.list_verification_keys(&params.query, &app, &filters)
    })?)
}

async fn create_verification_key(
    State(state): State<AppState>,
    admin: Admin,
    app: PathParts<String>,
    new: Later<JsonBody<NewVerificationKey>>,
) -> Answer {
    created(
        state
            .admin(admin, move |engine, actor| {
                let app = path(app)?;
                let new = new?.0;
                check_id("application", &app)?;
                engine.create_verification_key(&actor, &app, &new)
            })
            .await?,
    )
}

async fn get_verification_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
) -> Answer {
    ok(state.admin_read(admin, |engine, _| {
        let (app, key) = path(ids)?;
        check_id("application", &app)?;
        check_id("verification key", &key)?;
        engine.get_verification_key(&app, &key)
    })?)
}

async fn update_verification_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
    update: Later<JsonBody<VerificationKeyUpdate>>,
) -> Answer {
    ok(state
        .admin(admin, move |engine, actor| {
            let (app, key) = path(ids)?;
            let update = update?.0;
            check_id("application", &app)?;
            check_id("verification key", &key)?;
            engine.update_verification_key(&actor, &app, &key, &update)
        })
        .await?)
}

async fn delete_verification_key(
    State(state): State<AppState>,
    admin: Admin,
    ids: PathParts<(String, String)>,
) -> Answer {
    no_content(
        state
            .admin(admin, move |engine, actor| {
                let (app, key) = path(ids)?;
                check_id("application", &app)?;
                check_id("verification key", &key)?;
                engine.delete_verification_key(&actor, &app, &key)
            })
            .await?,
    )
}
