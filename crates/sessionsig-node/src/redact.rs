//! One rule for printing a URL that may hold a secret: the core's
//! [`sessionsig::url::redact_url`], re-exported so the node's modules name it as before.
//! Nothing else in the node formats a configured URL.

pub use sessionsig::url::redact_url;
