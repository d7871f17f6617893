//! The verification engine: does an access-key secret, or a JWT signed by an application's own
//! key, authenticate? Each refusal says why, by a stable code and a message, and never repeats the
//! credential.
//!
//! Throughput: a verification is one indexed read (plus the signature check for a JWT). Its audit
//! row and the `last_used_at` bumps are queued in memory and written in batches by a background
//! thread on its own connection, every second or at 4096 events; [`Engine::flush`] writes them
//! synchronously before every change this engine makes (so the audit log keeps the order of this
//! process's events), on `audit_log()`, and on drop.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::api::{AccessKey, ApiResult, Application, VerificationKey};
use crate::certificate::{parse_certificate, Curve, PublicKeyKind};
use crate::rules::format_time;

use super::store::Record;
use super::{access_key_id_of_secret, Engine, BUSY_TIMEOUT};

/// Tolerated clock skew for `nbf` and `iat`.
const LEEWAY: Duration = Duration::seconds(60);
/// Queued verifications written at once; a bigger batch amortises the commit further.
const FLUSH_AT_EVENTS: usize = 4096;
/// How often the writer wakes to write what is queued, full batch or not.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Who an accepted credential authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub application_id: String,
    /// The access key or verification key that matched.
    pub key_id: String,
    /// Whether the application is in the Administrators policy group, read in the same statement
    /// as the key (so in the same snapshot): the server's 403 needs nothing more.
    pub is_admin: bool,
}

/// Why a credential was refused. [`Refusal::code`] is stable, for scripts and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MalformedAccessKey,
    /// No key has this id, or the secret does not match it: deleted, never existed, or forged.
    UnknownAccessKey,
    KeyInactive,
    KeyExpired,
    UnknownApplication,
    ApplicationInactive,
    MalformedToken,
    AlgorithmNone,
    HmacAlgorithm,
    UnsupportedAlgorithm,
    MissingExpiry,
    TokenExpired,
    TokenNotYetValid,
    IssuedInFuture,
    /// The header's `kid` names no verification key of this application.
    UnknownKid,
    /// The application has no ACTIVE, unexpired verification key.
    NoActiveKey,
    /// No candidate key verifies the signature: tampered, or signed by another key.
    BadSignature,
    /// The database could not be read; the credential was not judged.
    EngineError,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::MalformedAccessKey => "malformed_access_key",
            Refusal::UnknownAccessKey => "unknown_access_key",
            Refusal::KeyInactive => "key_inactive",
            Refusal::KeyExpired => "key_expired",
            Refusal::UnknownApplication => "unknown_application",
            Refusal::ApplicationInactive => "application_inactive",
            Refusal::MalformedToken => "malformed_token",
            Refusal::AlgorithmNone => "algorithm_none",
            Refusal::HmacAlgorithm => "hmac_algorithm",
            Refusal::UnsupportedAlgorithm => "unsupported_algorithm",
            Refusal::MissingExpiry => "missing_exp",
            Refusal::TokenExpired => "token_expired",
            Refusal::TokenNotYetValid => "token_not_yet_valid",
            Refusal::IssuedInFuture => "issued_in_future",
            Refusal::UnknownKid => "unknown_kid",
            Refusal::NoActiveKey => "no_active_key",
            Refusal::BadSignature => "bad_signature",
            Refusal::EngineError => "engine_error",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::MalformedAccessKey => "not an access key: expected ak_ followed by 96 hex characters",
            Refusal::UnknownAccessKey => "no access key matches this secret: it was deleted, never existed, or the secret is wrong",
            Refusal::KeyInactive => "the key is INACTIVE",
            Refusal::KeyExpired => "the key is past its expiration",
            Refusal::UnknownApplication => "no application has this id",
            Refusal::ApplicationInactive => "the application is INACTIVE",
            Refusal::MalformedToken => "not a JWT: expected three base64url parts with a JSON header and payload",
            Refusal::AlgorithmNone => "unsigned JWT (alg none) refused",
            Refusal::HmacAlgorithm => "HMAC-signed JWT (HS256/HS384/HS512) refused: only RS256/384/512 and ES256/384/512 are accepted",
            Refusal::UnsupportedAlgorithm => "JWT algorithm not accepted: only RS256/384/512 and ES256/384/512 are",
            Refusal::MissingExpiry => "the JWT has no numeric exp claim",
            Refusal::TokenExpired => "the JWT is past its exp",
            Refusal::TokenNotYetValid => "the JWT's nbf is in the future",
            Refusal::IssuedInFuture => "the JWT's iat is in the future",
            Refusal::UnknownKid => "the JWT's kid names no verification key of this application",
            Refusal::NoActiveKey => "the application has no ACTIVE, unexpired verification key",
            Refusal::BadSignature => "the signature does not verify with any ACTIVE verification key of this application",
            Refusal::EngineError => "the local database could not be read; try again",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Refusal {}

impl From<rusqlite::Error> for Refusal {
    fn from(_: rusqlite::Error) -> Self {
        Refusal::EngineError
    }
}

/// One verification waiting for its audit row.
struct Event {
    at: OffsetDateTime,
    object: &'static str,
    key_id: Option<String>,
    application_id: Option<String>,
    outcome: Result<(), Refusal>,
}

/// A certificate's public key, parsed once per engine.
enum PublicKey {
    Rsa(DecodingKey),
    Ec(Curve, DecodingKey),
    P521(Box<p521::ecdsa::VerifyingKey>),
}

impl PublicKey {
    fn from_certificate(pem: &str) -> Option<PublicKey> {
        let info = parse_certificate(pem).ok()?;
        Some(match info.key {
            PublicKeyKind::Rsa { .. } => {
                PublicKey::Rsa(DecodingKey::from_rsa_der(&info.public_key))
            }
            PublicKeyKind::Ec { curve: Curve::P521 } => PublicKey::P521(Box::new(
                p521::ecdsa::VerifyingKey::from_sec1_bytes(&info.public_key).ok()?,
            )),
            PublicKeyKind::Ec { curve } => {
                PublicKey::Ec(curve, DecodingKey::from_ec_der(&info.public_key))
            }
        })
    }

    /// Whether `signature` (base64url) signs `message` under `algorithm` with this key.
    fn verifies(&self, algorithm: Algorithm, message: &[u8], signature: &str) -> bool {
        use Algorithm::*;
        match (self, algorithm) {
            (PublicKey::Rsa(key), RS256 | RS384 | RS512)
            | (PublicKey::Ec(Curve::P256, key), ES256)
            | (PublicKey::Ec(Curve::P384, key), ES384) => {
                jsonwebtoken::crypto::verify(signature, message, key, algorithm).unwrap_or(false)
            }
            _ => false,
        }
    }

    fn verifies_es512(&self, message: &[u8], signature: &[u8]) -> bool {
        use p521::ecdsa::signature::Verifier;
        let PublicKey::P521(key) = self else {
            return false;
        };
        p521::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|signature| key.verify(message, &signature).is_ok())
    }
}

/// The verification queue, its writer thread and the key cache of one [`Engine`].
pub(super) struct Verifier {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// Verification key id → (certificate fingerprint, parsed key). A fingerprint that no longer
    /// matches the row means the key was replaced: parse again.
    keys: Mutex<HashMap<String, (String, Arc<PublicKey>)>>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer when a full batch is queued, or to stop.
    due: Condvar,
    /// The writer's own connection, so verifications keep reading (WAL) while a batch is written.
    /// Whoever takes events off the queue holds it until they are committed: a mutation's
    /// `flush()` waits here, so it never commits between an earlier verification being taken and
    /// written.
    conn: Mutex<Connection>,
}

#[derive(Default)]
struct Queue {
    events: Vec<Event>,
    stop: bool,
    /// Who the audit log says verified: `local` (the CLI) unless set, `http` for the server.
    actor: Option<&'static str>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data whole (a failed write requeues), so poison is moot.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Verifier {
    /// Opens the writer's connection to `path` and starts its thread.
    pub(super) fn open(path: &Path) -> rusqlite::Result<Verifier> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            due: Condvar::new(),
            conn: Mutex::new(conn),
        });
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("izuma-audit".into())
                .spawn(move || shared.write_until_stopped())
                .expect("cannot start the audit writer thread")
        };
        Ok(Verifier {
            shared,
            writer: Some(writer),
            keys: Mutex::default(),
        })
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        lock(&self.shared.queue).stop = true;
        self.shared.due.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        // Whatever the writer had not taken yet.
        let _ = self.shared.flush();
    }
}

impl Shared {
    fn write_until_stopped(&self) {
        loop {
            let queue = lock(&self.queue);
            let (queue, _) = self
                .due
                .wait_timeout_while(queue, FLUSH_EVERY, |q| {
                    !q.stop && q.events.len() < FLUSH_AT_EVENTS
                })
                .unwrap_or_else(|p| p.into_inner());
            let stop = queue.stop;
            // Released before flush() takes the connection: flush locks connection, then queue.
            drop(queue);
            if stop {
                return;
            }
            // A busy database keeps the events queued for the next round; none is lost.
            let _ = self.flush();
        }
    }

    fn push(&self, event: Event) {
        let mut queue = lock(&self.queue);
        queue.events.push(event);
        if queue.events.len() == FLUSH_AT_EVENTS {
            self.due.notify_one();
        }
    }

    fn flush(&self) -> ApiResult<()> {
        let mut conn = lock(&self.conn);
        let (events, actor) = {
            let mut queue = lock(&self.queue);
            (
                std::mem::take(&mut queue.events),
                queue.actor.unwrap_or("local"),
            )
        };
        if events.is_empty() {
            return Ok(());
        }
        let written = write_events(&mut conn, &events, actor);
        if written.is_err() {
            let mut queue = lock(&self.queue);
            let newer = std::mem::replace(&mut queue.events, events);
            queue.events.extend(newer);
        }
        written
    }
}

/// Verification keys a JWT may be signed with: (id, parsed key).
type Candidates = Vec<(String, Arc<PublicKey>)>;

/// The accepted JWT algorithms; `None` for ES512, which jsonwebtoken does not implement.
enum Signing {
    Jwt(Algorithm),
    Es512,
}

impl Engine {
    /// Verifies an access-key secret: it must match the stored hash of an ACTIVE, unexpired key of
    /// an ACTIVE application.
    pub fn verify_access_key(&self, secret: &str) -> Result<Verified, Refusal> {
        let now = (self.clock)();
        let key_id = access_key_id_of_secret(secret);
        let mut application_id = None;
        let outcome = match key_id {
            None => Err(Refusal::MalformedAccessKey),
            Some(key_id) => self.judge_access_key(key_id, secret, now, &mut application_id),
        };
        self.record(Event {
            at: now,
            object: AccessKey::OBJECT,
            key_id: key_id.map(str::to_owned),
            application_id,
            outcome: outcome.as_ref().map(|_| ()).map_err(|r| *r),
        });
        outcome
    }

    fn judge_access_key(
        &self,
        key_id: &str,
        secret: &str,
        now: OffsetDateTime,
        application_id: &mut Option<String>,
    ) -> Result<Verified, Refusal> {
        // Hashed before the connection is locked, into a stack buffer: no allocation.
        let mut hash = [0u8; 64];
        hex::encode_to_slice(Sha256::digest(secret), &mut hash).expect("64 hex digits");
        // The row is judged while borrowed from SQLite; only the application id is copied out.
        let row = self
            .reader()?
            .prepare_cached(
                "SELECT k.secret_hash, k.status, k.expiration, k.application_id, a.status, \
                 EXISTS (SELECT 1 FROM application_groups m JOIN policy_groups g ON g.id = m.group_id \
                         WHERE m.application_id = k.application_id AND g.name = 'Administrators') \
                 FROM access_keys k JOIN applications a ON a.id = k.application_id WHERE k.id = ?1",
            )?
            .query_row([key_id], |r| {
                // Constant time, so the comparison leaks nothing about how much of the hash matched.
                let matches: bool = hash.ct_eq(r.get_ref(0)?.as_bytes()?).into();
                if !matches {
                    return Ok(None);
                }
                let expiration = r.get_ref(2)?.as_str_or_null()?;
                let key = check_key(r.get_ref(1)?.as_str()?, expiration, now);
                let app_active = r.get_ref(4)?.as_str()? == "ACTIVE";
                let is_admin: bool = r.get(5)?;
                Ok(Some((key, r.get::<_, String>(3)?, app_active, is_admin)))
            })
            .optional()?;
        let Some((key, app_id, app_active, is_admin)) = row.flatten() else {
            return Err(Refusal::UnknownAccessKey);
        };
        *application_id = Some(app_id.clone());
        key?;
        if !app_active {
            return Err(Refusal::ApplicationInactive);
        }
        Ok(Verified {
            application_id: app_id,
            key_id: key_id.to_owned(),
            is_admin,
        })
    }

    /// Verifies a JWT presented with `X-Application-ID: application_id`: an accepted algorithm,
    /// a signature by an ACTIVE, unexpired verification key of that ACTIVE application (the one
    /// its `kid` names, if any), and a future `exp`.
    pub fn verify_jwt(&self, token: &str, application_id: &str) -> Result<Verified, Refusal> {
        let now = (self.clock)();
        let outcome = self.judge_jwt(token, application_id, now);
        let known_application = !matches!(outcome, Err(Refusal::UnknownApplication));
        self.record(Event {
            at: now,
            object: VerificationKey::OBJECT,
            key_id: outcome.as_ref().ok().map(|v| v.key_id.clone()),
            application_id: known_application.then(|| application_id.to_owned()),
            outcome: outcome.as_ref().map(|_| ()).map_err(|r| *r),
        });
        outcome
    }

    fn judge_jwt(
        &self,
        token: &str,
        application_id: &str,
        now: OffsetDateTime,
    ) -> Result<Verified, Refusal> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::MalformedToken);
        };
        #[derive(serde::Deserialize)]
        struct Header {
            alg: String,
            kid: Option<String>,
        }
        let header: Header = decode_json(header)?;
        let signing = match header.alg.as_str() {
            "RS256" => Signing::Jwt(Algorithm::RS256),
            "RS384" => Signing::Jwt(Algorithm::RS384),
            "RS512" => Signing::Jwt(Algorithm::RS512),
            "ES256" => Signing::Jwt(Algorithm::ES256),
            "ES384" => Signing::Jwt(Algorithm::ES384),
            "ES512" => Signing::Es512,
            alg if alg.eq_ignore_ascii_case("none") => return Err(Refusal::AlgorithmNone),
            "HS256" | "HS384" | "HS512" => return Err(Refusal::HmacAlgorithm),
            _ => return Err(Refusal::UnsupportedAlgorithm),
        };

        let (is_admin, candidates) =
            self.candidate_keys(application_id, header.kid.as_deref(), now)?;
        let message = &token.as_bytes()[..header_len(token, payload)];
        let es512_signature = match signing {
            Signing::Es512 => Some(
                URL_SAFE_NO_PAD
                    .decode(signature)
                    .map_err(|_| Refusal::MalformedToken)?,
            ),
            Signing::Jwt(_) => None,
        };
        let key_id = candidates
            .into_iter()
            .find(|(_, key)| match (&signing, &es512_signature) {
                (Signing::Jwt(algorithm), _) => key.verifies(*algorithm, message, signature),
                (Signing::Es512, Some(bytes)) => key.verifies_es512(message, bytes),
                (Signing::Es512, None) => false,
            })
            .map(|(id, _)| id)
            .ok_or(Refusal::BadSignature)?;

        // Claims are judged only once the signature proves who wrote them.
        let claims: serde_json::Map<String, serde_json::Value> = decode_json(payload)?;
        let at = |name: &str| -> Result<Option<OffsetDateTime>, Refusal> {
            match claims.get(name) {
                None => Ok(None),
                Some(value) => value
                    .as_f64()
                    .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds as i64).ok())
                    .map(Some)
                    .ok_or(Refusal::MalformedToken),
            }
        };
        let expiry = at("exp")
            .map_err(|_| Refusal::MissingExpiry)?
            .ok_or(Refusal::MissingExpiry)?;
        if expiry <= now {
            return Err(Refusal::TokenExpired);
        }
        if at("nbf")?.is_some_and(|nbf| nbf > now + LEEWAY) {
            return Err(Refusal::TokenNotYetValid);
        }
        if at("iat")?.is_some_and(|iat| iat > now + LEEWAY) {
            return Err(Refusal::IssuedInFuture);
        }
        Ok(Verified {
            application_id: application_id.to_owned(),
            key_id,
            is_admin,
        })
    }

    /// The keys a JWT of `application_id` may be signed with: the one `kid` names, else every
    /// ACTIVE, unexpired one; each parsed (from the cache when it is current). Also whether the
    /// application is in Administrators.
    fn candidate_keys(
        &self,
        application_id: &str,
        kid: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(bool, Candidates), Refusal> {
        let now_text = format_time(now);
        let conn = self.reader()?;
        let app: Option<(String, bool)> = conn
            .prepare_cached(
                "SELECT a.status, EXISTS (SELECT 1 FROM application_groups m \
                 JOIN policy_groups g ON g.id = m.group_id \
                 WHERE m.application_id = a.id AND g.name = 'Administrators') \
                 FROM applications a WHERE a.id = ?1",
            )?
            .query_row([application_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let is_admin = match app {
            None => return Err(Refusal::UnknownApplication),
            Some((status, is_admin)) if status == "ACTIVE" => is_admin,
            Some(_) => return Err(Refusal::ApplicationInactive),
        };
        let mut keys: Vec<(String, String, String, String)> = conn
            .prepare_cached(
                "SELECT id, fingerprint, status, expiration FROM verification_keys \
                 WHERE application_id = ?1 AND (?2 IS NULL OR kid = ?2) ORDER BY seq",
            )?
            .query_map((application_id, kid), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if kid.is_some() {
            let (_, _, status, expiration) = keys.first().ok_or(Refusal::UnknownKid)?;
            check_key(status, Some(expiration), now)?;
        } else {
            keys.retain(|(_, _, status, expiration)| status == "ACTIVE" && *expiration > now_text);
            if keys.is_empty() {
                return Err(Refusal::NoActiveKey);
            }
        }
        let keys = keys
            .into_iter()
            .map(|(id, fingerprint, _, _)| {
                let key = self.public_key(&conn, &id, &fingerprint)?;
                Ok((id, key))
            })
            .collect::<Result<_, Refusal>>()?;
        Ok((is_admin, keys))
    }

    fn public_key(
        &self,
        conn: &Connection,
        id: &str,
        fingerprint: &str,
    ) -> Result<Arc<PublicKey>, Refusal> {
        let mut cache = self.verifier.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_fingerprint, key)) = cache.get(id) {
            if cached_fingerprint == fingerprint {
                return Ok(key.clone());
            }
        }
        let pem: String = conn
            .prepare_cached("SELECT certificate FROM verification_keys WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        // Stored certificates passed intake; one that no longer parses is an engine fault.
        let key = Arc::new(PublicKey::from_certificate(&pem).ok_or(Refusal::EngineError)?);
        cache.insert(id.to_owned(), (fingerprint.to_owned(), key.clone()));
        Ok(key)
    }

    /// Drops the parsed key of a deleted verification key.
    pub(super) fn forget_verification_key(&self, id: &str) {
        let mut cache = self.verifier.keys.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(id);
    }

    fn record(&self, event: Event) {
        self.verifier.shared.push(event);
    }

    /// Writes the queued verifications to the audit log and their `last_used_at` to the keys and
    /// applications, in one transaction, after any batch the writer thread is committing. On
    /// failure the events stay queued.
    pub fn flush(&self) -> ApiResult<()> {
        self.verifier.shared.flush()
    }

    /// Names who verifies in the audit log from now on (`http` for `izuma-local serve`), so that
    /// the server's authentications read apart from `izuma-local verify`'s.
    pub fn set_verification_actor(&self, actor: &'static str) {
        lock(&self.verifier.shared.queue).actor = Some(actor);
    }
}

/// A key's own state: stored status, then expiration (RFC 3339 text compares as time).
fn check_key(status: &str, expiration: Option<&str>, now: OffsetDateTime) -> Result<(), Refusal> {
    if expiration.is_some_and(|at| at <= format_time(now).as_str()) {
        return Err(Refusal::KeyExpired);
    }
    if status != "ACTIVE" {
        return Err(Refusal::KeyInactive);
    }
    Ok(())
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Refusal::MalformedToken)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::MalformedToken)
}

/// The length of `header.payload`, the signed part of `token`.
fn header_len(token: &str, payload: &str) -> usize {
    token.find('.').map_or(0, |dot| dot + 1 + payload.len())
}

fn write_events(conn: &mut Connection, events: &[Event], actor: &str) -> ApiResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut audit = tx.prepare_cached(
            "INSERT INTO audit_log (at, actor, action, object, object_id, application_id, detail) \
             VALUES (?1, ?6, 'verify', ?2, ?3, ?4, ?5)",
        )?;
        // Only the latest use of each key and application needs writing.
        let mut last_used: HashMap<(&str, &str), OffsetDateTime> = HashMap::new();
        for event in events {
            let detail = match event.outcome {
                Ok(()) => "accepted".to_owned(),
                Err(refusal) => format!("refused: {}", refusal.code()),
            };
            audit.execute((
                format_time(event.at),
                event.object,
                event.key_id.as_deref().unwrap_or(""),
                event.application_id.as_deref(),
                detail,
                actor,
            ))?;
            if let (Ok(()), Some(key_id), Some(app_id)) =
                (event.outcome, &event.key_id, &event.application_id)
            {
                let table = match event.object {
                    AccessKey::OBJECT => AccessKey::TABLE,
                    _ => VerificationKey::TABLE,
                };
                last_used.insert((table, key_id), event.at);
                last_used.insert((Application::TABLE, app_id), event.at);
            }
        }
        for ((table, id), at) in last_used {
            tx.prepare_cached(&format!(
                "UPDATE {table} SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)"
            ))?
            .execute((format_time(at), id))?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests;
