//! The embedded local engine: behaves like the Izuma access-management service (see
//! `shared/izuma-api.md`) and keeps everything in one SQLite file.
//!
//! Every call runs in one transaction: a mutation takes the write lock up front (`BEGIN
//! IMMEDIATE`), and a refused mutation rolls back whole, audit row included. The file is in WAL
//! mode with a busy timeout, so a second process (the CLI verifying keys while Terraform applies)
//! can share it.

// `ApiError` mirrors the wire error body (128 bytes); errors are the cold path, so boxing it
// would buy nothing but noise at every call site.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use rand::rngs::OsRng;
use rand::RngCore;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::api::{
    Account, AccountTier, ApiError, ApiResult, KeyStatus, ListPage, PolicyGroup, Secret,
};
use crate::rules;

mod access_keys;
mod applications;
mod schema;
mod store;
mod verification_keys;
mod verify;

use store::{Change, Changes, Filter, Store};

pub use verification_keys::VerificationKeyFilter;
pub use verify::{Refusal, Verified};

/// Prepared statements kept per connection: the store's queries for every filter combination.
const STATEMENT_CACHE: usize = 128;

/// How long a call waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle read-only connections kept for reuse; more are opened while more reads run at once.
const IDLE_READERS: usize = 4;

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The provider in local mode, or the CLI.
    Local,
    /// A request authenticated as this application (the HTTP server).
    Application(String),
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Local => "local".into(),
            Actor::Application(id) => format!("application:{id}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ASC" => Some(Order::Asc),
            "DESC" => Some(Order::Desc),
            _ => None,
        }
    }
    fn is_desc(self) -> bool {
        self == Order::Desc
    }
}

/// The paging part of a list call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// 2..=1000.
    pub limit: u32,
    /// The id to continue after: the last id of the previous page.
    pub after: Option<String>,
    pub order: Order,
    pub include_total: bool,
}

pub const DEFAULT_LIST_LIMIT: u32 = 50;
pub const MAX_LIST_LIMIT: u32 = 1000;

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            limit: DEFAULT_LIST_LIMIT,
            after: None,
            order: Order::Asc,
            include_total: false,
        }
    }
}

impl ListQuery {
    fn check(&self) -> ApiResult<()> {
        if !(2..=MAX_LIST_LIMIT).contains(&self.limit) {
            return Err(ApiError::validation(
                "limit",
                format!("limit is {}; give 2 to {MAX_LIST_LIMIT}", self.limit),
            ));
        }
        Ok(())
    }
}

/// One successful change or one verification (accepted or refused), as `izuma-local audit` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// `local` or `application:<id>`.
    pub actor: String,
    /// `create`, `update`, `delete` or `verify`.
    pub action: String,
    /// `application`, `access-key`, `verification-key` or `group-membership`.
    pub object: String,
    /// The changed object; for a group membership, the policy group.
    pub object_id: String,
    pub application_id: Option<String>,
    /// What changed, never a secret.
    pub detail: String,
}

type Clock = Box<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub struct Engine {
    /// The connection every change (and nothing else) runs on.
    conn: Mutex<Connection>,
    /// Idle read-only connections: in WAL mode readers neither wait for each other nor for a
    /// writer, so reads and verifications run side by side instead of queueing on `conn`.
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    account_id: String,
    clock: Clock,
    verifier: verify::Verifier,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("path", &self.path).finish()
    }
}

impl Engine {
    /// Opens (creating if needed) the database at `path`. A new file gets the schema, one account
    /// and the `Administrators` and `Developers` policy groups. `tier`, when given, is recorded
    /// on the account; a new account is free otherwise.
    pub fn open(path: &Path, tier: Option<AccountTier>) -> anyhow::Result<Engine> {
        let now = OffsetDateTime::now_utc();
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open the local database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every query of the store is a cached statement: parsing SQL cost more than running it.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Both pragmas must be set outside a transaction; foreign keys carry the cascades.
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::enable_wal(&conn, BUSY_TIMEOUT)
            .with_context(|| format!("cannot use the local database {}", path.display()))?;
        let account_id = schema::prepare(&mut conn, tier, now)
            .with_context(|| format!("cannot prepare the local database {}", path.display()))?;
        let verifier = verify::Verifier::open(path)
            .with_context(|| format!("cannot open the local database {}", path.display()))?;
        Ok(Engine {
            conn: Mutex::new(conn),
            readers: Mutex::default(),
            path: path.to_path_buf(),
            account_id,
            clock: Box::new(OffsetDateTime::now_utc),
            verifier,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn account(&self) -> ApiResult<Account> {
        self.read(|store| store.account())
    }

    pub fn list_policy_groups(&self, query: &ListQuery) -> ApiResult<ListPage<PolicyGroup>> {
        self.read(|store| store.list(&Filter::new(), query))
    }

    /// Every successful change, oldest first.
    pub fn audit_log(&self) -> ApiResult<Vec<AuditEntry>> {
        self.flush()?;
        self.read(|store| store.audit_entries())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-call dropped its transaction, which rolled it back: the connection is sound.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in a read transaction, so a page and its total count see the same data.
    fn read<T>(&self, f: impl FnOnce(&Store) -> ApiResult<T>) -> ApiResult<T> {
        let mut conn = self.reader()?;
        let tx = conn.transaction()?;
        let result = f(&Store::new(&tx, &self.account_id, (self.clock)()));
        tx.finish()?;
        result
    }

    /// A read-only connection of its own for one read: an idle one, or a new one. Every read
    /// starts a new transaction, so it sees every change committed before it (by this process's
    /// writer, the audit writer or another process), whichever connection it gets.
    fn reader(&self) -> rusqlite::Result<Reader<'_>> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        Ok(Reader {
            conn: Some(conn),
            pool: &self.readers,
        })
    }

    /// Runs `f` as one write transaction: committed if it succeeds, rolled back whole otherwise.
    fn write<T>(&self, actor: &Actor, f: impl FnOnce(&Change) -> ApiResult<T>) -> ApiResult<T> {
        // Queued verifications first, so the audit log keeps this engine's order of events.
        self.flush()?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let store = Store::new(&tx, &self.account_id, (self.clock)());
        let value = f(&Change::new(store, actor))?;
        tx.commit()?;
        Ok(value)
    }

    /// Replaces the clock, so tests can move time past an expiration.
    #[cfg(test)]
    fn set_clock(&mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) {
        self.clock = Box::new(clock);
    }
}

/// Opens a read-only connection to the (already prepared, WAL) database at `path`.
fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    // Read-write at the VFS level (a WAL reader may need to write the -shm index after a crash),
    // but `query_only` refuses any statement that would change the database.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A read connection taken from [`Engine::reader`]; back to the idle list when dropped.
struct Reader<'a> {
    conn: Option<Connection>,
    pool: &'a Mutex<Vec<Connection>>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("taken only on drop")
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("taken only on drop")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // Only a connection outside a transaction goes back (a panic mid-read left one open).
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
            // Another process held the write lock past the busy timeout: worth a retry.
            return ApiError::new(
                503,
                "system_unavailable",
                "the local database is busy with another process; try again",
            );
        }
        ApiError::internal(format!("local database error: {error}"))
    }
}

/// A fresh id: 32 lowercase hex characters from the OS random source.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

const SECRET_PREFIX: &str = "ak_";

/// A new access-key secret: `ak_`, the key's own id (so a verifier finds the row by id without
/// scanning), then 64 hex characters of OS randomness.
fn new_secret(key_id: &str) -> Secret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Secret::new(format!("{SECRET_PREFIX}{key_id}{}", hex::encode(bytes)))
}

/// What the database keeps of a secret: its SHA-256, hex. The secret is 256 random bits, so a
/// plain hash cannot be reversed by guessing; a password hash would add nothing but cost.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The access-key id inside a secret of the form [`new_secret`] makes, or `None` if `secret`
/// does not have that form.
pub fn access_key_id_of_secret(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(SECRET_PREFIX)?;
    let id = rest.get(..32)?;
    let random = rest.get(32..)?;
    let well_formed = rules::is_valid_id(id)
        && random.len() == 64
        && random.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(id)
}

/// 400 naming `field` when a `rules::check_*` refuses its value.
fn check_field(field: &str, checked: Result<(), String>) -> ApiResult<()> {
    checked.map_err(|reason| ApiError::validation(field, format!("{field} {reason}")))
}

/// The changes every update body may carry (name, description, status), checked: an empty
/// description clears it.
fn common_changes(
    name: &Option<String>,
    description: &Option<String>,
    status: Option<&'static str>,
) -> ApiResult<Changes> {
    let mut changes = Changes::default();
    if let Some(name) = name {
        check_field("name", rules::check_name(name))?;
        changes.set("name", name.clone());
    }
    if let Some(text) = description {
        check_field("description", rules::check_description(text))?;
        changes.set("description", non_empty(description));
    }
    if let Some(status) = status {
        changes.set("status", status.to_string());
    }
    Ok(changes)
}

/// A status the caller may write: EXPIRED only ever follows from an expiration.
fn check_writable_status(status: Option<KeyStatus>) -> ApiResult<()> {
    if status == Some(KeyStatus::Expired) {
        return Err(ApiError::validation(
            "status",
            "status EXPIRED cannot be written: a key expires by its expiration; write ACTIVE or INACTIVE",
        ));
    }
    Ok(())
}

/// An optional text field as stored: empty means absent.
fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_ref().filter(|text| !text.is_empty()).cloned()
}

/// The id of another object of `T` matching `filter`, other than `except`: the one a unique field
/// would clash with.
fn clashing_id<T: store::Record>(
    store: &Store,
    filter: Filter,
    except: Option<&str>,
) -> ApiResult<Option<String>> {
    let filter = match except {
        Some(id) => filter.clause("id <> ?", [id.to_string().into()]),
        None => filter,
    };
    store.find_id::<T>(&filter)
}

/// A key of `T` addressed under its application: 404 for an unknown application, and for a key
/// that belongs to another one.
fn require_key_of<T: store::Record>(store: &Store, application_id: &str, id: &str) -> ApiResult<T> {
    store.require::<crate::api::Application>(application_id)?;
    let filter = Filter::new()
        .eq("id", id)
        .eq("application_id", application_id);
    store.find(&filter)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "{} {id} not found in application {application_id}",
            T::NOUN
        ))
    })
}

#[cfg(test)]
mod tests;
