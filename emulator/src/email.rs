//! What counts as an email address, one rule for both roles: Instant's
//! (`email/coerce`). The Instant role refuses a token whose `email` claim
//! breaks it, so the Clerk role refuses such an address when an account is
//! made or signed in to, where the person can still type another one.

/// The characters of an atom before the `@`, besides ASCII letters and
/// digits (Instant's email pattern).
const LOCAL_PART_SYMBOLS: &str = "!#$%&'*+/=?^_`{|}~-";

/// Why a text is not an email address Instant accepts; each message says
/// what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// No `@` at all.
    #[error("it has no @: use an address like name@example.com")]
    NoAt,
    /// More than one `@`.
    #[error("it has more than one @: use an address like name@example.com")]
    SeveralAts,
    /// The part before the `@` breaks the pattern.
    #[error(
        "before the @, use only ASCII letters, digits and {LOCAL_PART_SYMBOLS}, with \
         single dots between them (none at the start or end)"
    )]
    LocalPart,
    /// The part after the `@` breaks the pattern.
    #[error(
        "after the @, use a domain like example.com: two or more names separated by \
         single dots, each of ASCII letters, digits and hyphens, not starting or ending \
         with a hyphen"
    )]
    Domain,
}

/// Instant's `email/coerce`: lower-cased and trimmed, then it must match
/// Instant's email pattern (dot-separated atoms of ASCII letters, digits
/// and ``!#$%&'*+/=?^_`{|}~-``, `@`, two or more dot-separated labels of
/// ASCII letters, digits and inner hyphens).
pub fn coerce(text: &str) -> Result<String, EmailError> {
    let email = text.to_lowercase().trim().to_owned();
    let (local, domain) = email.split_once('@').ok_or(EmailError::NoAt)?;
    if domain.contains('@') {
        return Err(EmailError::SeveralAts);
    }
    let atom_char = |c: char| c.is_ascii_alphanumeric() || LOCAL_PART_SYMBOLS.contains(c);
    let local_ok = local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
    if !local_ok {
        return Err(EmailError::LocalPart);
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if domain.split('.').count() < 2 || !domain.split('.').all(label_ok) {
        return Err(EmailError::Domain);
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_pattern() {
        assert_eq!(
            coerce(" Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        for (bad, why) in [
            ("", EmailError::NoAt),
            ("  ", EmailError::NoAt),
            ("nope", EmailError::NoAt),
            ("a@b@c.co", EmailError::SeveralAts),
            ("@b.co", EmailError::LocalPart),
            ("a..b@c.co", EmailError::LocalPart),
            (".a@c.co", EmailError::LocalPart),
            ("a b@c.co", EmailError::LocalPart),
            ("é@b.co", EmailError::LocalPart),
            ("josé@example.com", EmailError::LocalPart),
            ("a@b", EmailError::Domain),
            ("a@localhost", EmailError::Domain),
            ("a@.co", EmailError::Domain),
            ("a@b.", EmailError::Domain),
            ("a@-b.co", EmailError::Domain),
            ("a@b-.co", EmailError::Domain),
            ("a@b_c.co", EmailError::Domain),
        ] {
            assert_eq!(coerce(bad), Err(why), "{bad:?}");
        }
        for good in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "x!#$%&'*+/=?^_`{|}~-@a-b.c0",
            "7@1.2",
        ] {
            assert_eq!(coerce(good).as_deref(), Ok(good), "{good:?}");
        }
    }
}
