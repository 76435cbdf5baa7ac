//! The backpack web app, served by every node at `/` from files compiled into the binary.
//!
//! The app and its library live in `web/` at the repository root (plain ES modules, no build
//! step); `include_bytes!` embeds them, so a node serves exactly the files its tests drove and
//! nothing on disk can be swapped under it. Every answer carries a strict
//! Content-Security-Policy: scripts only from this origin (no inline script, no `eval`),
//! requests only to this origin and the network's other nodes, never framed — so an injected
//! `<script>` or a hostile frame cannot run or exfiltrate, and the session key, a
//! non-extractable WebCrypto key, cannot be read even by script that does run.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sessionsig::url::NodeUrl;

/// One embedded file.
struct Asset {
    /// The URL path it is served at.
    path: &'static str,
    /// Its media type.
    content_type: &'static str,
    /// Its bytes.
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the app, by URL path.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../../web/app/index.html"),
    },
    Asset {
        path: "/app/app.js",
        content_type: JS,
        body: include_bytes!("../../../web/app/app.js"),
    },
    Asset {
        path: "/app/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../../web/app/style.css"),
    },
    Asset {
        path: "/lib/index.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/index.js"),
    },
    Asset {
        path: "/lib/backpack.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/backpack.js"),
    },
    Asset {
        path: "/lib/bytes.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/bytes.js"),
    },
    Asset {
        path: "/lib/errors.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/errors.js"),
    },
    Asset {
        path: "/lib/eth.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/eth.js"),
    },
    Asset {
        path: "/lib/httpsig.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/httpsig.js"),
    },
    Asset {
        path: "/lib/keccak.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/keccak.js"),
    },
    Asset {
        path: "/lib/recap.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/recap.js"),
    },
    Asset {
        path: "/lib/session-key.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/session-key.js"),
    },
    Asset {
        path: "/lib/session.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/session.js"),
    },
    Asset {
        path: "/lib/siwe.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/siwe.js"),
    },
    Asset {
        path: "/lib/wallet.js",
        content_type: JS,
        body: include_bytes!("../../../web/lib/wallet.js"),
    },
];

/// The Content-Security-Policy for a network of `nodes` (their URLs): `connect-src` lists
/// this origin and the origin of each node URL that parses (the one URL type, [`NodeUrl`])
/// as `http(s)`; anything else in the list is left out rather than trusted.
pub fn content_security_policy(nodes: &[String]) -> String {
    let mut connect = String::from("'self'");
    for n in nodes {
        if let Ok(url) = NodeUrl::parse_http(n) {
            connect.push(' ');
            connect.push_str(&url.origin());
        }
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The app's routes for a node of the network `nodes`, to merge into the node's router.
pub fn router<S: Clone + Send + Sync + 'static>(nodes: &[String]) -> Router<S> {
    // The policy is built from checked characters only; should it still not be a header
    // value, the strictest policy (this origin only) is served instead of none.
    let csp = HeaderValue::from_str(&content_security_policy(nodes))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    let mut r = Router::new();
    for asset in ASSETS {
        let csp = csp.clone();
        r = r.route(asset.path, get(move || serve(asset, csp)));
    }
    r
}

async fn serve(asset: &'static Asset, csp: HeaderValue) -> Response {
    let mut resp = (StatusCode::OK, asset.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lists_only_plain_node_origins() {
        let csp = content_security_policy(&[
            "http://127.0.0.1:7470".into(),
            "https://node.example:443/".into(),
            "http://evil; script-src *".into(),
            "https://user:pw@evil2.example".into(),
            "https://gw.example/lit/node1".into(),
        ]);
        assert!(csp.contains(
            "connect-src 'self' http://127.0.0.1:7470 https://node.example https://gw.example;"
        ));
        assert!(!csp.contains("evil2") && !csp.contains("pw"));
        assert!(!csp.contains("evil"));
        assert!(csp.contains("script-src 'self';"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn every_library_module_is_embedded() {
        let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/lib");
        let entries = std::fs::read_dir(&lib).unwrap();
        for e in entries {
            let name = e.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".js") {
                let path = format!("/lib/{name}");
                assert!(
                    ASSETS.iter().any(|a| a.path == path),
                    "{path} is not embedded"
                );
            }
        }
    }
}
