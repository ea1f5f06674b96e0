//! The optional TOML config file: Instant apps with their Clerk clients, and
//! Clerk settings. Anything left out takes the emulator's default.
//!
//! ```toml
//! [clerk]
//! secret_key = "sk_test_emulator"
//! email_claim = true
//!
//! [[apps]]
//! id = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61"
//! admin_token = "emulator-admin-token"
//! authorized_origins = ["http://localhost:3000"]
//!
//! [[apps.clerk_clients]]
//! name = "clerk"
//! # publishable_key defaults to the emulator's own Clerk role.
//! ```

use std::path::Path;

use serde::Deserialize;

/// The default app id, printed at start and compiled into the app.
pub const DEFAULT_APP_ID: &str = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61";
/// The default app's admin token.
pub const DEFAULT_ADMIN_TOKEN: &str = "emulator-admin-token";
/// The default Clerk client name.
pub const DEFAULT_CLIENT_NAME: &str = "clerk";
/// The default Clerk secret key (Backend API bearer).
pub const DEFAULT_SECRET_KEY: &str = "sk_test_emulator";

/// The largest config file read (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Clerk role settings.
    #[serde(default)]
    pub clerk: ClerkConfig,
    /// Instant apps; empty means the one default app.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
}

/// Clerk role settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClerkConfig {
    /// Bearer token for the Backend API.
    #[serde(default = "default_secret_key")]
    pub secret_key: String,
    /// Whether session tokens carry the `email` claim (Clerk's
    /// "Customize session token" template). Without it the Instant role,
    /// like Instant, refuses sign-ins ("The id_token had no email.").
    #[serde(default = "yes")]
    pub email_claim: bool,
}

impl Default for ClerkConfig {
    fn default() -> Self {
        Self {
            secret_key: default_secret_key(),
            email_claim: true,
        }
    }
}

/// One Instant app, as its dashboard's Auth tab would hold it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// App id (a UUID).
    pub id: uuid::Uuid,
    /// Admin token for `/admin/*`.
    pub admin_token: String,
    /// Origins allowed to call the runtime endpoints from a browser. When
    /// absent, any loopback origin (`http://127.0.0.1:*`, `http://localhost:*`,
    /// `http://*.localhost:*`, `http://[::1]:*`) is allowed.
    #[serde(default)]
    pub authorized_origins: Option<Vec<String>>,
    /// Registered Clerk clients.
    #[serde(default)]
    pub clerk_clients: Vec<ClerkClientConfig>,
}

/// A Clerk client registered on an Instant app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClerkClientConfig {
    /// The name the app passes as `client_name`.
    pub name: String,
    /// The Clerk publishable key; defaults to the emulator's Clerk role.
    #[serde(default)]
    pub publishable_key: Option<String>,
}

/// Why a secret (`secret_key`, `admin_token`) could never authenticate
/// a caller, or would let anyone in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretProblem {
    /// Empty or blank: anything would pass, or nothing could be sent.
    #[error("is empty")]
    Empty,
    /// Whitespace at either end: the bearer token a caller sends is
    /// trimmed, so it could never match.
    #[error("starts or ends with whitespace, which a bearer token cannot; remove it")]
    SurroundingWhitespace,
    /// A character an `Authorization` header cannot carry as text.
    #[error(
        "contains {0:?}, which an Authorization header cannot carry; use only printable \
         ASCII (letters, digits, punctuation)"
    )]
    Unsendable(char),
}

impl SecretProblem {
    /// What is wrong with `secret` as a bearer token, if anything.
    fn of(secret: &str) -> Option<Self> {
        if secret.trim().is_empty() {
            return Some(Self::Empty);
        }
        if secret.trim() != secret {
            return Some(Self::SurroundingWhitespace);
        }
        // Inner spaces survive `keys::bearer_token`; anything else outside
        // printable ASCII fails `HeaderValue::to_str` or cannot be typed.
        secret
            .chars()
            .find(|c| !(c.is_ascii_graphic() || *c == ' '))
            .map(Self::Unsendable)
    }
}

/// A config file that parses but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `[clerk] secret_key` cannot work as the Backend API's bearer token.
    #[error(
        "[clerk] secret_key {0}; set it to the bearer token Backend API calls must send, \
         or leave it out to use the default {DEFAULT_SECRET_KEY}"
    )]
    SecretKey(SecretProblem),
    /// An app's `admin_token` cannot work as the admin bearer token.
    #[error(
        "the admin_token of app {app_id} {problem}; set it to the token /admin/* calls \
         must send as `Authorization: Bearer <admin token>` (e.g. {DEFAULT_ADMIN_TOKEN})"
    )]
    AdminToken {
        /// The app's id.
        app_id: uuid::Uuid,
        /// What is wrong with it.
        problem: SecretProblem,
    },
    /// An app lists no Clerk client: no one could sign in to it.
    #[error(
        "app {0} lists no Clerk client, so no one can sign in to it; add one under it: \
         [[apps.clerk_clients]] with name = \"{DEFAULT_CLIENT_NAME}\" (the client name your \
         app signs in with)"
    )]
    NoClerkClient(uuid::Uuid),
    /// A Clerk client's name is empty or blank: no app can name it.
    #[error(
        "app {0} has a Clerk client with an empty name; set name to the client name your \
         app signs in with (e.g. name = \"{DEFAULT_CLIENT_NAME}\")"
    )]
    EmptyClientName(uuid::Uuid),
    /// A Clerk client's name starts or ends with whitespace: sign-ins name
    /// their client by a trimmed `client_name`, so none could name it.
    #[error(
        "app {app_id} has a Clerk client named {name:?}, which starts or ends with \
         whitespace; sign-ins trim the client_name they send, so none could name it: \
         remove the whitespace (e.g. name = \"{DEFAULT_CLIENT_NAME}\")"
    )]
    ClientNameWhitespace {
        /// The app's id.
        app_id: uuid::Uuid,
        /// The name as the file gives it.
        name: String,
    },
    /// Two Clerk clients of one app share a name: a sign-in names its
    /// client by name alone.
    #[error(
        "app {app_id} has two Clerk clients named {name:?}; give each \
         [[apps.clerk_clients]] of an app a name of its own (sign-ins name their client by \
         it), or remove one"
    )]
    DuplicateClientName {
        /// The app's id.
        app_id: uuid::Uuid,
        /// The name both have.
        name: String,
    },
    /// Two apps share an id: requests name their app by id alone.
    #[error(
        "two apps have the id {0}; give each [[apps]] an id of its own (requests name \
         their app by it)"
    )]
    DuplicateAppId(uuid::Uuid),
}

impl FileConfig {
    /// Reads, parses and checks a config file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use std::io::Read as _;
        let cannot_read = || format!("cannot read config file {}", path.display());
        // At most MAX_FILE_BYTES: a path to something endless (`/dev/zero`,
        // `/dev/urandom`) or huge would otherwise be read until memory ran out.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .with_context(cannot_read)?;
        anyhow::ensure!(
            bytes.len() as u64 <= MAX_FILE_BYTES,
            "config file {} is larger than {} KiB, far more than a config file's apps and \
             Clerk clients take; check that --config names the right file",
            path.display(),
            MAX_FILE_BYTES / 1024
        );
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("it is not UTF-8 text"))
            .with_context(cannot_read)?;
        let config: Self = toml::from_str(&text)
            .with_context(|| format!("invalid config file {}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("invalid config file {}", path.display()))?;
        Ok(config)
    }

    /// Refuses secrets that would let any caller through, or that no
    /// caller could ever present, and apps no one could sign in to.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(problem) = SecretProblem::of(&self.clerk.secret_key) {
            return Err(ConfigError::SecretKey(problem));
        }
        for (index, app) in self.apps.iter().enumerate() {
            if self.apps[..index]
                .iter()
                .any(|earlier| earlier.id == app.id)
            {
                return Err(ConfigError::DuplicateAppId(app.id));
            }
            if let Some(problem) = SecretProblem::of(&app.admin_token) {
                return Err(ConfigError::AdminToken {
                    app_id: app.id,
                    problem,
                });
            }
            if app.clerk_clients.is_empty() {
                return Err(ConfigError::NoClerkClient(app.id));
            }
            if app.clerk_clients.iter().any(|c| c.name.trim().is_empty()) {
                return Err(ConfigError::EmptyClientName(app.id));
            }
            if let Some(client) = app.clerk_clients.iter().find(|c| c.name.trim() != c.name) {
                return Err(ConfigError::ClientNameWhitespace {
                    app_id: app.id,
                    name: client.name.clone(),
                });
            }
            let clients = &app.clerk_clients;
            if let Some(client) = clients
                .iter()
                .enumerate()
                .find(|(index, client)| clients[..*index].iter().any(|c| c.name == client.name))
                .map(|(_, client)| client)
            {
                return Err(ConfigError::DuplicateClientName {
                    app_id: app.id,
                    name: client.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// The configured apps, or the default app when none is configured, with
    /// every missing publishable key filled in with `own_publishable_key`.
    pub fn resolved_apps(&self, own_publishable_key: &str) -> Vec<AppConfig> {
        let mut apps = if self.apps.is_empty() {
            vec![AppConfig {
                id: DEFAULT_APP_ID.parse().expect("valid default app id"),
                admin_token: DEFAULT_ADMIN_TOKEN.to_owned(),
                authorized_origins: None,
                clerk_clients: vec![ClerkClientConfig {
                    name: DEFAULT_CLIENT_NAME.to_owned(),
                    publishable_key: None,
                }],
            }]
        } else {
            self.apps.clone()
        };
        for client in apps.iter_mut().flat_map(|a| a.clerk_clients.iter_mut()) {
            client
                .publishable_key
                .get_or_insert_with(|| own_publishable_key.to_owned());
        }
        apps
    }
}

fn default_secret_key() -> String {
    DEFAULT_SECRET_KEY.to_owned()
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileConfig {
        toml::from_str(text).expect("valid TOML")
    }

    #[test]
    fn secrets_no_caller_could_send_are_refused() {
        assert_eq!(FileConfig::default().validate(), Ok(()));
        let secret_key = |value: &str| {
            let mut config = FileConfig::default();
            config.clerk.secret_key = value.to_owned();
            config
                .validate()
                .map_err(|err| (err.clone(), err.to_string()))
        };
        let admin_token = |value: &str| {
            let mut config = parse(&format!(
                "[[apps]]\nid = {DEFAULT_APP_ID:?}\nadmin_token = \"x\"\n\
                 [[apps.clerk_clients]]\nname = \"clerk\"\n"
            ));
            config.apps[0].admin_token = value.to_owned();
            config
                .validate()
                .map_err(|err| (err.clone(), err.to_string()))
        };
        let app_id = DEFAULT_APP_ID.parse().unwrap();
        for (value, problem, says) in [
            ("", SecretProblem::Empty, "is empty"),
            (" ", SecretProblem::Empty, "is empty"),
            (" sk ", SecretProblem::SurroundingWhitespace, "remove it"),
            ("sk\t", SecretProblem::SurroundingWhitespace, "remove it"),
            ("sk_é", SecretProblem::Unsendable('é'), "'é'"),
            (
                "sk\u{7f}",
                SecretProblem::Unsendable('\u{7f}'),
                "printable ASCII",
            ),
        ] {
            let (error, message) = secret_key(value).unwrap_err();
            assert_eq!(error, ConfigError::SecretKey(problem.clone()), "{value:?}");
            assert!(
                message.starts_with("[clerk] secret_key ") && message.contains(says),
                "{message}"
            );
            let (error, message) = admin_token(value).unwrap_err();
            assert_eq!(
                error,
                ConfigError::AdminToken { app_id, problem },
                "{value:?}"
            );
            assert!(
                message.contains("admin_token") && message.contains(says),
                "{message}"
            );
        }
        for fine in ["sk_test_x", "a b", "!#$%&'*+/=?^_`{|}~-"] {
            assert_eq!(secret_key(fine), Ok(()), "{fine:?}");
            assert_eq!(admin_token(fine), Ok(()), "{fine:?}");
        }
    }

    #[test]
    fn apps_no_one_could_sign_in_to_are_refused() {
        let app = format!("[[apps]]\nid = {DEFAULT_APP_ID:?}\nadmin_token = \"t\"\n");
        let app_id = DEFAULT_APP_ID.parse().unwrap();
        let error = parse(&app).validate().unwrap_err();
        assert_eq!(error, ConfigError::NoClerkClient(app_id));
        assert!(
            error
                .to_string()
                .contains("add one under it: [[apps.clerk_clients]]"),
            "{error}"
        );
        for name in ["", " "] {
            let config = format!("{app}[[apps.clerk_clients]]\nname = {name:?}\n");
            let error = parse(&config).validate().unwrap_err();
            assert_eq!(error, ConfigError::EmptyClientName(app_id));
            assert!(error.to_string().contains("empty name"), "{error}");
        }
        for name in [" clerk ", "clerk\t", "\nclerk"] {
            let config = format!("{app}[[apps.clerk_clients]]\nname = {name:?}\n");
            let error = parse(&config).validate().unwrap_err();
            assert_eq!(
                error,
                ConfigError::ClientNameWhitespace {
                    app_id,
                    name: name.to_owned()
                }
            );
            assert!(
                error.to_string().contains("remove the whitespace"),
                "{error}"
            );
        }
        let config = format!("{app}[[apps.clerk_clients]]\nname = \"clerk\"\n");
        assert_eq!(parse(&config).validate(), Ok(()));
    }

    #[test]
    fn two_apps_with_one_id_are_refused_saying_what_to_do() {
        let app = format!(
            "[[apps]]\nid = {DEFAULT_APP_ID:?}\nadmin_token = \"t\"\n\
             [[apps.clerk_clients]]\nname = \"clerk\"\n"
        );
        let error = parse(&format!("{app}{app}")).validate().unwrap_err();
        assert_eq!(
            error,
            ConfigError::DuplicateAppId(DEFAULT_APP_ID.parse().unwrap())
        );
        assert!(
            error
                .to_string()
                .contains("give each [[apps]] an id of its own"),
            "{error}"
        );
    }

    #[test]
    fn two_clerk_clients_with_one_name_are_refused_saying_what_to_do() {
        let client = |name: &str, key: &str| {
            format!("[[apps.clerk_clients]]\nname = {name:?}\npublishable_key = {key:?}\n")
        };
        let app = format!("[[apps]]\nid = {DEFAULT_APP_ID:?}\nadmin_token = \"t\"\n");
        let config = format!(
            "{app}{}{}{}",
            client("clerk", "pk_test_Zm9vLmV4YW1wbGUuY29tJA"),
            client("other", "pk_test_Zm9vLmV4YW1wbGUuY29tJA"),
            client("clerk", "pk_test_YmFyLmV4YW1wbGUuY29tJA")
        );
        let error = parse(&config).validate().unwrap_err();
        assert_eq!(
            error,
            ConfigError::DuplicateClientName {
                app_id: DEFAULT_APP_ID.parse().unwrap(),
                name: "clerk".to_owned()
            }
        );
        assert!(
            error
                .to_string()
                .contains("give each [[apps.clerk_clients]]"),
            "{error}"
        );
        // One name in two apps is fine: each app has its own clients.
        let other_app =
            "[[apps]]\nid = \"00000000-0000-4000-8000-000000000001\"\nadmin_token = \"t\"\n";
        let config = format!(
            "{app}{}{other_app}{}",
            client("clerk", "pk_test_Zm9vLmV4YW1wbGUuY29tJA"),
            client("clerk", "pk_test_Zm9vLmV4YW1wbGUuY29tJA")
        );
        assert_eq!(parse(&config).validate(), Ok(()));
    }

    #[test]
    fn a_file_too_big_to_be_a_config_is_refused_unread() {
        let path =
            std::env::temp_dir().join(format!("emulator-big-config-{}.toml", std::process::id()));
        // Valid TOML (one comment), one byte over the limit.
        let mut text = "#".repeat(MAX_FILE_BYTES as usize);
        text.push('\n');
        std::fs::write(&path, &text).unwrap();
        let error = format!("{:#}", FileConfig::load(&path).unwrap_err());
        std::fs::remove_file(&path).unwrap();
        assert!(
            error.contains("is larger than 1024 KiB") && error.contains("--config"),
            "{error}"
        );
        // At the limit, it is read.
        text.truncate(MAX_FILE_BYTES as usize);
        std::fs::write(&path, &text).unwrap();
        let config = FileConfig::load(&path);
        std::fs::remove_file(&path).unwrap();
        assert!(config.is_ok(), "{config:?}");
    }
}
