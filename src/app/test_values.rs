//! Values the app's native unit tests share: a Clerk session, an Instant
//! user, a failure.

use crate::clerk::{ClerkSession, ClerkState, ClerkUser};
use crate::instant::{AuthState, InstantError, User};

/// Clerk signed in as user `id` (session `sess_<id>`).
pub(crate) fn clerk_signed_in(id: &str) -> ClerkState {
    ClerkState::SignedIn(ClerkSession {
        id: format!("sess_{id}"),
        user: ClerkUser {
            id: id.into(),
            email: Some(format!("{id}@example.com")),
            full_name: None,
            first_name: None,
            last_name: None,
        },
    })
}

/// An Instant user with this email.
pub(crate) fn instant_user(email: Option<&str>) -> User {
    User {
        id: "2f1a0c44-0000-4000-8000-000000000001".into(),
        email: email.map(Into::into),
        image_url: None,
        app_id: None,
        created_at: None,
        is_guest: false,
        refresh_token: "refresh".into(),
    }
}

/// Instant signed in as ada@example.com.
pub(crate) fn instant_signed_in() -> AuthState {
    AuthState::SignedIn(instant_user(Some("ada@example.com")))
}

/// The error a request made offline gives.
pub(crate) fn network_error() -> InstantError {
    InstantError::Network {
        uri: "http://127.0.0.1:9".into(),
        reason: "TypeError: Failed to fetch".into(),
    }
}
