//! The emulator the app under test talks to: either the one `cargo xtask
//! test` started (its values come in environment variables), or one this
//! harness starts itself from `target/debug/emulator`, so that
//! `cargo test -p e2e --test flow` also works on its own.
//!
//! Also the server-side checks a test makes through the emulator's HTTP API:
//! Instant's admin user lookup, refresh-token verification, the emulator's
//! request counters, and the Clerk role's email-claim switch.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::process::{self, GroupGuard};

/// The admin token of the emulator's default Instant app.
pub const ADMIN_TOKEN: &str = "emulator-admin-token";
/// The emulator's default Clerk secret key (Backend API bearer).
pub const CLERK_SECRET_KEY: &str = "sk_test_emulator";

/// The environment variables the emulator prints at start, in that order.
pub const VARIABLES: [&str; 5] = [
    "INSTANT_APP_ID",
    "INSTANT_API_URI",
    "CLERK_PUBLISHABLE_KEY",
    "CLERK_CLIENT_NAME",
    "CLERK_FRONTEND_API",
];

/// What can go wrong with the emulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Some of the five variables are set and some are not.
    #[error(
        "{missing} is not set although {present} is: set all five emulator variables \
         (as `cargo xtask test` does) or none (the harness then starts its own emulator)"
    )]
    PartialEnv {
        /// A variable that is missing.
        missing: &'static str,
        /// A variable that is set.
        present: &'static str,
    },
    /// `cargo build -p emulator` failed.
    #[error("building the emulator failed ({0}); run `cargo build -p emulator` to see why")]
    Build(String),
    /// The emulator process did not start or never said `ready`.
    #[error(transparent)]
    Process(#[from] process::Error),
    /// It said `ready` without printing one of the values.
    #[error("the emulator did not print {0}")]
    MissingValue(&'static str),
    /// An HTTP call to the emulator failed.
    #[error("{call}: {source}")]
    Http {
        /// Which call, e.g. `GET /admin/users`.
        call: &'static str,
        /// What went wrong.
        source: reqwest::Error,
    },
    /// An HTTP call got an unexpected status.
    #[error("{call} answered {status}: {body}")]
    Status {
        /// Which call.
        call: &'static str,
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// The response body.
        body: String,
    },
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The values the app is built with and the tests talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorValues {
    /// `INSTANT_APP_ID`.
    pub instant_app_id: String,
    /// `INSTANT_API_URI`, e.g. `http://127.0.0.1:41234`.
    pub instant_api_uri: String,
    /// `CLERK_PUBLISHABLE_KEY`.
    pub clerk_publishable_key: String,
    /// `CLERK_CLIENT_NAME`.
    pub clerk_client_name: String,
    /// `CLERK_FRONTEND_API`, e.g. `http://127.0.0.1:41233`.
    pub clerk_frontend_api: String,
}

impl EmulatorValues {
    /// Reads the five variables through `lookup`: `Ok(None)` when none is
    /// set, an error when only some are.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let found: Vec<Option<String>> = VARIABLES
            .iter()
            .map(|name| lookup(name).filter(|v| !v.is_empty()))
            .collect();
        let present = VARIABLES.iter().zip(&found).find(|(_, v)| v.is_some());
        let missing = VARIABLES.iter().zip(&found).find(|(_, v)| v.is_none());
        match (present, missing) {
            (None, _) => Ok(None),
            (Some((present, _)), Some((missing, _))) => Err(Error::PartialEnv { missing, present }),
            (Some(_), None) => {
                let mut values = found.into_iter().flatten();
                let mut next = || values.next().unwrap_or_default();
                Ok(Some(Self {
                    instant_app_id: next(),
                    instant_api_uri: next().trim_end_matches('/').to_owned(),
                    clerk_publishable_key: next(),
                    clerk_client_name: next(),
                    clerk_frontend_api: next().trim_end_matches('/').to_owned(),
                }))
            }
        }
    }

    /// Reads the five variables from this process's environment.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The values as `(name, value)` pairs, for a child's environment.
    pub fn as_env(&self) -> [(&'static str, &str); 5] {
        [
            (VARIABLES[0], &self.instant_app_id),
            (VARIABLES[1], &self.instant_api_uri),
            (VARIABLES[2], &self.clerk_publishable_key),
            (VARIABLES[3], &self.clerk_client_name),
            (VARIABLES[4], &self.clerk_frontend_api),
        ]
    }
}

/// Instant's `user` object, as the admin endpoint returns it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct InstantUser {
    /// The Instant user id (a UUID).
    pub id: String,
    /// The email, `None` when the Clerk token carried no `email` claim.
    pub email: Option<String>,
}

/// The emulator's request counters (`GET /__emulator/stats`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
pub struct RequestCounts {
    /// `POST /runtime/oauth/id_token` calls: Clerk → Instant exchanges.
    pub oauth_id_token: u64,
    /// `POST /runtime/signout` calls.
    pub signout: u64,
    /// `POST /runtime/auth/verify_refresh_token` calls.
    pub verify_refresh_token: u64,
}

/// A running emulator, started by this harness or by `cargo xtask test`.
#[derive(Debug)]
pub struct Emulator {
    values: EmulatorValues,
    /// Set when this harness started the process; it stops with the guard.
    process: Option<GroupGuard>,
    http: reqwest::Client,
}

impl Emulator {
    /// Uses the emulator named by the environment (see [`EmulatorValues`]),
    /// or, when none is named, builds and starts `target/debug/emulator
    /// --in-memory` on free loopback ports.
    pub fn from_env_or_start(workspace: &Path) -> Result<Self> {
        match EmulatorValues::from_env()? {
            Some(values) => Ok(Self::attach(values)),
            None => Self::start(workspace),
        }
    }

    /// Talks to an emulator someone else runs.
    pub fn attach(values: EmulatorValues) -> Self {
        Self {
            values,
            process: None,
            http: reqwest::Client::new(),
        }
    }

    /// Builds the emulator (`cargo build -p emulator`) and starts it in
    /// memory on free loopback ports; it is stopped when this is dropped.
    pub fn start(workspace: &Path) -> Result<Self> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--package", "emulator"])
            .current_dir(workspace)
            .status()
            .map_err(|err| Error::Build(err.to_string()))?;
        if !status.success() {
            return Err(Error::Build(status.to_string()));
        }
        let binary = crate::target_dir(workspace).join("debug/emulator");
        let mut guard = GroupGuard::spawn(
            Command::new(&binary)
                .args([
                    "--in-memory",
                    "--clerk-addr",
                    "127.0.0.1:0",
                    "--instant-addr",
                    "127.0.0.1:0",
                ])
                .current_dir(workspace)
                .stdout(Stdio::piped()),
        )?;
        let stdout = guard
            .child_mut()
            .stdout
            .take()
            .ok_or(Error::MissingValue("anything on stdout"))?;
        let lines = process::wait_for_line(
            "the emulator",
            stdout,
            "`ready`",
            Duration::from_secs(30),
            |line| line == "ready",
        )?;
        let printed = |name: &str| {
            lines.iter().find_map(|line| {
                line.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
                    .map(str::to_owned)
            })
        };
        let values = match EmulatorValues::from_lookup(printed) {
            Ok(Some(values)) => values,
            Ok(None) => return Err(Error::MissingValue(VARIABLES[0])),
            Err(Error::PartialEnv { missing, .. }) => return Err(Error::MissingValue(missing)),
            Err(other) => return Err(other),
        };
        Ok(Self {
            values,
            process: Some(guard),
            http: reqwest::Client::new(),
        })
    }

    /// Whether this harness started the emulator (rather than xtask).
    pub fn started_here(&self) -> bool {
        self.process.is_some()
    }

    /// The emulator's values.
    pub fn values(&self) -> &EmulatorValues {
        &self.values
    }

    /// `GET /admin/users?app_id=&email=`: the Instant user with this email.
    pub async fn instant_user_by_email(&self, email: &str) -> Result<Option<InstantUser>> {
        const CALL: &str = "GET /admin/users";
        #[derive(Deserialize)]
        struct Found {
            user: Option<InstantUser>,
        }
        let response = self
            .http
            .get(format!("{}/admin/users", self.values.instant_api_uri))
            .query(&[
                ("app_id", self.values.instant_app_id.as_str()),
                ("email", email),
            ])
            .bearer_auth(ADMIN_TOKEN)
            .header("app-id", &self.values.instant_app_id)
            .send()
            .await
            .map_err(|source| Error::Http { call: CALL, source })?;
        let found: Found = json_of(CALL, response).await?;
        Ok(found.user)
    }

    /// `POST /runtime/auth/verify_refresh_token`: whether Instant still
    /// accepts this refresh token.
    pub async fn refresh_token_verifies(&self, refresh_token: &str) -> Result<bool> {
        const CALL: &str = "POST /runtime/auth/verify_refresh_token";
        let response = self
            .http
            .post(format!(
                "{}/runtime/auth/verify_refresh_token",
                self.values.instant_api_uri
            ))
            .json(&serde_json::json!({
                "app-id": self.values.instant_app_id,
                "refresh-token": refresh_token,
            }))
            .send()
            .await
            .map_err(|source| Error::Http { call: CALL, source })?;
        let status = response.status();
        if status.is_success() {
            Ok(true)
        } else if status.is_client_error() {
            Ok(false)
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(Error::Status {
                call: CALL,
                status,
                body,
            })
        }
    }

    /// `POST /runtime/signout`: ends an Instant session on the server only,
    /// as a sign-out on another device does.
    pub async fn sign_out_refresh_token(&self, refresh_token: &str) -> Result<()> {
        const CALL: &str = "POST /runtime/signout";
        let response = self
            .http
            .post(format!("{}/runtime/signout", self.values.instant_api_uri))
            .json(&serde_json::json!({
                "app_id": self.values.instant_app_id,
                "refresh_token": refresh_token,
            }))
            .send()
            .await
            .map_err(|source| Error::Http { call: CALL, source })?;
        let _: serde_json::Value = json_of(CALL, response).await?;
        Ok(())
    }

    /// `GET /__emulator/stats`: requests counted since the emulator started.
    pub async fn request_counts(&self) -> Result<RequestCounts> {
        const CALL: &str = "GET /__emulator/stats";
        #[derive(Deserialize)]
        struct Stats {
            requests: RequestCounts,
        }
        let response = self
            .http
            .get(format!("{}/__emulator/stats", self.values.instant_api_uri))
            .send()
            .await
            .map_err(|source| Error::Http { call: CALL, source })?;
        let stats: Stats = json_of(CALL, response).await?;
        Ok(stats.requests)
    }

    /// `POST {CLERK_FRONTEND_API}/__emulator/settings`: whether session
    /// tokens minted from now on carry the `email` claim.
    pub async fn set_email_claim(&self, on: bool) -> Result<()> {
        const CALL: &str = "POST /__emulator/settings";
        let response = self
            .http
            .post(format!(
                "{}/__emulator/settings",
                self.values.clerk_frontend_api
            ))
            .bearer_auth(CLERK_SECRET_KEY)
            .json(&serde_json::json!({ "email_claim": on }))
            .send()
            .await
            .map_err(|source| Error::Http { call: CALL, source })?;
        let _: serde_json::Value = json_of(CALL, response).await?;
        Ok(())
    }
}

/// The JSON body of a 2xx response, or an error with the status and body.
async fn json_of<T: serde::de::DeserializeOwned>(
    call: &'static str,
    response: reqwest::Response,
) -> Result<T> {
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(Error::Status { call, status, body });
    }
    response
        .json()
        .await
        .map_err(|source| Error::Http { call, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn no_variables_means_start_an_emulator() {
        assert_eq!(EmulatorValues::from_lookup(lookup(&[])).unwrap(), None);
    }

    #[test]
    fn all_five_variables_are_read_and_trailing_slashes_dropped() {
        let values = EmulatorValues::from_lookup(lookup(&[
            ("INSTANT_APP_ID", "app"),
            ("INSTANT_API_URI", "http://127.0.0.1:2/"),
            ("CLERK_PUBLISHABLE_KEY", "pk_test_x"),
            ("CLERK_CLIENT_NAME", "clerk"),
            ("CLERK_FRONTEND_API", "http://127.0.0.1:1"),
        ]))
        .unwrap()
        .expect("values");
        assert_eq!(values.instant_api_uri, "http://127.0.0.1:2");
        assert_eq!(values.clerk_client_name, "clerk");
        assert_eq!(values.as_env()[2], ("CLERK_PUBLISHABLE_KEY", "pk_test_x"));
    }

    #[test]
    fn some_variables_missing_is_an_error_naming_one() {
        let err = EmulatorValues::from_lookup(lookup(&[("INSTANT_APP_ID", "app")]))
            .expect_err("partial environment");
        let message = err.to_string();
        assert!(message.contains("INSTANT_API_URI is not set"), "{message}");
    }
}
