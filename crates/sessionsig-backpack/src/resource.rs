//! `backpack://<owner><path>`: what a ReCap grant names and what a request touches.
//!
//! The owner is the wallet address as lowercase `0x` + 40 hex, and nothing else. A
//! checksummed (EIP-55) or uppercase spelling is **refused** with a message that gives the
//! lowercase form, rather than accepted and normalised. The resource URI is a ReCap
//! attenuation key, shown to the user in the SIWE statement and compared by every node and
//! by other implementations (the Lit SDK, browser code) as a *string*; if two spellings were
//! accepted, one grant could have two keys, and a string comparison somewhere (a revocation
//! list, a cache key, an attenuation check in another language) would see two different
//! resources. One resource, one spelling. The wallet UI has the address in whatever case;
//! lower-casing it is one call on the client.
//!
//! The path part follows [`crate::path`] (decoded once, refused when doubtful). Formatting
//! writes the canonical URL form of the path, so `parse(format(r)) == r`; a resource that
//! spelled its path with needless escapes (`/%61`) formats to the canonical spelling (`/a`),
//! which is why grants must be compared as parsed [`BackpackResource`]s, never as strings.

use crate::error::{Error, Result};
use crate::path::BackpackPath;
use alloy_primitives::Address;
use std::fmt;
use std::str::FromStr;

/// The URI scheme of backpack resources, with its `://`.
pub const SCHEME_PREFIX: &str = "backpack://";

/// A backpack resource: an owner's whole backpack, one folder, or one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackpackResource {
    /// The wallet whose backpack this is (grants are only ever rooted in it).
    pub owner: Address,
    /// The folder or object inside it.
    pub path: BackpackPath,
}

impl BackpackResource {
    /// The whole backpack of `owner` (`backpack://<owner>/`).
    pub fn whole(owner: Address) -> Self {
        BackpackResource {
            owner,
            path: BackpackPath::root(),
        }
    }

    /// Parse a ReCap resource URI `backpack://<owner><path>`.
    pub fn parse(uri: &str) -> Result<Self> {
        let rest = uri.strip_prefix(SCHEME_PREFIX).ok_or_else(|| {
            Error::InvalidResource(format!("a backpack resource starts with `{SCHEME_PREFIX}`"))
        })?;
        let (owner, raw_path) = split_owner(rest)?;
        Ok(BackpackResource {
            owner,
            path: BackpackPath::from_recap(raw_path)?,
        })
    }

    /// Parse the `<owner><path>` that follows `/v1/backpack/` in a request URL (raw, still
    /// percent-encoded: from `Uri::path()`), so the route and the grant use one parser.
    pub fn from_route(raw: &str) -> Result<Self> {
        let (owner, raw_path) = split_owner(raw)?;
        Ok(BackpackResource {
            owner,
            path: BackpackPath::from_request_path(raw_path)?,
        })
    }

    /// The `<owner><path>` of this resource as it goes after `/v1/backpack/` in a URL.
    pub fn to_route(&self) -> String {
        format!("{}{}", owner_hex(&self.owner), self.path.to_url_path())
    }

    /// Whether a grant on `self` reaches `other`: the same owner, and the path covers (a
    /// folder covers everything below it by whole segments; an object only itself).
    pub fn covers(&self, other: &BackpackResource) -> bool {
        self.owner == other.owner && self.path.covers(&other.path)
    }
}

/// `0x` + 40 lowercase hex: the one spelling of an owner.
fn owner_hex(owner: &Address) -> String {
    format!("0x{}", hex::encode(owner.as_slice()))
}

/// Split `0x<40 hex><path>` into the owner and the raw path, refusing every other spelling.
fn split_owner(text: &str) -> Result<(Address, &str)> {
    const OWNER_LEN: usize = 42;
    let owner = text.get(..OWNER_LEN).ok_or_else(|| {
        Error::InvalidResource("the owner is `0x` followed by 40 lowercase hex digits".into())
    })?;
    let rest = &text[OWNER_LEN..];
    let digits = owner.strip_prefix("0x").ok_or_else(|| {
        Error::InvalidResource("the owner is `0x` followed by 40 lowercase hex digits".into())
    })?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidResource(
            "the owner is `0x` followed by 40 lowercase hex digits".into(),
        ));
    }
    if digits.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Error::InvalidResource(format!(
            "the owner must be written in lowercase: 0x{}",
            digits.to_ascii_lowercase()
        )));
    }
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(digits, &mut bytes)
        .map_err(|_| Error::InvalidResource("the owner is not hexadecimal".into()))?;
    if !rest.starts_with('/') {
        return Err(Error::InvalidResource(
            "the owner is followed by a path starting with `/` (`/` for the whole backpack)".into(),
        ));
    }
    Ok((Address::from(bytes), rest))
}

impl fmt::Display for BackpackResource {
    /// The canonical `backpack://<owner><path>` (lowercase owner, canonical escapes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME_PREFIX}{}", self.to_route())
    }
}

impl FromStr for BackpackResource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        BackpackResource::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALICE: &str = "0x1111111111111111111111111111111111111111";
    const ALICE_MIXED: &str = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";

    fn r(s: &str) -> BackpackResource {
        BackpackResource::parse(s).unwrap()
    }

    #[test]
    fn parses_whole_folder_and_object() {
        let whole = r(&format!("backpack://{ALICE}/"));
        assert_eq!(whole, BackpackResource::whole(ALICE.parse().unwrap()));
        assert!(whole.path.is_folder());
        let folder = r(&format!("backpack://{ALICE}/photos/"));
        assert_eq!(folder.path.as_str(), "/photos/");
        let object = r(&format!("backpack://{ALICE}/photos/a%20b.jpg"));
        assert_eq!(object.path.as_str(), "/photos/a b.jpg");
        assert_eq!(
            object.to_string(),
            format!("backpack://{ALICE}/photos/a%20b.jpg")
        );
    }

    #[test]
    fn refuses_other_owner_spellings_with_the_fix() {
        let e = BackpackResource::parse(&format!("backpack://{ALICE_MIXED}/")).unwrap_err();
        assert_eq!(e.code(), "invalid_resource");
        assert!(
            e.to_string().contains(&ALICE_MIXED.to_ascii_lowercase()),
            "{e}"
        );
        for bad in [
            "backpack://0x1111/".to_string(),
            format!("backpack://{}/", &ALICE[2..]),
            format!("backpack://0X{}/", &ALICE[2..]),
            format!("backpack://{ALICE}"),
            format!("backpack://{ALICE}1/"),
            format!("backpack://{ALICE}:80/"),
            format!("backpack://user@{ALICE}/"),
            format!("Backpack://{ALICE}/"),
            format!("lit-pkp://{ALICE}/"),
            format!("backpack://0xg{}/", &ALICE[3..]),
            String::new(),
            "backpack://".into(),
            format!("backpack://{ALICE}é/"),
        ] {
            let e = BackpackResource::parse(&bad).unwrap_err();
            assert_eq!(e.code(), "invalid_resource", "{bad:?}");
        }
    }

    #[test]
    fn path_errors_are_invalid_path() {
        let e = BackpackResource::parse(&format!("backpack://{ALICE}/a/../b")).unwrap_err();
        assert_eq!(e.code(), "invalid_path");
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn covers_needs_the_same_owner() {
        let bob = "0x2222222222222222222222222222222222222222";
        let grant = r(&format!("backpack://{ALICE}/photos/"));
        assert!(grant.covers(&r(&format!("backpack://{ALICE}/photos/2024/a.jpg"))));
        assert!(!grant.covers(&r(&format!("backpack://{ALICE}/photos-old/a.jpg"))));
        assert!(!grant.covers(&r(&format!("backpack://{bob}/photos/a.jpg"))));
        assert!(r(&format!("backpack://{ALICE}/")).covers(&grant));
        assert!(!grant.covers(&r(&format!("backpack://{ALICE}/"))));
    }

    #[test]
    fn route_form_is_the_same_resource() {
        let res = BackpackResource::from_route(&format!("{ALICE}/photos/caf%C3%A9.jpg")).unwrap();
        assert_eq!(res.path.as_str(), "/photos/café.jpg");
        assert_eq!(res.to_route(), format!("{ALICE}/photos/caf%C3%A9.jpg"));
        assert_eq!(res, r(&format!("backpack://{ALICE}/photos/caf%C3%A9.jpg")));
        assert_eq!(
            BackpackResource::from_route(&format!("{ALICE}/%2e%2e/x"))
                .unwrap_err()
                .code(),
            "invalid_path"
        );
    }

    proptest! {
        #[test]
        fn parse_of_format_is_identity(owner: [u8; 20], segs in proptest::collection::vec("[a-zA-Z0-9 é%+;.~_-]{1,8}", 0..4), folder: bool) {
            let mut text = String::from("/");
            text.push_str(&segs.join("/"));
            if folder && !segs.is_empty() {
                text.push('/');
            }
            if let Ok(path) = BackpackPath::from_decoded(&text) {
                let res = BackpackResource { owner: Address::from(owner), path };
                prop_assert_eq!(BackpackResource::parse(&res.to_string()), Ok(res.clone()));
                prop_assert_eq!(BackpackResource::from_route(&res.to_route()), Ok(res.clone()));
                prop_assert!(res.covers(&res));
            }
        }
    }
}
