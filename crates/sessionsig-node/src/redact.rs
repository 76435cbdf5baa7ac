//! One rule for printing a URL that may hold a secret: the core's
//! [`sessionsig::url::redact_url`], re-exported so the node's modules name it as before.
//! Nothing else in the node formats a configured URL.

pub use sessionsig::url::redact_url;

/// A configured URL that may hold a secret (a store URL with a password, a JSON-RPC endpoint
/// with an API key). Its `Debug` and `Display` are [`redact_url`]'s, so a struct holding one
/// can derive `Debug`; [`SecretUrl::expose`] gives the whole URL to the code that connects.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// The whole URL, secrets included: only for opening the connection.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> Self {
        SecretUrl(url)
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> Self {
        SecretUrl(url.to_owned())
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// A secret that is never printed (`Debug` shows `<redacted>`), so a struct holding one can
/// derive `Debug`.
#[derive(Clone)]
pub struct Hidden<T>(pub T);

impl<T> std::ops::Deref for Hidden<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Hidden<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_never_print_their_secret() {
        let u = SecretUrl::from("postgres://u:pw1@db/x?password=pw2");
        assert_eq!(u.expose(), "postgres://u:pw1@db/x?password=pw2");
        for shown in [format!("{u:?}"), format!("{u}")] {
            assert!(!shown.contains("pw1") && !shown.contains("pw2"), "{shown}");
            assert!(shown.contains("db/x"), "{shown}");
        }
        let h = Hidden([7u8; 4]);
        assert_eq!(format!("{h:?}"), "<redacted>");
        assert_eq!(*h, [7u8; 4]);
    }
}
