//! Build-time configuration, read from environment variables when the app is
//! compiled. Each defaults to the local emulator's value, so a plain build
//! runs against `cargo xtask dev`.

/// The emulator's default Instant app id.
pub const EMULATOR_APP_ID: &str = "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61";
/// The emulator's Instant role.
pub const EMULATOR_API_URI: &str = "http://127.0.0.1:8788";
/// `pk_test_` + base64 of `127.0.0.1:8787$`: the emulator's Clerk role.
pub const EMULATOR_PUBLISHABLE_KEY: &str = "pk_test_MTI3LjAuMC4xOjg3ODck";
/// The Clerk client name the emulator registers on its default app.
pub const EMULATOR_CLIENT_NAME: &str = "clerk";

/// Settings the app needs to reach Clerk and Instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Instant app id (`INSTANT_APP_ID`).
    pub instant_app_id: String,
    /// Instant API base URI (`INSTANT_API_URI`).
    pub instant_api_uri: String,
    /// Clerk publishable key (`CLERK_PUBLISHABLE_KEY`).
    pub clerk_publishable_key: String,
    /// Name of the Clerk client registered on the Instant app (`CLERK_CLIENT_NAME`).
    pub clerk_client_name: String,
}

impl AppConfig {
    /// The configuration this build was compiled with.
    pub fn from_build_env() -> Self {
        Self {
            instant_app_id: option_env!("INSTANT_APP_ID")
                .unwrap_or(EMULATOR_APP_ID)
                .to_owned(),
            instant_api_uri: option_env!("INSTANT_API_URI")
                .unwrap_or(EMULATOR_API_URI)
                .to_owned(),
            clerk_publishable_key: option_env!("CLERK_PUBLISHABLE_KEY")
                .unwrap_or(EMULATOR_PUBLISHABLE_KEY)
                .to_owned(),
            clerk_client_name: option_env!("CLERK_CLIENT_NAME")
                .unwrap_or(EMULATOR_CLIENT_NAME)
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn default_publishable_key_names_the_emulator_clerk_host() {
        let encoded = EMULATOR_PUBLISHABLE_KEY.strip_prefix("pk_test_").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, b"127.0.0.1:8787$");
    }
}
