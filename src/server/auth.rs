//! Who is calling: the one place that turns a request's credential into an application, through
//! the engine's verifier (which also records the verification in the audit log).

use crate::api::ApiError;
use crate::engine::{Engine, Verified};

/// The application behind `Authorization: Bearer <credential>`: an access key, or a JWT plus
/// `X-Application-ID`. Anything else is 401 `invalid_token` with one message for every refusal, so
/// a caller learns nothing about which part was wrong (the audit log has the precise reason).
///
/// The verifier's one read also says whether the application is in Administrators, so this is
/// the request's only read before its engine call; nothing is cached across requests, so a
/// deactivated application or a removed membership takes effect on the next request.
pub fn authenticate(
    engine: &Engine,
    authorization: Option<&str>,
    application_id_header: Option<&str>,
) -> Result<Verified, ApiError> {
    let refused = || ApiError::invalid_token("missing, unknown, inactive or expired credential");
    let credential = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(refused)?;
    if credential.starts_with("ak_") {
        engine.verify_access_key(credential)
    } else {
        // A JWT names its application in a header; without it the request is not authenticated.
        let application_id = application_id_header
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(refused)?;
        engine.verify_jwt(credential, application_id)
    }
    .map_err(|_| refused())
}
