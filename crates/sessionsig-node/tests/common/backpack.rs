//! Backpack requests as a client makes them: sessions and shares for `backpack://` resources,
//! SessionSigs per node, RFC 9421 signatures by the session key, `Content-Digest`.

use super::*;
use sessionsig::session::SessionSig;
use sessionsig_backpack::httpsig::{new_nonce, sign_backpack_request};
use sessionsig_backpack::ContentDigest;
use sessionsig_node::auth::authorization_value;

/// `backpack://<owner lowercase><path>`.
pub fn bp_key(owner: &LocalWallet, path: &str) -> String {
    format!("backpack://{:#x}{path}", owner.address())
}

/// `<owner lowercase><path>`, what follows `/v1/backpack/`.
pub fn bp_route(owner: &LocalWallet, path: &str) -> String {
    format!("{:#x}{path}", owner.address())
}

/// A grant of `abilities` on each resource, under `caveat` (`{}` = unrestricted).
pub fn bp_grants(entries: &[(&str, &[&str])], caveat: &Caveat) -> Capability {
    let mut c = Capability::new();
    for (resource, abilities) in entries {
        for a in *abilities {
            c.add_ability(resource, a, vec![caveat.clone()])
                .expect("grant");
        }
    }
    c
}

/// `owner`'s session: its AuthSig grants `grants` to a new session key, which asks for
/// `requests` and carries `carried` (delegations) for `nodes`.
pub fn bp_session(
    owner: &LocalWallet,
    grants: Capability,
    requests_: &[(&str, LitAbility)],
    carried: &[AuthSig],
    nodes: &[String],
) -> (SessionKeyPair, SessionSigs) {
    let key = SessionKeyPair::generate();
    let sigs = bp_session_sigs(owner, &key, grants, requests_, carried, nodes);
    (key, sigs)
}

/// The same for a given session key.
pub fn bp_session_sigs(
    owner: &LocalWallet,
    key: &SessionKeyPair,
    grants: Capability,
    requests_: &[(&str, LitAbility)],
    carried: &[AuthSig],
    nodes: &[String],
) -> SessionSigs {
    let auth = session_auth_sig(owner, key, grants);
    let mut caps = carried.to_vec();
    caps.push(auth);
    sign(key, &requests(requests_), &caps, nodes)
}

/// A delegation AuthSig from `from` granting `cap`, valid for two hours (sessions made with
/// [`session_auth_sig`] last one: a grant may not outlive the delegation it rests on).
pub fn bp_delegation(from: &LocalWallet, cap: Capability) -> AuthSig {
    let now = now();
    AuthSig::create(
        from,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: DELEGATION_URI.into(),
            statement: None,
            nonce: format!("share{}", unique()),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now - Duration::minutes(1)),
            expiration: Some(Timestamp::from_instant(now + Duration::hours(2))),
            not_before: None,
            capability: cap,
        },
    )
    .expect("delegation")
}

/// A prepared request (kept whole so a test can send it twice).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_owned()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
}

/// `method` on `/v1/backpack/<route>` at `node`, with the SessionSig `sig`; signed by `key`
/// when given (RFC 9421, with `Content-Digest` of `body`).
pub fn prepare(
    node: &str,
    method: &str,
    route: &str,
    sig: &SessionSig,
    key: Option<&SessionKeyPair>,
    body: Option<&[u8]>,
    extra: &[(&str, &str)],
) -> Prepared {
    let url = format!("{node}/v1/backpack/{route}");
    let mut req = http::Request::builder()
        .method(method)
        .uri(&url)
        .body(())
        .expect("request");
    let h = req.headers_mut();
    let mut set = |k: &str, v: &str| {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            http::HeaderValue::from_str(v).expect("value"),
        );
    };
    set("authorization", &authorization_value(sig));
    if let Some(b) = body {
        set("content-digest", &ContentDigest::of(b).header_value());
        set("content-type", "application/octet-stream");
    }
    for (k, v) in extra {
        set(k, v);
    }
    if let Some(key) = key {
        sign_backpack_request(
            &mut req,
            key,
            sessionsig::time::OffsetDateTime::now_utc(),
            &new_nonce(),
        )
        .expect("sign");
    }
    Prepared {
        method: method.parse().expect("method"),
        url,
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().expect("ascii").to_owned()))
            .collect(),
        body: body.map(<[u8]>::to_vec),
    }
}

/// Send a prepared request.
pub async fn send(c: &reqwest::Client, p: &Prepared) -> Answer {
    let mut b = c.request(p.method.clone(), &p.url);
    for (k, v) in &p.headers {
        b = b.header(k, v);
    }
    if let Some(body) = &p.body {
        b = b.body(body.clone());
    }
    let r = b
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", p.method, p.url));
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.expect("body").to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Prepare and send. (Every argument is a part of the request a test varies.)
#[allow(clippy::too_many_arguments)]
pub async fn bp(
    c: &reqwest::Client,
    node: &str,
    method: &str,
    route: &str,
    sig: &SessionSig,
    key: Option<&SessionKeyPair>,
    body: Option<&[u8]>,
    extra: &[(&str, &str)],
) -> Answer {
    send(c, &prepare(node, method, route, sig, key, body, extra)).await
}
