//! Backpack abilities (`backpack/read`, …) and which HTTP request needs which.
//!
//! The mapping from request to ability lives here, next to the abilities, so that the route
//! cannot pick the ability from anything but the method and the kind of path: a GET on a
//! folder is a listing (`backpack/list`), never a read, so a grant to read one file cannot
//! enumerate its neighbours, and a grant to list cannot read contents.

use crate::error::{Error, Result};
use crate::path::BackpackPath;
use http::Method;
use std::fmt;
use std::str::FromStr;

/// The ReCap namespace of backpack abilities.
pub const NAMESPACE: &str = "backpack";

/// One backpack ability, as granted in a ReCap (`namespace/name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackpackAbility {
    /// `backpack/read`: GET and HEAD of an object.
    Read,
    /// `backpack/list`: GET (and HEAD) of a folder.
    List,
    /// `backpack/write`: PUT of an object.
    Write,
    /// `backpack/delete`: DELETE of an object.
    Delete,
    /// `backpack/*`: every ability.
    All,
}

impl BackpackAbility {
    /// Every ability, `All` last.
    pub const ALL: [BackpackAbility; 5] = [
        BackpackAbility::Read,
        BackpackAbility::List,
        BackpackAbility::Write,
        BackpackAbility::Delete,
        BackpackAbility::All,
    ];

    /// The ReCap ability string (`backpack/read`, …, `backpack/*`).
    pub fn as_str(self) -> &'static str {
        match self {
            BackpackAbility::Read => "backpack/read",
            BackpackAbility::List => "backpack/list",
            BackpackAbility::Write => "backpack/write",
            BackpackAbility::Delete => "backpack/delete",
            BackpackAbility::All => "backpack/*",
        }
    }

    /// The name after `backpack/` (`read`, …, `*`), for ReCap code that splits abilities.
    pub fn name(self) -> &'static str {
        &self.as_str()[NAMESPACE.len() + 1..]
    }

    /// Whether a grant of `self` allows an operation that needs `needed`: `backpack/*`
    /// covers all, every other ability only itself.
    pub fn covers(self, needed: BackpackAbility) -> bool {
        self == BackpackAbility::All || self == needed
    }

    /// The ability an HTTP request on `path` needs: GET/HEAD of an object = read, GET/HEAD
    /// of a folder = list, PUT of an object = write, DELETE of an object = delete. Writing
    /// or deleting a folder, and every other method, is `405 method_not_allowed`.
    pub fn for_request(method: &Method, path: &BackpackPath) -> Result<Self> {
        let folder = path.is_folder();
        match (method, folder) {
            (m, false) if m == Method::GET || m == Method::HEAD => Ok(BackpackAbility::Read),
            (m, true) if m == Method::GET || m == Method::HEAD => Ok(BackpackAbility::List),
            (m, false) if m == Method::PUT => Ok(BackpackAbility::Write),
            (m, false) if m == Method::DELETE => Ok(BackpackAbility::Delete),
            (m, _) => Err(Error::MethodNotAllowed {
                method: m.as_str().to_owned(),
                target: if folder { "a folder" } else { "an object" },
            }),
        }
    }

    /// Whether requests needing this ability change data, and so must carry an HTTP
    /// message signature by the session key (issue 11: a captured SessionSig alone must
    /// not write or delete).
    pub fn changes_data(self) -> bool {
        matches!(
            self,
            BackpackAbility::Write | BackpackAbility::Delete | BackpackAbility::All
        )
    }
}

impl fmt::Display for BackpackAbility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackpackAbility {
    type Err = Error;

    /// Parse an ability string exactly (case-sensitive, as ReCap abilities are).
    fn from_str(s: &str) -> Result<Self> {
        BackpackAbility::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidAbility(format!(
                    "`{s}` is not one of backpack/read, backpack/list, backpack/write, \
                     backpack/delete, backpack/*"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format_round_trip() {
        for a in BackpackAbility::ALL {
            assert_eq!(a.as_str().parse::<BackpackAbility>(), Ok(a));
            assert_eq!(format!("{NAMESPACE}/{}", a.name()), a.to_string());
        }
        for bad in [
            "",
            "backpack",
            "backpack/",
            "backpack/READ",
            "Backpack/read",
            "backpack/read ",
            "backpack/execute",
            "lit/read",
            "*/*",
            "backpack/**",
        ] {
            assert_eq!(
                bad.parse::<BackpackAbility>().unwrap_err().code(),
                "invalid_ability",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn star_covers_all_others_only_themselves() {
        use BackpackAbility::*;
        for a in BackpackAbility::ALL {
            assert!(All.covers(a));
            assert!(a.covers(a));
        }
        for a in [Read, List, Write, Delete] {
            for b in BackpackAbility::ALL {
                assert_eq!(a.covers(b), a == b, "{a} covers {b}");
            }
        }
    }

    #[test]
    fn methods_map_to_abilities() {
        let object = BackpackPath::from_request_path("/a.txt").unwrap();
        let folder = BackpackPath::from_request_path("/a/").unwrap();
        let need = |m: Method, p: &BackpackPath| BackpackAbility::for_request(&m, p);
        assert_eq!(need(Method::GET, &object), Ok(BackpackAbility::Read));
        assert_eq!(need(Method::HEAD, &object), Ok(BackpackAbility::Read));
        assert_eq!(need(Method::GET, &folder), Ok(BackpackAbility::List));
        assert_eq!(need(Method::HEAD, &folder), Ok(BackpackAbility::List));
        assert_eq!(need(Method::PUT, &object), Ok(BackpackAbility::Write));
        assert_eq!(need(Method::DELETE, &object), Ok(BackpackAbility::Delete));
        for (m, p) in [
            (Method::PUT, &folder),
            (Method::DELETE, &folder),
            (Method::POST, &object),
            (Method::PATCH, &object),
            (Method::OPTIONS, &object),
        ] {
            let e = need(m.clone(), p).unwrap_err();
            assert_eq!((e.code(), e.status()), ("method_not_allowed", 405), "{m}");
        }
        assert!(BackpackAbility::Write.changes_data());
        assert!(BackpackAbility::Delete.changes_data());
        assert!(!BackpackAbility::Read.changes_data());
        assert!(!BackpackAbility::List.changes_data());
    }
}
