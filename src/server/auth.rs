//! Who is calling: the one place that turns a request's credential into an application.

// `ApiError` mirrors the wire error body; errors are the cold path.
#![allow(clippy::result_large_err)]

use subtle::ConstantTimeEq;

use crate::api::{ApiError, Application, ApplicationStatus, KeyStatus};
use crate::engine::{access_key_id_of_secret, secret_hash, Engine};

/// The application behind `Authorization: Bearer <credential>` (plus `X-Application-ID` for a
/// JWT), or 401 `invalid_token`. Every refusal says the same thing, so a caller learns nothing
/// about which part was wrong.
pub fn authenticate(
    engine: &Engine,
    authorization: Option<&str>,
    application_id_header: Option<&str>,
) -> Result<Application, ApiError> {
    let refused = || ApiError::invalid_token("missing, unknown, inactive or expired credential");
    let credential = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(refused)?;
    let application_id = if credential.starts_with("ak_") {
        let key_id = access_key_id_of_secret(credential).ok_or_else(refused)?;
        let (key, stored_hash) = engine
            .access_key_with_secret_hash(key_id)?
            .ok_or_else(refused)?;
        let matches: bool = secret_hash(credential)
            .as_bytes()
            .ct_eq(stored_hash.as_bytes())
            .into();
        if !matches || key.status != KeyStatus::Active {
            return Err(refused());
        }
        key.application_id
    } else {
        // TODO: JWTs go through `Engine::verify_jwt(token, application_id)` once it lands;
        // until then a JWT (with or without X-Application-ID) is not accepted.
        let _ = application_id_header;
        return Err(refused());
    };
    let application = match engine.get_application(&application_id) {
        Ok(application) => application,
        Err(error) if error.is_not_found() => return Err(refused()),
        Err(error) => return Err(error),
    };
    if application.status != ApplicationStatus::Active {
        return Err(refused());
    }
    Ok(application)
}
