//! Backpack resources, `backpack://<owner>/<path>`: what a grant on the data backpack names.
//!
//! The verifier must decide coverage exactly, so the grammar lives in the core: `<owner>` is the
//! wallet as lowercase `0x` + 40 hex; `<path>` starts with `/`; a path ending in `/` is a folder
//! and covers everything below it **by whole segments** (`/photos/` covers `/photos/2024/a.jpg`,
//! never `/photos-old/a.jpg`). A path that could mean another path is refused, never
//! normalised: `.`/`..`/empty segments, `\`, control characters, bad or double escapes, escapes
//! of `/`, over-long paths or segments, Unicode look-alikes of them (see
//! [`BackpackPath`](super::BackpackPath)).

use super::backpack_path::BackpackPath;
use crate::error::{Error, Result};
use alloy_primitives::Address;

/// A whole backpack resource id (`<owner><path>`, the part after `backpack://`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackpackId {
    /// Whose backpack.
    pub owner: Address,
    /// Where in it.
    pub path: BackpackPath,
}

impl BackpackId {
    /// Parse `0x<40 lowercase hex><path>`.
    ///
    /// Errors: [`Error::InvalidResource`] for a bad owner; [`Error::InvalidPath`] for a bad path.
    pub fn parse(id: &str) -> Result<Self> {
        let owner_text = id.get(..42).filter(|o| {
            o.starts_with("0x")
                && o[2..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let Some(owner_text) = owner_text else {
            return Err(Error::InvalidResource(format!(
                "backpack owner must be lowercase 0x + 40 hex: {}",
                shown(id)
            )));
        };
        let owner = owner_text
            .parse::<Address>()
            .map_err(|e| Error::InvalidResource(e.to_string()))?;
        let path = BackpackPath::from_recap(&id[42..])
            .map_err(|e| Error::InvalidPath(format!("{}: {e}", shown(&id[42..]))))?;
        Ok(BackpackId { owner, path })
    }

    /// The id as written in a resource key: lowercase owner, encoded path.
    pub fn to_id(&self) -> String {
        format!("{:#x}{}", self.owner, self.path.to_url_path())
    }

    /// Same owner, and this path covers the other's.
    pub fn covers(&self, other: &BackpackId) -> bool {
        self.owner == other.owner && self.path.covers(&other.path)
    }
}

fn shown(raw: &str) -> String {
    let s: String = raw.chars().take(120).collect();
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "0x00000000000000000000000000000000000000aa";

    #[test]
    fn ids_refuse_paths_that_could_mean_another() {
        for bad in [
            "",
            "photos",
            "//",
            "/a//b",
            "/./a",
            "/a/..",
            "/%2e%2e/b",
            "/a%2fb",
            "/%252e/",
        ] {
            let e = BackpackId::parse(&format!("{OWNER}{bad}")).unwrap_err();
            assert_eq!(e.code(), "invalid_path", "{bad:?}");
        }
    }

    #[test]
    fn ids_round_trip() {
        for id in [
            format!("{OWNER}/"),
            format!("{OWNER}/photos/"),
            format!("{OWNER}/photos/summer%20trip/a.jpg"),
            format!("{OWNER}/%C3%A9t%C3%A9/"),
        ] {
            let parsed = BackpackId::parse(&id).unwrap();
            assert_eq!(BackpackId::parse(&parsed.to_id()).unwrap(), parsed);
        }
        let upper = OWNER.to_uppercase().replacen("0X", "0x", 1);
        assert_eq!(
            BackpackId::parse(&format!("{upper}/")).unwrap_err().code(),
            "invalid_resource"
        );
        assert_eq!(
            BackpackId::parse(&format!("{OWNER}x/")).unwrap_err().code(),
            "invalid_path"
        );
    }
}
