//! The Instant user, as the API returns it and as it is kept in storage.

use std::fmt;

use wasm_bindgen::JsValue;

use super::json;

/// A signed-in Instant user, with the refresh token that is its session.
///
/// Field names follow Instant's JSON (`imageURL`, `isGuest`, snake case for
/// the rest); unknown fields such as `type` are ignored.
///
/// Its `Debug` output leaves the refresh token out, so that logging a user
/// (or the state or handle that holds one) does not leak the session.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id (a UUID).
    pub id: String,
    /// The user's email; `None` when the ID token carried no `email` claim.
    pub email: Option<String>,
    /// A profile picture URL, if Instant has one.
    pub image_url: Option<String>,
    /// The app the user belongs to.
    pub app_id: Option<String>,
    /// When the user was created: an RFC 3339 string, or milliseconds since
    /// the epoch as text when Instant sends a number.
    pub created_at: Option<String>,
    /// Whether this is a guest (anonymous) user.
    pub is_guest: bool,
    /// The session: sent to Instant to act as this user, and to sign out.
    pub refresh_token: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("image_url", &self.image_url)
            .field("app_id", &self.app_id)
            .field("created_at", &self.created_at)
            .field("is_guest", &self.is_guest)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // only the browser build reads JSON
impl User {
    /// Reads a user from Instant's JSON object. The error names the field
    /// that is missing or of the wrong kind.
    pub(crate) fn from_json(value: &JsValue) -> Result<Self, String> {
        let fields = json::as_object(value).ok_or("it is not a JSON object")?;
        let text = |name: &str| match json::field(fields, name) {
            None => Ok(None),
            Some(value) => value
                .as_string()
                .map(Some)
                .ok_or_else(|| format!("`{name}` is not text")),
        };
        let required = |name: &str| text(name)?.ok_or_else(|| format!("it has no `{name}`"));
        let created_at = match json::field(fields, "created_at") {
            None => None,
            Some(value) => match value.as_string() {
                Some(text) => Some(text),
                // Milliseconds since the epoch, written the way JSON writes them.
                None if value.as_f64().is_some_and(f64::is_finite) => Some(json::stringify(&value)),
                // Too large for a number (`1e400` parses as Infinity): no
                // time at all, rather than the text "null" JSON writes for it.
                None if value.as_f64().is_some() => None,
                None => return Err("`created_at` is neither text nor a number".into()),
            },
        };
        let is_guest = match json::field(fields, "isGuest") {
            None => false,
            Some(value) => value.as_bool().ok_or("`isGuest` is not true or false")?,
        };
        Ok(Self {
            id: required("id")?,
            email: text("email")?,
            image_url: text("imageURL")?,
            app_id: text("app_id")?,
            created_at,
            is_guest,
            refresh_token: required("refresh_token")?,
        })
    }

    /// Reads a user from JSON text (see [`User::from_json`]).
    pub(crate) fn from_json_str(raw: &str) -> Result<Self, String> {
        Self::from_json(&json::parse(raw).ok_or("it is not JSON")?)
    }

    /// The user as Instant's JSON, as it is stored: what
    /// [`User::from_json_str`] reads back.
    pub(crate) fn to_json_string(&self) -> String {
        let text = |text: &Option<String>| text.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        json::object_text(&[
            ("id", JsValue::from_str(&self.id)),
            ("email", text(&self.email)),
            ("imageURL", text(&self.image_url)),
            ("app_id", text(&self.app_id)),
            ("created_at", text(&self.created_at)),
            ("isGuest", JsValue::from_bool(self.is_guest)),
            ("refresh_token", JsValue::from_str(&self.refresh_token)),
        ])
    }
}

/// In the browser: the JSON is the browser's.
#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const EMULATOR_USER: &str = r#"{
        "id": "0b9c6a1e-8d0f-4a53-9d61-2b7e3f1a4c55",
        "email": "ada@example.com",
        "imageURL": null,
        "type": "user",
        "app_id": "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61",
        "created_at": "2025-01-02T03:04:05Z",
        "isGuest": false,
        "refresh_token": "5f0b7a4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    }"#;

    #[test]
    fn reads_the_api_user_shape() {
        let user = User::from_json_str(EMULATOR_USER).unwrap();
        assert_eq!(user.id, "0b9c6a1e-8d0f-4a53-9d61-2b7e3f1a4c55");
        assert_eq!(user.email.as_deref(), Some("ada@example.com"));
        assert_eq!(user.image_url, None);
        assert_eq!(user.created_at.as_deref(), Some("2025-01-02T03:04:05Z"));
        assert!(!user.is_guest);
        assert_eq!(user.refresh_token, "5f0b7a4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b");
    }

    #[test]
    fn accepts_numeric_created_at_missing_fields_and_null_is_guest() {
        let user = User::from_json_str(
            r#"{"id": "u1", "created_at": 1700000000123, "isGuest": null, "refresh_token": "r1"}"#,
        )
        .unwrap();
        assert_eq!(user.created_at.as_deref(), Some("1700000000123"));
        assert_eq!(user.email, None);
        assert_eq!(user.app_id, None);
        assert!(!user.is_guest);
    }

    #[test]
    fn round_trips_with_instants_field_names() {
        let user = User::from_json_str(EMULATOR_USER).unwrap();
        let written = user.to_json_string();
        assert!(written.contains(r#""imageURL":null"#), "{written}");
        assert!(written.contains(r#""isGuest":false"#), "{written}");
        assert_eq!(User::from_json_str(&written).unwrap(), user);
    }

    #[test]
    fn says_which_field_is_wrong() {
        let reason = |raw: &str| User::from_json_str(raw).unwrap_err();
        assert_eq!(reason(r#"{"id": "u1"}"#), "it has no `refresh_token`");
        assert_eq!(reason(r#"{"refresh_token": "r1"}"#), "it has no `id`");
        assert_eq!(
            reason(r#"{"id": 7, "refresh_token": "r1"}"#),
            "`id` is not text"
        );
        assert_eq!(
            reason(r#"{"id": "u1", "refresh_token": "r1", "isGuest": "no"}"#),
            "`isGuest` is not true or false"
        );
        assert_eq!(
            reason(r#"{"id": "u1", "refresh_token": "r1", "created_at": {}}"#),
            "`created_at` is neither text nor a number"
        );
        assert_eq!(reason("[]"), "it is not a JSON object");
        assert_eq!(reason("{"), "it is not JSON");
    }
}
