//! The database layout, its versioned migrations and the first-open seed.
//!
//! `PRAGMA user_version` holds the number of migrations applied, so a later release appends to
//! [`MIGRATIONS`] and every existing file is brought up to date on open.

use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

use crate::api::AccountTier;
use crate::rules::format_time;

use super::new_id;

/// Migration `n` takes a file from schema version `n` to `n + 1`.
///
/// Every object table has `seq`, an AUTOINCREMENT key that orders lists by creation (never reused,
/// unlike a plain rowid, and never renumbered by VACUUM), beside the public 32-hex `id`. `version`
/// is the row's update counter, published as its `etag`. Times are `rules::format_time` text, so
/// comparing them as strings compares them as instants.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE account (
    id           TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    tier         TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE policy_groups (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE applications (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    status       TEXT NOT NULL,
    last_used_at TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE application_groups (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    group_id       TEXT NOT NULL REFERENCES policy_groups(id),
    PRIMARY KEY (application_id, group_id)
);
CREATE TABLE access_keys (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    description    TEXT,
    status         TEXT NOT NULL,
    expiration     TEXT,
    -- sha256 of the secret, hex; the secret itself is never stored.
    secret_hash    TEXT NOT NULL,
    last_used_at   TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX access_keys_by_application ON access_keys(application_id, seq);
CREATE TABLE verification_keys (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    name           TEXT NOT NULL UNIQUE,
    description    TEXT,
    kid            TEXT,
    certificate    TEXT NOT NULL,
    issuer         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    fingerprint    TEXT NOT NULL UNIQUE,
    expiration     TEXT NOT NULL,
    status         TEXT NOT NULL,
    last_used_at   TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX verification_keys_by_application ON verification_keys(application_id, seq);
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    object         TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    application_id TEXT,
    detail         TEXT NOT NULL
);
"#];

/// The schema version this build writes.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const SEEDED_GROUPS: [&str; 2] = ["Administrators", "Developers"];

/// Brings the file up to [`SCHEMA_VERSION`], seeds the account on first open and records `tier`
/// when given, all in one immediate transaction so two processes opening a new file at once
/// cannot both seed it. Returns the account id.
pub(super) fn prepare(
    conn: &mut Connection,
    tier: Option<AccountTier>,
    now: OffsetDateTime,
) -> anyhow::Result<String> {
    let now = format_time(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        anyhow::bail!(
            "the database has schema version {version}, newer than the {SCHEMA_VERSION} this build knows; use a newer izuma provider"
        );
    }
    for migration in &MIGRATIONS[version as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;

    let existing: Option<String> = tx
        .query_row("SELECT id FROM account", [], |row| row.get(0))
        .optional()?;
    let account_id = match existing {
        Some(id) => id,
        None => {
            let account_id = new_id();
            tx.execute(
                "INSERT INTO account (id, display_name, tier, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                (&account_id, "Local account", tier.unwrap_or_default().as_str(), &now),
            )?;
            for name in SEEDED_GROUPS {
                tx.execute(
                    "INSERT INTO policy_groups (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                    (new_id(), name, &now),
                )?;
            }
            account_id
        }
    };
    if let Some(tier) = tier {
        tx.execute(
            "UPDATE account SET tier = ?1, version = version + 1, updated_at = ?2 WHERE tier <> ?1",
            (tier.as_str(), &now),
        )?;
    }
    tx.commit()?;
    Ok(account_id)
}

/// Switches the file to WAL. On a new file two connections doing this at once can deadlock on
/// the upgrade to an exclusive lock, which SQLite reports as busy without waiting, so retry.
pub(super) fn enable_wal(conn: &Connection, patience: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| {
            row.get::<_, String>(0)
        }) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => anyhow::bail!(
                "SQLite refused the WAL journal (got {mode}); keep the database on a local file system"
            ),
            Err(error)
                if error.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => return Err(error.into()),
        }
    }
}
