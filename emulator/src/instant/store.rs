//! The Instant role's tables: app users, their links to Clerk users, and
//! refresh tokens, which are stored only as sha256 hashes.
//!
//! One user per (app, email): a UNIQUE constraint, and each sign-in (find,
//! create, link, issue) runs inside a `BEGIN IMMEDIATE` transaction, one
//! sign-in after another, so any number of concurrent first sign-ins for one
//! email create exactly one user. Concurrent sign-ins share a commit.
//! Committed transactions are in the WAL file before the response is sent,
//! so an acknowledged sign-in survives the process being killed.

use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::db::Db;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The email belongs to one user and the Clerk user is linked to another.
    #[error(
        "the email {email} belongs to Instant user {by_email}, but Clerk user {sub} is \
         linked to Instant user {by_link}; delete one of them (DELETE /admin/users) to \
         resolve the conflict"
    )]
    Conflict {
        /// The token's email.
        email: String,
        /// The token's sub.
        sub: String,
        /// The user found by email.
        by_email: Uuid,
        /// The user found by the link.
        by_link: Uuid,
    },
    /// The refresh token sent with a sign-in names no session of the app:
    /// signed out, its user deleted, or never issued.
    #[error("the refresh token sent with the sign-in names no session of this app")]
    UnknownRefreshToken,
    /// The transaction holding a batch of sign-ins could not be committed.
    #[error("cannot commit the sign-in: {0}")]
    Commit(String),
    /// The task committing sign-ins is gone (the role is shutting down).
    #[error("the sign-in store is shutting down")]
    Stopped,
    /// Writing the batch this sign-in was in panicked; the batch was rolled
    /// back and later sign-ins are written as usual.
    #[error(
        "the sign-in failed inside the emulator (it panicked: {0}); this is a bug in the \
         emulator, and later sign-ins are not affected"
    )]
    Panicked(String),
    /// A stored value is not what this module wrote.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An app user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// App id.
    pub app_id: Uuid,
    /// Lower-case email. Every sign-in carries one (Instant refuses tokens
    /// without), so users created now always have it; `None` only for a
    /// user an older emulator created from a token without one.
    pub email: Option<String>,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

/// What a sign-in needs from a verified token.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The app.
    pub app_id: Uuid,
    /// The Clerk instance (the discovery issuer).
    pub issuer: String,
    /// The Clerk user id.
    pub sub: String,
    /// The token's email, lower-cased (Instant requires one).
    pub email: String,
    /// A refresh token sent with the sign-in, reused if it is the user's.
    pub refresh_token: Option<Uuid>,
}

/// The outcome of a sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The refresh token to hand back (new, or the one sent).
    pub refresh_token: Uuid,
    /// Whether the user was created by this sign-in.
    pub created: bool,
}

/// The Instant role's storage.
#[derive(Clone)]
pub struct Store {
    db: Db,
    sign_ins: tokio::sync::mpsc::UnboundedSender<Pending>,
}

/// A sign-in waiting for the next batch, with where to send its outcome.
type Pending = (SignIn, tokio::sync::oneshot::Sender<Result<SignedIn>>);

/// Writes one sign-in inside the batch's transaction ([`sign_in_tx`]; tests
/// put in one that panics).
type SignInFn = fn(&Connection, &SignIn) -> Result<SignedIn>;

/// Most sign-ins committed together.
const MAX_BATCH: usize = 256;

/// Each table is keyed by what it is looked up by, WITHOUT ROWID, so that a
/// sign-in writes one B-tree page per table it touches: the write path (and
/// the WAL it fills) is most of an exchange's cost. Links and refresh tokens
/// have no index on `user_id`: only deleting a user needs one, and that
/// admin call can afford a scan at an emulator's scale.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS instant_users (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    email       TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (app_id, email)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS instant_user_links (
    app_id   TEXT NOT NULL,
    issuer   TEXT NOT NULL,
    sub      TEXT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES instant_users(id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, issuer, sub)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS instant_refresh_tokens (
    token_sha256  BLOB PRIMARY KEY,
    app_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES instant_users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL
) WITHOUT ROWID;
";

const USER_COLUMNS: &str = "u.id, u.app_id, u.email, u.created_at";

/// sha256 of the token's hyphenated lower-case form: the only thing stored.
fn token_hash(token: Uuid) -> [u8; 32] {
    Sha256::digest(token.as_hyphenated().to_string().as_bytes()).into()
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

fn parse_uuid(table: &'static str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt {
        table,
        detail: format!("{text:?} is not a uuid"),
    })
}

fn read_user(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, Option<String>, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn to_user(raw: (String, String, Option<String>, String)) -> Result<User> {
    Ok(User {
        id: parse_uuid("instant_users", &raw.0)?,
        app_id: parse_uuid("instant_users", &raw.1)?,
        email: raw.2,
        created_at: raw.3,
    })
}

fn user_where(
    conn: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM instant_users u WHERE {condition}");
    conn.prepare_cached(&sql)?
        .query_row(args, read_user)
        .optional()?
        .map(to_user)
        .transpose()
}

impl Store {
    /// A store over the shared database. Call within a Tokio runtime: it
    /// starts the task that commits sign-ins.
    pub fn new(db: Db) -> Self {
        Self::with_sign_in(db, sign_in_tx)
    }

    fn with_sign_in(db: Db, sign_in: SignInFn) -> Self {
        let (sign_ins, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(commit_sign_ins(db.clone(), queue, sign_in));
        Self { db, sign_ins }
    }

    /// Creates the tables if needed.
    pub async fn migrate(&self) -> rusqlite::Result<()> {
        self.db.call(|conn| conn.execute_batch(SCHEMA)).await
    }

    /// Finds the user by email or by the Clerk link, or creates one; links
    /// the sub; issues a refresh token, or reuses the one sent when it is
    /// this user's. Returns once that is committed.
    ///
    /// Sign-ins that arrive while the previous ones are being written are
    /// committed together (group commit): one transaction, each sign-in in
    /// its own savepoint so that one failure does not undo the others. They
    /// still run one after another, so the second of two concurrent first
    /// sign-ins finds the user the first created.
    pub async fn sign_in(&self, request: SignIn) -> Result<SignedIn> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.sign_ins
            .send((request, reply))
            .map_err(|_| StoreError::Stopped)?;
        outcome.await.map_err(|_| StoreError::Stopped)?
    }

    /// The user a refresh token belongs to.
    pub async fn user_by_refresh_token(&self, app_id: Uuid, token: Uuid) -> Result<Option<User>> {
        self.db
            .call(move |conn| {
                let hash = token_hash(token);
                user_where(
                    conn,
                    "u.id = (SELECT user_id FROM instant_refresh_tokens \
                     WHERE token_sha256 = ?1 AND app_id = ?2)",
                    &[&hash.as_slice(), &app_id.to_string()],
                )
            })
            .await
    }

    /// Revokes a refresh token; whether it existed.
    pub async fn sign_out(&self, app_id: Uuid, token: Uuid) -> Result<bool> {
        self.db
            .call(move |conn| {
                let deleted = conn
                    .prepare_cached(
                        "DELETE FROM instant_refresh_tokens WHERE token_sha256 = ?1 AND app_id = ?2",
                    )?
                    .execute(params![token_hash(token).as_slice(), app_id.to_string()])?;
                Ok(deleted > 0)
            })
            .await
    }

    /// A user by id.
    pub async fn user_by_id(&self, app_id: Uuid, id: Uuid) -> Result<Option<User>> {
        self.db
            .call(move |conn| {
                user_where(
                    conn,
                    "u.id = ?1 AND u.app_id = ?2",
                    &[&id.to_string(), &app_id.to_string()],
                )
            })
            .await
    }

    /// A user by email (compared lower-cased).
    pub async fn user_by_email(&self, app_id: Uuid, email: String) -> Result<Option<User>> {
        self.db
            .call(move |conn| {
                user_where(
                    conn,
                    "u.email = ?1 AND u.app_id = ?2",
                    &[&email.trim().to_lowercase(), &app_id.to_string()],
                )
            })
            .await
    }

    /// Deletes a user with its links and refresh tokens.
    pub async fn delete_user(&self, app_id: Uuid, id: Uuid) -> Result<bool> {
        self.db
            .call(move |conn| {
                let deleted = conn
                    .prepare_cached("DELETE FROM instant_users WHERE id = ?1 AND app_id = ?2")?
                    .execute(params![id.to_string(), app_id.to_string()])?;
                Ok(deleted > 0)
            })
            .await
    }
}

/// Commits queued sign-ins in batches until every [`Store`] is dropped.
async fn commit_sign_ins(
    db: Db,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Pending>,
    sign_in: SignInFn,
) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let pending = std::mem::take(&mut batch);
        db.call(move |conn| commit_batch(conn, pending, sign_in))
            .await;
    }
}

/// One transaction for the whole batch; replies only after the commit.
///
/// A panic while writing is caught here: uncaught, it would drop every
/// reply (its requests would hear "shutting down") and end this task, so
/// that every later sign-in failed too. The transaction rolls back as the
/// panic unwinds, and the batch's requests get the error instead.
fn commit_batch(conn: &mut Connection, pending: Vec<Pending>, sign_in: SignInFn) {
    let mut outcomes = Vec::with_capacity(pending.len());
    let committed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (request, _) in &pending {
            let savepoint = tx.savepoint()?;
            let outcome = sign_in(&savepoint, request);
            if outcome.is_ok() {
                savepoint.commit()?;
            }
            // Dropping an uncommitted savepoint rolls it back.
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok::<_, StoreError>(())
    }));
    let (text, failed): (String, fn(String) -> StoreError) = match committed {
        Ok(Ok(())) => {
            for ((_, reply), outcome) in pending.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
            return;
        }
        Ok(Err(err)) => (err.to_string(), StoreError::Commit),
        Err(panic) => (
            crate::server::panic_message(&*panic).to_owned(),
            StoreError::Panicked,
        ),
    };
    tracing::error!("sign-in batch failed: {}", failed(text.clone()));
    for (_, reply) in pending {
        let _ = reply.send(Err(failed(text.clone())));
    }
}

fn sign_in_tx(conn: &Connection, request: &SignIn) -> Result<SignedIn> {
    let app_id = request.app_id.to_string();
    let by_email = user_where(
        conn,
        "u.app_id = ?1 AND u.email = ?2",
        &[&app_id, &request.email],
    )?;
    let by_link = user_where(
        conn,
        "u.id = (SELECT user_id FROM instant_user_links \
         WHERE app_id = ?1 AND issuer = ?2 AND sub = ?3)",
        &[&app_id, &request.issuer, &request.sub],
    )?;

    let mut created = false;
    let user = match (by_email, by_link) {
        (Some(a), Some(b)) if a.id != b.id => {
            return Err(StoreError::Conflict {
                email: request.email.clone(),
                sub: request.sub.clone(),
                by_email: a.id,
                by_link: b.id,
            })
        }
        (Some(user), Some(_)) => user,
        (Some(user), None) => {
            link(conn, &app_id, request, user.id)?;
            user
        }
        (None, Some(mut user)) => {
            // The Clerk user changed their primary email: follow it. No other
            // user has the new email (the lookup above found none).
            conn.prepare_cached("UPDATE instant_users SET email = ?1 WHERE id = ?2")?
                .execute(params![request.email, user.id.to_string()])?;
            user.email = Some(request.email.clone());
            user
        }
        (None, None) => {
            let user = User {
                id: Uuid::new_v4(),
                app_id: request.app_id,
                email: Some(request.email.clone()),
                created_at: now_rfc3339(),
            };
            conn.prepare_cached(
                "INSERT INTO instant_users (id, app_id, email, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                user.id.to_string(),
                app_id,
                user.email,
                user.created_at
            ])?;
            link(conn, &app_id, request, user.id)?;
            created = true;
            user
        }
    };

    let user_id = user.id.to_string();
    if let Some(sent) = request.refresh_token {
        let owner: Option<String> = conn
            .prepare_cached(
                "SELECT user_id FROM instant_refresh_tokens WHERE token_sha256 = ?1 AND app_id = ?2",
            )?
            .query_row(params![token_hash(sent).as_slice(), app_id], |row| row.get(0))
            .optional()?;
        match owner {
            Some(owner) if owner == user_id => {
                return Ok(SignedIn {
                    user,
                    refresh_token: sent,
                    created,
                })
            }
            // Another user's session: a new one for this user.
            Some(_) => {}
            // Instant looks the sent session up (to link a guest user), and
            // one that names no user fails the whole sign-in.
            None => return Err(StoreError::UnknownRefreshToken),
        }
    }
    let token = Uuid::new_v4();
    conn.prepare_cached(
        "INSERT INTO instant_refresh_tokens (token_sha256, app_id, user_id, created_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        token_hash(token).as_slice(),
        app_id,
        user_id,
        now_rfc3339()
    ])?;
    Ok(SignedIn {
        user,
        refresh_token: token,
        created,
    })
}

fn link(conn: &Connection, app_id: &str, request: &SignIn, user_id: Uuid) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO instant_user_links (app_id, issuer, sub, user_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        app_id,
        request.issuer,
        request.sub,
        user_id.to_string()
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(email: &str, sub: &str) -> SignIn {
        SignIn {
            app_id: Uuid::nil(),
            issuer: "http://127.0.0.1:1".to_owned(),
            sub: sub.to_owned(),
            email: email.to_owned(),
            refresh_token: None,
        }
    }

    async fn store() -> Store {
        let store = Store::new(Db::in_memory().unwrap());
        store.migrate().await.unwrap();
        store
    }

    #[tokio::test]
    async fn finds_by_email_then_by_link() {
        let store = store().await;
        let first = store.sign_in(request("a@x.io", "user_1")).await.unwrap();
        assert!(first.created);
        // Another Clerk user with the same email: same Instant user.
        let second = store.sign_in(request("a@x.io", "user_2")).await.unwrap();
        assert!(!second.created);
        assert_eq!(second.user.id, first.user.id);
        // The first Clerk user again: found by email and by the link.
        let third = store.sign_in(request("a@x.io", "user_1")).await.unwrap();
        assert!(!third.created);
        assert_eq!(third.user.id, first.user.id);
        assert_eq!(third.user.email.as_deref(), Some("a@x.io"));
        // The email changed in Clerk: the user follows.
        let fourth = store.sign_in(request("b@x.io", "user_1")).await.unwrap();
        assert_eq!(fourth.user.id, first.user.id);
        assert_eq!(fourth.user.email.as_deref(), Some("b@x.io"));
    }

    #[tokio::test]
    async fn reuses_only_the_users_own_refresh_token() {
        let store = store().await;
        let ada = store.sign_in(request("ada@x.io", "u1")).await.unwrap();
        let mut again = request("ada@x.io", "u1");
        again.refresh_token = Some(ada.refresh_token);
        assert_eq!(
            store.sign_in(again).await.unwrap().refresh_token,
            ada.refresh_token
        );

        let mut other = request("bob@x.io", "u2");
        other.refresh_token = Some(ada.refresh_token);
        let bob = store.sign_in(other).await.unwrap();
        assert_ne!(bob.refresh_token, ada.refresh_token);
    }

    #[tokio::test]
    async fn stores_only_hashes_and_revokes() {
        let store = store().await;
        let ada = store.sign_in(request("ada@x.io", "u1")).await.unwrap();
        let token = ada.refresh_token;
        let stored: Vec<Vec<u8>> = store
            .db
            .call(|conn| {
                let mut stmt = conn.prepare("SELECT token_sha256 FROM instant_refresh_tokens")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await
            .unwrap();
        assert_eq!(stored, vec![token_hash(token).to_vec()]);
        assert!(store
            .user_by_refresh_token(Uuid::nil(), token)
            .await
            .unwrap()
            .is_some());
        assert!(store.sign_out(Uuid::nil(), token).await.unwrap());
        assert!(store
            .user_by_refresh_token(Uuid::nil(), token)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn one_failure_in_a_batch_leaves_the_others_committed() {
        let store = store().await;
        store.sign_in(request("a@x.io", "u1")).await.unwrap();
        store.sign_in(request("b@x.io", "u2")).await.unwrap();
        let (replies, outcomes): (Vec<_>, Vec<_>) = (0..3)
            .map(|_| tokio::sync::oneshot::channel::<Result<SignedIn>>())
            .unzip();
        let mut replies = replies.into_iter();
        let pending = vec![
            (request("c@x.io", "u3"), replies.next().unwrap()),
            // a@x.io is u1's, but sub u2 is linked to b@x.io's user.
            (request("a@x.io", "u2"), replies.next().unwrap()),
            (request("d@x.io", "u4"), replies.next().unwrap()),
        ];
        store
            .db
            .call(move |conn| commit_batch(conn, pending, sign_in_tx))
            .await;
        let mut results = Vec::new();
        for outcome in outcomes {
            results.push(outcome.await.unwrap());
        }
        assert!(results[0].as_ref().is_ok_and(|s| s.created));
        assert!(matches!(results[1], Err(StoreError::Conflict { .. })));
        assert!(results[2].as_ref().is_ok_and(|s| s.created));
        for email in ["c@x.io", "d@x.io"] {
            let user = store
                .user_by_email(Uuid::nil(), email.to_owned())
                .await
                .unwrap();
            assert!(user.is_some(), "{email} was committed");
        }
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_sign_ins_and_later_ones_still_work() {
        fn panics_for_boom(conn: &Connection, request: &SignIn) -> Result<SignedIn> {
            // Written before the panic: must be rolled back with the batch.
            let outcome = sign_in_tx(conn, request);
            assert_ne!(request.email, "boom@x.io", "boom");
            outcome
        }
        let store = Store::with_sign_in(Db::in_memory().unwrap(), panics_for_boom);
        store.migrate().await.unwrap();
        let error = store.sign_in(request("boom@x.io", "u1")).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::Panicked(message) if message.contains("boom")),
            "{error}"
        );
        let later = store.sign_in(request("ok@x.io", "u2")).await.unwrap();
        assert!(later.created);
        let boom = store
            .user_by_email(Uuid::nil(), "boom@x.io".to_owned())
            .await
            .unwrap();
        assert!(boom.is_none(), "the panicking batch was rolled back");
    }

    #[tokio::test]
    async fn conflicting_email_and_link_is_refused() {
        let store = store().await;
        store.sign_in(request("a@x.io", "u1")).await.unwrap();
        store.sign_in(request("b@x.io", "u2")).await.unwrap();
        let err = store.sign_in(request("a@x.io", "u2")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    }
}
