//! The Instant user, as the API returns it and as it is kept in storage.

use serde::{Deserialize, Deserializer, Serialize};

/// A signed-in Instant user, with the refresh token that is its session.
///
/// Field names follow Instant's JSON (`imageURL`, `isGuest`, snake case for
/// the rest); unknown fields such as `type` are ignored.
///
/// ```
/// use clerk_instant::instant::User;
///
/// let user: User = serde_json::from_str(
///     r#"{"id": "7d0b…", "email": "ada@example.com", "imageURL": null,
///         "type": "user", "created_at": 1700000000000, "refresh_token": "9f2c…"}"#,
/// ).unwrap();
/// assert_eq!(user.email.as_deref(), Some("ada@example.com"));
/// assert_eq!(user.created_at.as_deref(), Some("1700000000000"));
/// assert!(!user.is_guest);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id (a UUID).
    pub id: String,
    /// The user's email; `None` when the ID token carried no `email` claim.
    #[serde(default)]
    pub email: Option<String>,
    /// A profile picture URL, if Instant has one.
    #[serde(rename = "imageURL", default)]
    pub image_url: Option<String>,
    /// The app the user belongs to.
    #[serde(default)]
    pub app_id: Option<String>,
    /// When the user was created: an RFC 3339 string, or milliseconds since
    /// the epoch as text when Instant sends a number.
    #[serde(default, deserialize_with = "string_or_number")]
    pub created_at: Option<String>,
    /// Whether this is a guest (anonymous) user.
    #[serde(rename = "isGuest", default, deserialize_with = "bool_or_null")]
    pub is_guest: bool,
    /// The session: sent to Instant to act as this user, and to sign out.
    pub refresh_token: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Timestamp {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(
        Option::<Timestamp>::deserialize(deserializer)?.map(|timestamp| match timestamp {
            Timestamp::Text(text) => text,
            Timestamp::Number(number) => number.to_string(),
        }),
    )
}

fn bool_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn emulator_user() -> serde_json::Value {
        json!({
            "id": "0b9c6a1e-8d0f-4a53-9d61-2b7e3f1a4c55",
            "email": "ada@example.com",
            "imageURL": null,
            "type": "user",
            "app_id": "8d4a8e52-7f7b-4c43-9b39-3c1e2f0a5d61",
            "created_at": "2025-01-02T03:04:05Z",
            "isGuest": false,
            "refresh_token": "5f0b7a4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
        })
    }

    #[test]
    fn reads_the_api_user_shape() {
        let user: User = serde_json::from_value(emulator_user()).unwrap();
        assert_eq!(user.id, "0b9c6a1e-8d0f-4a53-9d61-2b7e3f1a4c55");
        assert_eq!(user.email.as_deref(), Some("ada@example.com"));
        assert_eq!(user.image_url, None);
        assert_eq!(user.created_at.as_deref(), Some("2025-01-02T03:04:05Z"));
        assert!(!user.is_guest);
        assert_eq!(user.refresh_token, "5f0b7a4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b");
    }

    #[test]
    fn accepts_numeric_created_at_missing_fields_and_null_is_guest() {
        let user: User = serde_json::from_value(json!({
            "id": "u1", "created_at": 1700000000123u64, "isGuest": null, "refresh_token": "r1"
        }))
        .unwrap();
        assert_eq!(user.created_at.as_deref(), Some("1700000000123"));
        assert_eq!(user.email, None);
        assert_eq!(user.app_id, None);
        assert!(!user.is_guest);
    }

    #[test]
    fn round_trips_with_instants_field_names() {
        let user: User = serde_json::from_value(emulator_user()).unwrap();
        let written = serde_json::to_value(&user).unwrap();
        assert!(written.get("imageURL").is_some());
        assert_eq!(written["isGuest"], json!(false));
        assert_eq!(serde_json::from_value::<User>(written).unwrap(), user);
    }

    #[test]
    fn a_user_without_refresh_token_is_rejected() {
        assert!(serde_json::from_value::<User>(json!({"id": "u1"})).is_err());
    }
}
