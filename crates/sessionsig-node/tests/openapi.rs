//! `/openapi.json` against the node that serves it: a real node (SQLite store, so the backpack
//! is mounted) on a loopback port, real HTTP, real signatures.
//!
//! The document is OpenAPI 3.1 JSON, every `$ref` resolves; every route of the module tables
//! of `routes.rs` and of the backpack's `routes.rs` is in it; every documented operation is
//! served and answers one of its documented statuses, and the methods it does not document
//! are `405`; real answers (a verified session, a revocation, a PUT, a listing) decode into
//! the document's wire types, which refuse unknown fields.

mod common;

use common::backpack::*;
use common::*;
use serde_json::Value;
use sessionsig::auth_sig::RevocationTarget;
use sessionsig::lit::LitAbility;
use sessionsig::recap::Caveat;
use sessionsig::wallet::WalletSigner;
use sessionsig_client::reqwest;
use sessionsig_node::config::NodeConfig;
use sessionsig_node::openapi::{
    self, ErrorBody, Handshake, Health, Listing, ObjectMetaJson, RevocationLookup,
    RevocationReceipt, VerifiedSession,
};
use sessionsig_node::Node;
use std::collections::BTreeSet;

/// A node on the default store (SQLite in its data directory): its URL, shutdown, data dir.
async fn sqlite_node() -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let url = format!("http://127.0.0.1:{port}");
    let c = NodeConfig {
        public_url: Some(url.clone()),
        data_dir: Some(dir.path().to_owned()),
        ..NodeConfig::default()
    };
    let settings = c.resolve(false).expect("settings");
    assert!(
        settings.store.expose().starts_with("sqlite://"),
        "{}",
        settings.store
    );
    let node = Node::bind(settings).await.expect("bind");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.serve(async move {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (url, tx, task, dir)
}

async fn fetch_document(c: &reqwest::Client, url: &str) -> Value {
    let r = c
        .get(format!("{url}{}", openapi::PATH))
        .send()
        .await
        .expect("GET /openapi.json");
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON document")
}

/// Every `"$ref"` string anywhere in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// (METHOD, path template) of every operation of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "head", "patch", "options"]
                .contains(&method.as_str())
            {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// The `| METHOD | path | …` rows of a module doc table: (method, path column).
fn table_rows(source: &str) -> Vec<(String, String)> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| {
            let (method, rest) = l.split_once('`')?;
            let path = rest.trim_start_matches(" |").trim().split(" |").next()?;
            Some((method.to_owned(), path.trim().trim_matches('`').to_owned()))
        })
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_and_every_ref_resolves() {
    let doc = serde_json::to_value(openapi::document()).expect("serializes");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["version"].is_string());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(
        all.len() > 20,
        "the paths use the components: {}",
        all.len()
    );
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(schemas.contains_key(name), "{r} resolves");
    }
    let scheme = &doc["components"]["securitySchemes"][openapi::SESSION_SIG_SCHEME];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "Authorization");
    // Object bytes are a binary string, not a JSON array of numbers.
    let object = &doc["paths"]["/v1/backpack/{owner}/{path}"];
    let bytes = &object["put"]["requestBody"]["content"]["application/octet-stream"]["schema"];
    assert_eq!(bytes["type"], "string");
    assert_eq!(bytes["format"], "binary");
    assert_eq!(
        object["get"]["responses"]["200"]["content"]["*/*"]["schema"],
        *bytes
    );
    // Every error answer has the `{code, error}` body, except HEAD's (no body); a header
    // parameter is a string (absent when optional, never `null`).
    for (method, path) in operations(&doc) {
        let params = doc["paths"][&path][method.to_lowercase()]["parameters"].clone();
        for p in params.as_array().into_iter().flatten() {
            if p["in"] == "header" {
                assert_eq!(
                    p["schema"]["type"], "string",
                    "{method} {path} {}",
                    p["name"]
                );
            }
        }
        let responses = doc["paths"][&path][method.to_lowercase()]["responses"]
            .as_object()
            .expect("responses")
            .clone();
        for (status, resp) in responses {
            let is_error = status.starts_with('4') || status.starts_with('5');
            let body = &resp["content"]["application/json"]["schema"]["$ref"];
            if is_error && method != "HEAD" {
                assert_eq!(
                    body, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            if method == "HEAD" {
                assert!(
                    resp.get("content").is_none(),
                    "HEAD {path} {status} has no body"
                );
            }
        }
    }
}

#[test]
fn every_route_of_the_module_tables_is_documented() {
    let doc = serde_json::to_value(openapi::document()).expect("serializes");
    let ops = operations(&doc);
    let node = table_rows(include_str!("../src/routes.rs"));
    assert_eq!(node.len(), 7, "the node's table: {node:?}");
    for (method, path) in node {
        // `/v1/revocations/{id}[?grantedBy=0x…]`: the query is a parameter.
        let path = path.split('[').next().expect("path").to_owned();
        assert!(
            ops.contains(&(method.clone(), path.clone())),
            "{method} {path}"
        );
    }
    let backpack = table_rows(include_str!("../../sessionsig-backpack/src/routes.rs"));
    assert_eq!(backpack.len(), 5, "the backpack's table: {backpack:?}");
    for (method, what) in backpack {
        let paths: &[&str] = if what.starts_with("folder") {
            &["/v1/backpack/{owner}/", "/v1/backpack/{owner}/{folder}/"]
        } else {
            assert_eq!(what, "object");
            &["/v1/backpack/{owner}/{path}"]
        };
        for p in paths {
            assert!(
                ops.contains(&(method.clone(), (*p).to_owned())),
                "{method} {p}"
            );
        }
    }
    assert!(ops.contains(&("GET".into(), openapi::PATH.into())));
}

/// A concrete URL path for a template.
fn concrete(template: &str, owner: &str) -> String {
    template
        .replace("{owner}", owner)
        .replace("{path}", "notes.txt")
        .replace("{folder}", "photos")
        .replace("{id}", &format!("session-key:{}", "ab".repeat(32)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_node_serves_what_the_document_says() {
    let (url, stop, task, _dir) = sqlite_node().await;
    let c = client();
    let doc = fetch_document(&c, &url).await;
    assert_eq!(
        doc,
        serde_json::to_value(openapi::document()).expect("serializes"),
        "the node serves the document of its code"
    );
    let owner = format!("{:#x}", wallet(0x0a).address());
    let ops = operations(&doc);
    let paths: BTreeSet<String> = ops.iter().map(|(_, p)| p.clone()).collect();
    for (method, template) in &ops {
        let target = concrete(template, &owner);
        let r = c
            .request(method.parse().expect("method"), format!("{url}{target}"))
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16().to_string();
        let documented = doc["paths"][template][method.to_lowercase()]["responses"]
            .as_object()
            .expect("responses");
        let body = r.bytes().await.expect("body");
        assert!(
            documented.contains_key(&status),
            "{method} {target}: {status} is not documented ({})",
            String::from_utf8_lossy(&body)
        );
        if status.starts_with('4') && method != "HEAD" {
            let e: ErrorBody = serde_json::from_slice(&body).expect("error body");
            assert_ne!(e.code, "method_not_allowed", "{method} {target} is served");
            assert!(
                !e.error.contains("no such route"),
                "{method} {target} is served"
            );
        }
    }
    // What the document does not list is not served (HEAD of a GET route aside: HTTP gives
    // it to every GET).
    for template in &paths {
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"] {
            if ops.contains(&(method.to_owned(), template.clone())) {
                continue;
            }
            let target = concrete(template, &owner);
            let r = c
                .request(method.parse().expect("method"), format!("{url}{target}"))
                .send()
                .await
                .expect("send");
            assert_eq!(r.status().as_u16(), 405, "{method} {target} is not served");
        }
    }
    // The open routes' answers decode into the document's types.
    let (s, v) = get(&c, &url, "/v1/handshake", None).await;
    assert_eq!(s, 200);
    let h: Handshake = serde_json::from_value(v).expect("handshake");
    assert_eq!(h.node_url, url);
    let (s, v) = get(&c, &url, "/healthz", None).await;
    assert_eq!(s, 200);
    let _: Health = serde_json::from_value(v).expect("health");
    let _ = stop.send(());
    task.await.expect("node stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_decode_into_the_documented_types() {
    let (url, stop, task, _dir) = sqlite_node().await;
    let c = client();
    let alice = wallet(0xa1);
    let whole = bp_key(&alice, "/");
    let nodes = [url.clone()];
    let (key, sigs) = bp_session(
        &alice,
        bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
        &[(&whole, LitAbility::BackpackAll)],
        &[],
        &nodes,
    );
    let sig = sigs.get(&url).expect("sig");

    // A verified session, from /v1/authorize and /v1/session.
    let (s, v) = post(&c, &url, "/v1/authorize", &authorize(&sigs, &url)).await;
    assert_eq!(s, 200, "{v}");
    let session: VerifiedSession = serde_json::from_value(v).expect("verified session");
    assert_eq!(session.session_key, key.public_key().to_hex());
    assert_eq!(session.capabilities.len(), 1);
    let auth = sessionsig_node::authorization_value(sig);
    let (s, v) = get(&c, &url, "/v1/session", Some(auth)).await;
    assert_eq!(s, 200, "{v}");
    let _: VerifiedSession = serde_json::from_value(v).expect("session");

    // A PUT, then the listings of the top folder and of /photos/.
    let route = bp_route(&alice, "/photos/a.txt");
    let r = bp(
        &c,
        &url,
        "PUT",
        &route,
        sig,
        Some(&key),
        Some(b"hello"),
        &[],
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let meta: ObjectMetaJson = serde_json::from_value(r.json()).expect("object meta");
    assert_eq!((meta.path.as_str(), meta.size), ("/photos/a.txt", 5));
    let r = bp(
        &c,
        &url,
        "GET",
        &bp_route(&alice, "/"),
        sig,
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    let top: Listing = serde_json::from_value(r.json()).expect("listing");
    assert_eq!(top.folders, vec!["/photos/".to_owned()]);
    assert!(top.next.is_none());
    let r = bp(
        &c,
        &url,
        "GET",
        &bp_route(&alice, "/photos/?limit=1"),
        sig,
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    let photos: Listing = serde_json::from_value(r.json()).expect("listing");
    assert_eq!(photos.entries.len(), 1);
    assert_eq!(photos.entries[0].digest, meta.digest);

    // A revocation and its lookup, with and without grantedBy.
    let target = RevocationTarget::SessionKey(key.public_key().to_hex());
    let rev = revocation(&alice, &target);
    let (s, v) = post(
        &c,
        &url,
        "/v1/revocations",
        &serde_json::to_value(&rev).expect("json"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let receipt: RevocationReceipt = serde_json::from_value(v).expect("receipt");
    for query in [String::new(), format!("?grantedBy={}", alice.address())] {
        let (s, v) = get(
            &c,
            &url,
            &format!("/v1/revocations/{}{query}", receipt.id),
            None,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let lookup: RevocationLookup = serde_json::from_value(v).expect("lookup");
        assert_eq!(lookup.revocations.len(), 1);
        assert!(lookup.revocations[0].revocation.is_some());
        assert_eq!(lookup.revoked.is_some(), !query.is_empty());
    }
    let _ = stop.send(());
    task.await.expect("node stops");
}

/// The `pattern` of path parameter `name` of `method template` in `doc`.
fn path_pattern(doc: &Value, method: &str, template: &str, name: &str) -> regex::Regex {
    let params = doc["paths"][template][method]["parameters"]
        .as_array()
        .expect("parameters");
    let p = params
        .iter()
        .find(|p| p["in"] == "path" && p["name"] == name)
        .expect("the parameter");
    regex::Regex::new(p["schema"]["pattern"].as_str().expect("a pattern")).expect("a regex")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_id_is_accepted_exactly_when_it_matches_its_documented_pattern() {
    let (url, stop, task, _dir) = sqlite_node().await;
    let c = client();
    let doc = fetch_document(&c, &url).await;
    let id = path_pattern(&doc, "get", "/v1/revocations/{id}", "id");
    let status = |id: String| {
        let c = c.clone();
        let url = url.clone();
        async move {
            let r = c
                .get(format!("{url}/v1/revocations/{id}"))
                .send()
                .await
                .expect("send");
            r.status().as_u16()
        }
    };
    // The ids the node writes match the pattern, and are looked up (nobody revoked them).
    let key = sessionsig::session::SessionKeyPair::generate();
    let good = [
        RevocationTarget::SessionKey(key.public_key().to_hex()).id(),
        RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(0xab)).id(),
        format!("auth-sig:0x{}", "AB".repeat(32)),
    ];
    for g in good {
        assert!(id.is_match(&g), "{g}");
        assert_eq!(status(g.clone()).await, 404, "{g}");
    }
    // Outside the pattern: refused as a bad request, never looked up.
    let hex = "ab".repeat(32);
    let bad = [
        format!("session-key:{}", hex.to_uppercase()),
        format!("session-key:0x{hex}"),
        format!("auth-sig:{hex}"),
        format!("auth-sig:0X{hex}"),
        "auth-sig:0x12".to_owned(),
        format!("sessionkey:{hex}"),
    ];
    for b in bad {
        assert!(!id.is_match(&b), "{b}");
        assert_eq!(status(b.clone()).await, 400, "{b}");
    }
    let _ = stop.send(());
    task.await.expect("node task");
}
