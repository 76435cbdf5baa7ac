//! A place in someone's backpack: the owner's wallet and a checked path.
//!
//! People write plain paths (`/photos/a b.jpg`); the path is checked by the backpack's own
//! rules ([`sessionsig_backpack::BackpackPath::from_decoded`]) before anything is signed or
//! sent, so a path the node would refuse is refused here with the same code.

use super::error::{BackpackError, BackpackResult};
use alloy_primitives::Address;
use sessionsig::lit::{BackpackId, LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig_backpack::BackpackPath;
use std::fmt;

/// An object or a folder (path ending in `/`) in `owner`'s backpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    owner: Address,
    path: BackpackPath,
}

impl Remote {
    /// `path` (decoded, starting with `/`) in `owner`'s backpack.
    ///
    /// Errors: `invalid_path` with the rule broken.
    pub fn new(owner: Address, path: &str) -> BackpackResult<Self> {
        let path = BackpackPath::from_decoded(path).map_err(|e| {
            BackpackError::invalid(
                "invalid_path",
                format!("{path:?} is not a backpack path: {e}"),
            )
        })?;
        Ok(Remote { owner, path })
    }

    /// The whole backpack of `owner`.
    pub fn root(owner: Address) -> Self {
        Remote {
            owner,
            path: BackpackPath::root(),
        }
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.owner
    }

    /// The decoded path.
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// Whether this names a folder.
    pub fn is_folder(&self) -> bool {
        self.path.is_folder()
    }

    /// Whether `self` (a folder) contains `other`, or is it.
    pub fn covers(&self, other: &Remote) -> bool {
        self.owner == other.owner && self.path.covers(&other.path)
    }

    /// The owner as the backpack writes it: lowercase `0x` + 40 hex.
    pub fn owner_hex(&self) -> String {
        format!("{:#x}", self.owner)
    }

    /// The route on a node: `/v1/backpack/<owner><encoded path>`.
    pub fn route(&self) -> String {
        format!(
            "/v1/backpack/{}{}",
            self.owner_hex(),
            self.path.to_url_path()
        )
    }

    /// The ReCap resource, `backpack://<owner><path>`.
    pub fn resource(&self) -> BackpackResult<LitResource> {
        let id = BackpackId::parse(&format!("{}{}", self.owner_hex(), self.path.to_url_path()))?;
        Ok(LitResource::backpack(&id))
    }

    /// A resource/ability request for `ability` here.
    pub fn request(&self, ability: LitAbility) -> BackpackResult<ResourceAbilityRequest> {
        Ok(ResourceAbilityRequest::new(self.resource()?, ability)?)
    }

    /// The folder `self` is in, or `self` when it is a folder.
    pub fn folder(&self) -> Remote {
        if self.is_folder() {
            return self.clone();
        }
        Remote {
            owner: self.owner,
            path: self.path.parent().unwrap_or_else(BackpackPath::root),
        }
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backpack://{}{}", self.owner_hex(), self.path.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_are_checked_and_encoded() {
        let owner: Address = "0x00000000000000000000000000000000000000aa"
            .parse()
            .unwrap();
        let r = Remote::new(owner, "/photos/a b.jpg").unwrap();
        assert_eq!(
            r.route(),
            "/v1/backpack/0x00000000000000000000000000000000000000aa/photos/a%20b.jpg"
        );
        assert_eq!(r.folder().path(), "/photos/");
        assert!(r.folder().covers(&r));
        assert_eq!(
            r.resource().unwrap().key(),
            "backpack://0x00000000000000000000000000000000000000aa/photos/a%20b.jpg"
        );
        for bad in ["photos", "/a/../b", "/a//b", "/a\\b"] {
            assert_eq!(
                Remote::new(owner, bad).unwrap_err().code(),
                "invalid_path",
                "{bad}"
            );
        }
    }
}
