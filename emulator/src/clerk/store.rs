//! The Clerk role's tables: users with their email addresses, sessions, and
//! one-time sign-in tickets. Plain functions over a [`rusqlite::Connection`];
//! callers run them through [`crate::db::Db::call`].

use rand::Rng as _;
use rusqlite::{params, Connection, OptionalExtension as _, Row, Transaction};

/// How long a session lives before it expires, as Clerk's default (7 days).
pub const SESSION_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long a sign-in ticket from the `/sign-in` page can be redeemed.
pub const TICKET_LIFETIME_MS: i64 = 2 * 60 * 1000;

/// Ordered schema migrations; each runs once, in a transaction.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE clerk_users (
    id              TEXT PRIMARY KEY,
    first_name      TEXT,
    last_name       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);
CREATE TABLE clerk_email_addresses (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES clerk_users(id) ON DELETE CASCADE,
    email_address TEXT NOT NULL UNIQUE COLLATE NOCASE,
    position      INTEGER NOT NULL
);
CREATE INDEX clerk_email_addresses_user ON clerk_email_addresses(user_id, position);
CREATE TABLE clerk_sessions (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES clerk_users(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    origin         TEXT,
    secret_hash    TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL,
    expire_at      INTEGER NOT NULL
);
CREATE INDEX clerk_sessions_user ON clerk_sessions(user_id);
CREATE TABLE clerk_sign_in_tickets (
    ticket_hash TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES clerk_sessions(id) ON DELETE CASCADE,
    origin      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
"#];

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An email address already belongs to a user.
    #[error("the email address {0} is taken")]
    EmailTaken(String),
    /// No user has this id.
    #[error("no user has the id {0}")]
    UserNotFound(String),
    /// No session has this id.
    #[error("no session has the id {0}")]
    SessionNotFound(String),
}

/// Result alias for this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One email address of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    /// `idn_…`
    pub id: String,
    /// Lower-cased address.
    pub email_address: String,
}

/// A user with its email addresses, primary first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `user_…`
    pub id: String,
    /// Given name, if any.
    pub first_name: Option<String>,
    /// Family name, if any.
    pub last_name: Option<String>,
    /// Primary first.
    pub email_addresses: Vec<EmailAddress>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Unix ms of the last session created for this user.
    pub last_sign_in_at: Option<i64>,
}

impl User {
    /// The primary email address, if the user has one.
    pub fn primary_email(&self) -> Option<&EmailAddress> {
        self.email_addresses.first()
    }

    /// "First Last", or whichever part exists.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// A Clerk session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `sess_…`
    pub id: String,
    /// `client_…`
    pub client_id: String,
    /// The session's user.
    pub user_id: String,
    /// `active`, `revoked`, `ended` or `expired` (computed from `expire_at`).
    pub status: String,
    /// The app origin a browser session belongs to; `None` for sessions made
    /// through the Backend API.
    pub origin: Option<String>,
    /// sha256 (hex) of the browser's per-session secret, once one was issued.
    pub secret_hash: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Unix ms.
    pub last_active_at: i64,
    /// Unix ms.
    pub expire_at: i64,
}

impl Session {
    /// Whether the session can still mint tokens.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// Creates the tables, or brings them up to date.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS clerk_migrations (version INTEGER PRIMARY KEY)",
    )?;
    let applied: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM clerk_migrations",
        [],
        |row| row.get(0),
    )?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= applied {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO clerk_migrations (version) VALUES (?1)",
            [version],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// A Clerk-style id: the prefix and 27 random alphanumerics.
pub fn new_id(prefix: &str) -> String {
    let suffix: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(27)
        .map(char::from)
        .collect();
    format!("{prefix}_{suffix}")
}

/// Creates a user with `emails` (already normalized, primary first).
pub fn create_user(
    conn: &mut Connection,
    emails: &[String],
    first_name: Option<&str>,
    last_name: Option<&str>,
    now: i64,
) -> Result<User> {
    let tx = conn.transaction()?;
    let user = insert_user(&tx, emails, first_name, last_name, now)?;
    tx.commit()?;
    Ok(user)
}

fn insert_user(
    tx: &Transaction<'_>,
    emails: &[String],
    first_name: Option<&str>,
    last_name: Option<&str>,
    now: i64,
) -> Result<User> {
    for email in emails {
        if find_user_id_by_email(tx, email)?.is_some() {
            return Err(StoreError::EmailTaken(email.clone()));
        }
    }
    let id = new_id("user");
    tx.execute(
        "INSERT INTO clerk_users (id, first_name, last_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id, first_name, last_name, now],
    )?;
    for (position, email) in emails.iter().enumerate() {
        tx.execute(
            "INSERT INTO clerk_email_addresses (id, user_id, email_address, position)
             VALUES (?1, ?2, ?3, ?4)",
            params![new_id("idn"), id, email, position as i64],
        )?;
    }
    load_user(tx, &id)?.ok_or(StoreError::UserNotFound(id))
}

/// The user owning `email`, or a new one with that email and the given names.
pub fn find_or_create_user_by_email(
    conn: &mut Connection,
    email: &str,
    first_name: Option<&str>,
    last_name: Option<&str>,
    now: i64,
) -> Result<User> {
    let tx = conn.transaction()?;
    let user = match find_user_id_by_email(&tx, email)? {
        Some(id) => load_user(&tx, &id)?.ok_or(StoreError::UserNotFound(id))?,
        None => insert_user(&tx, &[email.to_owned()], first_name, last_name, now)?,
    };
    tx.commit()?;
    Ok(user)
}

fn find_user_id_by_email(conn: &Connection, email: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM clerk_email_addresses WHERE email_address = ?1",
            [email],
            |row| row.get(0),
        )
        .optional()?)
}

/// The user with this id.
pub fn get_user(conn: &Connection, id: &str) -> Result<Option<User>> {
    load_user(conn, id)
}

fn load_user(conn: &Connection, id: &str) -> Result<Option<User>> {
    let user = conn
        .query_row(
            "SELECT id, first_name, last_name, created_at, updated_at, last_sign_in_at
             FROM clerk_users WHERE id = ?1",
            [id],
            |row| {
                Ok(User {
                    id: row.get(0)?,
                    first_name: row.get(1)?,
                    last_name: row.get(2)?,
                    email_addresses: Vec::new(),
                    created_at: row.get(3)?,
                    updated_at: row.get(4)?,
                    last_sign_in_at: row.get(5)?,
                })
            },
        )
        .optional()?;
    let Some(mut user) = user else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT id, email_address FROM clerk_email_addresses
         WHERE user_id = ?1 ORDER BY position",
    )?;
    user.email_addresses = statement
        .query_map([id], |row| {
            Ok(EmailAddress {
                id: row.get(0)?,
                email_address: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(user))
}

/// Users newest first; when `emails` is not empty, only users owning one of
/// them.
pub fn list_users(
    conn: &Connection,
    emails: &[String],
    limit: i64,
    offset: i64,
) -> Result<Vec<User>> {
    let ids: Vec<String> = if emails.is_empty() {
        let mut statement = conn.prepare_cached(
            "SELECT id FROM clerk_users ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2",
        )?;
        let ids = statement
            .query_map(params![limit, offset], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids
    } else {
        // One query per address keeps the SQL static; lists are short.
        let mut found: Vec<(i64, String)> = Vec::new();
        for email in emails {
            if let Some(id) = find_user_id_by_email(conn, email)? {
                if !found.iter().any(|(_, known)| *known == id) {
                    let created: i64 = conn.query_row(
                        "SELECT created_at FROM clerk_users WHERE id = ?1",
                        [&id],
                        |row| row.get(0),
                    )?;
                    found.push((created, id));
                }
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|(_, id)| id)
            .collect()
    };
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = load_user(conn, &id)? {
            users.push(user);
        }
    }
    Ok(users)
}

/// How many users there are; when `emails` is not empty, how many own one of
/// them.
pub fn count_users(conn: &Connection, emails: &[String]) -> Result<i64> {
    if emails.is_empty() {
        return Ok(conn.query_row("SELECT COUNT(*) FROM clerk_users", [], |row| row.get(0))?);
    }
    let mut owners: Vec<String> = Vec::new();
    for email in emails {
        if let Some(id) = find_user_id_by_email(conn, email)? {
            if !owners.contains(&id) {
                owners.push(id);
            }
        }
    }
    Ok(owners.len() as i64)
}

/// Starts an active session for `user_id`.
pub fn create_session(
    conn: &mut Connection,
    user_id: &str,
    origin: Option<&str>,
    secret_hash: Option<&str>,
    now: i64,
) -> Result<Session> {
    let tx = conn.transaction()?;
    let updated = tx.execute(
        "UPDATE clerk_users SET last_sign_in_at = ?2 WHERE id = ?1",
        params![user_id, now],
    )?;
    if updated == 0 {
        return Err(StoreError::UserNotFound(user_id.to_owned()));
    }
    let id = new_id("sess");
    tx.execute(
        "INSERT INTO clerk_sessions (id, client_id, user_id, status, origin, secret_hash,
                                     created_at, updated_at, last_active_at, expire_at)
         VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?6, ?6, ?7)",
        params![
            id,
            new_id("client"),
            user_id,
            origin,
            secret_hash,
            now,
            now + SESSION_LIFETIME_MS
        ],
    )?;
    let session = load_session(&tx, &id, now)?.ok_or(StoreError::SessionNotFound(id))?;
    tx.commit()?;
    Ok(session)
}

const SESSION_COLUMNS: &str = "id, client_id, user_id, status, origin, secret_hash,
     created_at, updated_at, last_active_at, expire_at";

fn session_from_row(row: &Row<'_>, now: i64) -> rusqlite::Result<Session> {
    let mut session = Session {
        id: row.get(0)?,
        client_id: row.get(1)?,
        user_id: row.get(2)?,
        status: row.get(3)?,
        origin: row.get(4)?,
        secret_hash: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        last_active_at: row.get(8)?,
        expire_at: row.get(9)?,
    };
    if session.status == "active" && session.expire_at <= now {
        session.status = "expired".to_owned();
    }
    Ok(session)
}

fn load_session(conn: &Connection, id: &str, now: i64) -> Result<Option<Session>> {
    Ok(conn
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM clerk_sessions WHERE id = ?1"),
            [id],
            |row| session_from_row(row, now),
        )
        .optional()?)
}

/// The session with this id (status `expired` once past `expire_at`).
pub fn get_session(conn: &Connection, id: &str, now: i64) -> Result<Option<Session>> {
    load_session(conn, id, now)
}

/// Sessions newest first, optionally of one user and with one status.
pub fn list_sessions(
    conn: &Connection,
    user_id: Option<&str>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
    now: i64,
) -> Result<Vec<Session>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM clerk_sessions
         WHERE (?1 IS NULL OR user_id = ?1)
         ORDER BY created_at DESC, id"
    ))?;
    let sessions = statement
        .query_map(params![user_id], |row| session_from_row(row, now))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(sessions
        .into_iter()
        .filter(|s| status.is_none_or(|wanted| s.status == wanted))
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// Moves an active session to `new_status` (`revoked` or `ended`); a session
/// that is no longer active keeps its status. Returns the session as it is
/// afterwards.
pub fn finish_session(
    conn: &mut Connection,
    id: &str,
    new_status: &str,
    now: i64,
) -> Result<Session> {
    let tx = conn.transaction()?;
    let session =
        load_session(&tx, id, now)?.ok_or_else(|| StoreError::SessionNotFound(id.to_owned()))?;
    if session.is_active() {
        tx.execute(
            "UPDATE clerk_sessions SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, new_status, now],
        )?;
    }
    let session =
        load_session(&tx, id, now)?.ok_or_else(|| StoreError::SessionNotFound(id.to_owned()))?;
    tx.commit()?;
    Ok(session)
}

/// Records that a token was minted for a session, if the session is still
/// active, and returns it as it is afterwards: the caller hands the token
/// out only if it is active. Check and update are one statement, so a
/// revoke that commits first is always seen, and a revoked session is
/// never marked active after its revoke.
pub fn touch_active_session(conn: &mut Connection, id: &str, now: i64) -> Result<Session> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE clerk_sessions SET last_active_at = ?2, updated_at = ?2
         WHERE id = ?1 AND status = 'active' AND expire_at > ?2",
        params![id, now],
    )?;
    let session =
        load_session(&tx, id, now)?.ok_or_else(|| StoreError::SessionNotFound(id.to_owned()))?;
    tx.commit()?;
    Ok(session)
}

/// Stores a one-time ticket (by its hash) that hands `session_id` to `origin`.
pub fn create_ticket(
    conn: &Connection,
    ticket_hash: &str,
    session_id: &str,
    origin: &str,
    now: i64,
) -> Result<()> {
    // Drop expired tickets now and then so the table stays small.
    conn.execute(
        "DELETE FROM clerk_sign_in_tickets WHERE expires_at <= ?1",
        [now],
    )?;
    conn.execute(
        "INSERT INTO clerk_sign_in_tickets (ticket_hash, session_id, origin, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![ticket_hash, session_id, origin, now + TICKET_LIFETIME_MS],
    )?;
    Ok(())
}

/// Redeems a ticket once: if it exists, is unexpired, was issued for
/// `origin`, and its session is active with no browser secret yet, the
/// session gets `secret_hash` and is returned. Any ticket presented is used
/// up, whatever the outcome.
pub fn redeem_ticket(
    conn: &mut Connection,
    ticket_hash: &str,
    origin: &str,
    secret_hash: &str,
    now: i64,
) -> Result<Option<Session>> {
    let tx = conn.transaction()?;
    let ticket: Option<(String, String, i64)> = tx
        .query_row(
            "DELETE FROM clerk_sign_in_tickets WHERE ticket_hash = ?1
             RETURNING session_id, origin, expires_at",
            [ticket_hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let result = match ticket {
        Some((session_id, ticket_origin, expires_at))
            if ticket_origin == origin && expires_at > now =>
        {
            let updated = tx.execute(
                "UPDATE clerk_sessions SET secret_hash = ?2, updated_at = ?3
                 WHERE id = ?1 AND status = 'active' AND secret_hash IS NULL AND expire_at > ?3",
                params![session_id, secret_hash, now],
            )?;
            if updated == 1 {
                load_session(&tx, &session_id, now)?
            } else {
                None
            }
        }
        _ => None,
    };
    tx.commit()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrate(&mut conn).unwrap();
        // A second run is a no-op.
        migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn email_addresses_are_unique_across_users() {
        let mut conn = db();
        let user = create_user(&mut conn, &["a@example.com".into()], Some("A"), None, 1).unwrap();
        assert_eq!(user.primary_email().unwrap().email_address, "a@example.com");
        let err = create_user(&mut conn, &["A@example.com".into()], None, None, 2).unwrap_err();
        assert!(matches!(err, StoreError::EmailTaken(_)), "{err}");
        let same = find_or_create_user_by_email(&mut conn, "a@example.com", None, None, 3).unwrap();
        assert_eq!(same.id, user.id);
        assert_eq!(list_users(&conn, &[], 10, 0).unwrap().len(), 1);
    }

    #[test]
    fn sessions_expire_and_finish_once() {
        let mut conn = db();
        let user = create_user(&mut conn, &["b@example.com".into()], None, None, 1).unwrap();
        let session = create_session(&mut conn, &user.id, None, None, 10).unwrap();
        assert!(session.is_active());
        let later = 10 + SESSION_LIFETIME_MS;
        assert_eq!(
            get_session(&conn, &session.id, later)
                .unwrap()
                .unwrap()
                .status,
            "expired"
        );
        let revoked = finish_session(&mut conn, &session.id, "revoked", 20).unwrap();
        assert_eq!(revoked.status, "revoked");
        let again = finish_session(&mut conn, &session.id, "ended", 30).unwrap();
        assert_eq!(again.status, "revoked");
        // A revoked session is not touched any more.
        let touched = touch_active_session(&mut conn, &session.id, 40).unwrap();
        assert_eq!(
            (touched.status.as_str(), touched.last_active_at),
            ("revoked", 10)
        );
        assert!(matches!(
            create_session(&mut conn, "user_missing", None, None, 1),
            Err(StoreError::UserNotFound(_))
        ));
    }

    #[test]
    fn tickets_are_single_use_and_bound_to_their_origin() {
        let mut conn = db();
        let user = create_user(&mut conn, &["c@example.com".into()], None, None, 1).unwrap();
        let origin = "http://127.0.0.1:3000";
        let session = create_session(&mut conn, &user.id, Some(origin), None, 10).unwrap();
        create_ticket(&conn, "t1", &session.id, origin, 10).unwrap();
        assert!(
            redeem_ticket(&mut conn, "t1", "http://127.0.0.1:4000", "h", 11)
                .unwrap()
                .is_none()
        );
        // The wrong-origin attempt used the ticket up.
        assert!(redeem_ticket(&mut conn, "t1", origin, "h", 11)
            .unwrap()
            .is_none());

        create_ticket(&conn, "t2", &session.id, origin, 10).unwrap();
        let redeemed = redeem_ticket(&mut conn, "t2", origin, "h", 11)
            .unwrap()
            .unwrap();
        assert_eq!(redeemed.secret_hash.as_deref(), Some("h"));
        create_ticket(&conn, "t3", &session.id, origin, 10).unwrap();
        assert!(
            redeem_ticket(&mut conn, "t3", origin, "h2", 11)
                .unwrap()
                .is_none(),
            "a session's secret is issued only once"
        );
        create_ticket(&conn, "t4", &session.id, origin, 10).unwrap();
        assert!(
            redeem_ticket(&mut conn, "t4", origin, "h", 10 + TICKET_LIFETIME_MS)
                .unwrap()
                .is_none()
        );
    }
}
