//! Rows in, API objects out: the row mappings, the generic get/list/insert/update queries and
//! the audit writer. Business rules live in the object modules; this file knows only tables.

use std::ops::Deref;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};
use time::OffsetDateTime;

use crate::api::{
    AccessKey, Account, AccountTier, ApiError, ApiResult, Application, ApplicationStatus,
    KeyStatus, ListPage, PolicyGroup, VerificationKey,
};
use crate::rules::format_time;

use super::{Actor, AuditEntry, ListQuery};

/// An API object stored in one table.
pub(super) trait Record: Sized {
    const TABLE: &'static str;
    /// The wire `object` value, also the audit log's object kind.
    const OBJECT: &'static str;
    /// How messages name the object: `access key 0123... not found`.
    const NOUN: &'static str;
    /// The select list read by [`Record::from_row`].
    const COLUMNS: &'static str;
    fn from_row(row: &Row, store: &Store) -> rusqlite::Result<Self>;
}

/// Rows of one table matching all clauses. Column names are constants of this module's callers,
/// never input; values always travel as parameters.
#[derive(Clone, Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Filter {
    pub fn new() -> Self {
        Filter::default()
    }
    pub fn eq(self, column: &str, value: &str) -> Self {
        self.clause(format!("{column} = ?"), [Value::from(value.to_string())])
    }
    /// A clause with one `?` per parameter, in order.
    pub fn clause(
        mut self,
        clause: impl Into<String>,
        params: impl IntoIterator<Item = Value>,
    ) -> Self {
        self.clauses.push(clause.into());
        self.params.extend(params);
        self
    }
    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The columns an update sets; also names them for the audit log.
#[derive(Default)]
pub(super) struct Changes {
    columns: Vec<(&'static str, Value)>,
}

impl Changes {
    pub fn set(&mut self, column: &'static str, value: impl Into<Value>) {
        self.columns.push((column, value.into()));
    }
    /// `changed name, status` for the audit log (values are left out on purpose).
    pub fn describe(&self) -> String {
        if self.columns.is_empty() {
            return "no field changed".into();
        }
        let names: Vec<&str> = self.columns.iter().map(|(column, _)| *column).collect();
        format!("changed {}", names.join(", "))
    }
}

/// One open transaction, read-only or not, with the account and the time of the call.
pub(super) struct Store<'a> {
    conn: &'a Connection,
    account_id: &'a str,
    now: OffsetDateTime,
    now_text: String,
}

impl<'a> Store<'a> {
    pub fn new(conn: &'a Connection, account_id: &'a str, now: OffsetDateTime) -> Self {
        Store {
            conn,
            account_id,
            now,
            now_text: format_time(now),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.now
    }
    /// The time of the call as stored text, for comparing with stored times.
    pub fn now_text(&self) -> &str {
        &self.now_text
    }

    pub fn get<T: Record>(&self, id: &str) -> ApiResult<Option<T>> {
        self.find(&Filter::new().eq("id", id))
    }

    /// The object with `id`, or 404 naming it.
    pub fn require<T: Record>(&self, id: &str) -> ApiResult<T> {
        self.get(id)?
            .ok_or_else(|| ApiError::not_found(format!("{} {id} not found", T::NOUN)))
    }

    /// The first row matching `filter`, in creation order.
    pub fn find<T: Record>(&self, filter: &Filter) -> ApiResult<Option<T>> {
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY seq LIMIT 1",
            T::COLUMNS,
            T::TABLE,
            filter.where_sql()
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(&filter.params), |row| {
                T::from_row(row, self)
            })
            .optional()?)
    }

    /// The id of the first row matching `filter`, in creation order.
    pub fn find_id<T: Record>(&self, filter: &Filter) -> ApiResult<Option<String>> {
        let sql = format!(
            "SELECT id FROM {}{} ORDER BY seq LIMIT 1",
            T::TABLE,
            filter.where_sql()
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(&filter.params), |row| row.get(0))
            .optional()?)
    }

    /// The ids of the rows matching `filter`, in creation order.
    pub fn ids<T: Record>(&self, filter: &Filter) -> ApiResult<Vec<String>> {
        let sql = format!(
            "SELECT id FROM {}{} ORDER BY seq",
            T::TABLE,
            filter.where_sql()
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let ids = statement
            .query_map(params_from_iter(&filter.params), |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Whether `sql` yields a row.
    pub fn exists(&self, sql: &str, params: impl rusqlite::Params) -> ApiResult<bool> {
        Ok(self.conn.prepare_cached(sql)?.exists(params)?)
    }

    pub fn count<T: Record>(&self, filter: &Filter) -> ApiResult<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}{}", T::TABLE, filter.where_sql());
        let count: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(&filter.params), |row| row.get(0))?;
        Ok(count as u64)
    }

    /// One page of the rows matching `filter`, in creation order.
    pub fn list<T: Record>(&self, filter: &Filter, query: &ListQuery) -> ApiResult<ListPage<T>> {
        query.check()?;
        let mut page_filter = filter.clone();
        if let Some(after) = &query.after {
            let seq: i64 = self
                .conn
                .prepare_cached(&format!("SELECT seq FROM {} WHERE id = ?", T::TABLE))?
                .query_row([after], |row| row.get(0))
                .optional()?
                .ok_or_else(|| {
                    ApiError::validation(
                        "after",
                        format!(
                            "after {after:?} is not the id of any {} to continue after",
                            T::NOUN
                        ),
                    )
                })?;
            let comparison = if query.order.is_desc() {
                "seq < ?"
            } else {
                "seq > ?"
            };
            page_filter = page_filter.clause(comparison, [Value::from(seq)]);
        }
        // One row more than the page tells whether another page follows.
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY seq {} LIMIT {}",
            T::COLUMNS,
            T::TABLE,
            page_filter.where_sql(),
            query.order.as_str(),
            query.limit + 1
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut data = statement
            .query_map(params_from_iter(&page_filter.params), |row| {
                T::from_row(row, self)
            })?
            .collect::<rusqlite::Result<Vec<T>>>()?;
        let has_more = data.len() > query.limit as usize;
        data.truncate(query.limit as usize);
        let total_count = if query.include_total {
            Some(self.count::<T>(filter)?)
        } else {
            None
        };
        Ok(ListPage {
            object: "list".into(),
            data,
            has_more,
            limit: query.limit,
            after: query.after.clone(),
            order: query.order.as_str().into(),
            total_count,
        })
    }

    pub fn execute(&self, sql: &str, params: impl rusqlite::Params) -> ApiResult<usize> {
        Ok(self.conn.prepare_cached(sql)?.execute(params)?)
    }

    /// Inserts a row with `columns` plus its creation and update times.
    pub fn insert(&self, table: &str, mut columns: Vec<(&'static str, Value)>) -> ApiResult<()> {
        columns.push(("created_at", self.now_text.clone().into()));
        columns.push(("updated_at", self.now_text.clone().into()));
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        );
        self.conn
            .execute(&sql, params_from_iter(columns.into_iter().map(|(_, v)| v)))?;
        Ok(())
    }

    /// Applies `changes` to the object `id` and bumps its version (etag) and update time, even
    /// when nothing changed: every successful update is a new version.
    pub fn update<T: Record>(&self, id: &str, changes: &Changes) -> ApiResult<()> {
        let mut sets: Vec<String> = changes
            .columns
            .iter()
            .map(|(column, _)| format!("{column} = ?"))
            .collect();
        sets.push("version = version + 1".into());
        sets.push("updated_at = ?".into());
        let sql = format!("UPDATE {} SET {} WHERE id = ?", T::TABLE, sets.join(", "));
        let params = changes
            .columns
            .iter()
            .map(|(_, value)| value.clone())
            .chain([
                Value::from(self.now_text.clone()),
                Value::from(id.to_string()),
            ]);
        self.conn.execute(&sql, params_from_iter(params))?;
        Ok(())
    }

    /// Marks the object `id` as changed without changing a column of its own (its groups).
    pub fn touch<T: Record>(&self, id: &str) -> ApiResult<()> {
        self.update::<T>(id, &Changes::default())
    }

    pub fn delete<T: Record>(&self, id: &str) -> ApiResult<()> {
        self.conn
            .execute(&format!("DELETE FROM {} WHERE id = ?", T::TABLE), [id])?;
        Ok(())
    }

    pub fn account(&self) -> ApiResult<Account> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, display_name, tier, version, created_at, updated_at FROM account",
            )?
            .query_row([], |row| {
                Ok(Account {
                    object: "account".into(),
                    id: row.get("id")?,
                    display_name: row.get("display_name")?,
                    tier: Some(parse_column(row, "tier", AccountTier::parse)?),
                    etag: etag(row)?,
                    created_at: row.get("created_at")?,
                    updated_at: row.get("updated_at")?,
                })
            })?)
    }

    pub fn audit_entries(&self) -> ApiResult<Vec<AuditEntry>> {
        let mut statement = self.conn.prepare(
            "SELECT seq, at, actor, action, object, object_id, application_id, detail FROM audit_log ORDER BY seq",
        )?;
        let entries = statement
            .query_map([], |row| {
                Ok(AuditEntry {
                    seq: row.get("seq")?,
                    at: row.get("at")?,
                    actor: row.get("actor")?,
                    action: row.get("action")?,
                    object: row.get("object")?,
                    object_id: row.get("object_id")?,
                    application_id: row.get("application_id")?,
                    detail: row.get("detail")?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(entries)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AuditAction {
    Create,
    Update,
    Delete,
}

impl AuditAction {
    fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
        }
    }
}

/// The audit log's object kind for a change of an application's groups.
pub(super) const GROUP_MEMBERSHIP: &str = "group-membership";

/// A write transaction: a [`Store`] that also knows who is changing things, for the audit log.
pub(super) struct Change<'a> {
    store: Store<'a>,
    actor: &'a Actor,
}

impl<'a> Change<'a> {
    pub fn new(store: Store<'a>, actor: &'a Actor) -> Self {
        Change { store, actor }
    }

    /// Appends to the audit log, in the same transaction as the change it records. `detail` must
    /// never hold a secret.
    pub fn audit(
        &self,
        action: AuditAction,
        object: &str,
        object_id: &str,
        application_id: Option<&str>,
        detail: &str,
    ) -> ApiResult<()> {
        self.store.execute(
            "INSERT INTO audit_log (at, actor, action, object, object_id, application_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self.store.now_text(),
                self.actor.label(),
                action.as_str(),
                object,
                object_id,
                application_id,
                detail,
            ),
        )?;
        Ok(())
    }
}

impl<'a> Deref for Change<'a> {
    type Target = Store<'a>;
    fn deref(&self) -> &Store<'a> {
        &self.store
    }
}

fn etag(row: &Row) -> rusqlite::Result<String> {
    Ok(row.get::<_, i64>("version")?.to_string())
}

/// Reads a text column through a parser, failing the row (not panicking) on a stray value.
fn parse_column<T>(row: &Row, column: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unexpected {column} {text:?} in the database").into(),
        )
    })
}

/// Whether a stored expiration has passed at `now_text`. Both are `format_time` text, so string
/// order is time order; the SQL of [`status_filter`] compares the same way.
fn has_expired(expiration: &str, now_text: &str) -> bool {
    expiration <= now_text
}

/// A key's status as read: the stored one, or EXPIRED once its expiration has passed.
fn key_status(row: &Row, store: &Store) -> rusqlite::Result<KeyStatus> {
    let expiration: Option<String> = row.get("expiration")?;
    if expiration.is_some_and(|at| has_expired(&at, store.now_text())) {
        return Ok(KeyStatus::Expired);
    }
    parse_column(row, "status", KeyStatus::parse)
}

/// Keys whose status, as [`key_status`] derives it, is `status`.
pub(super) fn status_filter(filter: Filter, status: KeyStatus, now_text: &str) -> Filter {
    let now = Value::from(now_text.to_string());
    match status {
        KeyStatus::Expired => filter.clause("(expiration IS NOT NULL AND expiration <= ?)", [now]),
        KeyStatus::Active | KeyStatus::Inactive => filter
            .eq("status", status.as_str())
            .clause("(expiration IS NULL OR expiration > ?)", [now]),
    }
}

impl Record for PolicyGroup {
    const TABLE: &'static str = "policy_groups";
    const OBJECT: &'static str = "policy-group";
    const NOUN: &'static str = "policy group";
    const COLUMNS: &'static str = "id, name, description, version, created_at, updated_at";
    fn from_row(row: &Row, store: &Store) -> rusqlite::Result<Self> {
        Ok(PolicyGroup {
            object: Self::OBJECT.into(),
            id: row.get("id")?,
            account_id: store.account_id.into(),
            name: row.get("name")?,
            description: row.get("description")?,
            etag: etag(row)?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

impl Record for Application {
    const TABLE: &'static str = "applications";
    const OBJECT: &'static str = "application";
    const NOUN: &'static str = "application";
    const COLUMNS: &'static str = "id, name, description, status, last_used_at, version, created_at, updated_at, \
         (SELECT group_concat(group_id) FROM application_groups WHERE application_id = applications.id) AS group_ids";
    fn from_row(row: &Row, store: &Store) -> rusqlite::Result<Self> {
        let group_ids: Option<String> = row.get("group_ids")?;
        let mut groups: Vec<String> = group_ids
            .map(|ids| ids.split(',').map(String::from).collect())
            .unwrap_or_default();
        groups.sort();
        Ok(Application {
            object: Self::OBJECT.into(),
            id: row.get("id")?,
            account_id: store.account_id.into(),
            name: row.get("name")?,
            description: row.get("description")?,
            groups,
            status: parse_column(row, "status", ApplicationStatus::parse)?,
            last_used_at: row.get("last_used_at")?,
            etag: etag(row)?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

impl Record for AccessKey {
    const TABLE: &'static str = "access_keys";
    const OBJECT: &'static str = "access-key";
    const NOUN: &'static str = "access key";
    const COLUMNS: &'static str = "id, application_id, name, description, status, expiration, last_used_at, version, created_at, updated_at";
    fn from_row(row: &Row, store: &Store) -> rusqlite::Result<Self> {
        Ok(AccessKey {
            object: Self::OBJECT.into(),
            id: row.get("id")?,
            account_id: store.account_id.into(),
            application_id: row.get("application_id")?,
            name: row.get("name")?,
            description: row.get("description")?,
            status: key_status(row, store)?,
            expiration: row.get("expiration")?,
            last_used_at: row.get("last_used_at")?,
            key: None,
            etag: etag(row)?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

impl Record for VerificationKey {
    const TABLE: &'static str = "verification_keys";
    const OBJECT: &'static str = "verification-key";
    const NOUN: &'static str = "verification key";
    const COLUMNS: &'static str = "id, application_id, name, description, kid, certificate, issuer, subject, fingerprint, expiration, status, last_used_at, version, created_at, updated_at";
    fn from_row(row: &Row, store: &Store) -> rusqlite::Result<Self> {
        Ok(VerificationKey {
            object: Self::OBJECT.into(),
            id: row.get("id")?,
            account_id: store.account_id.into(),
            application_id: row.get("application_id")?,
            name: row.get("name")?,
            description: row.get("description")?,
            kid: row.get("kid")?,
            certificate: row.get("certificate")?,
            issuer: row.get("issuer")?,
            subject: row.get("subject")?,
            fingerprint: row.get("fingerprint")?,
            expiration: row.get("expiration")?,
            status: key_status(row, store)?,
            last_used_at: row.get("last_used_at")?,
            etag: etag(row)?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}
