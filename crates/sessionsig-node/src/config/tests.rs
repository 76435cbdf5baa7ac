//! The configuration's tests: parsing, defaults, checks, redaction.

use super::*;
use sessionsig::verify::Policy;
use time::Duration;

fn base(dir: &Path) -> NodeConfig {
    NodeConfig {
        public_url: Some("http://127.0.0.1:7470".into()),
        data_dir: Some(dir.to_owned()),
        ..NodeConfig::default()
    }
}

#[test]
fn debug_output_hides_store_and_rpc_secrets() {
    let mut c = NodeConfig {
        store: Some("postgres://node:hunter2@db.example/sessions".into()),
        ..NodeConfig::default()
    };
    c.contract_wallets
        .rpc
        .insert("1".into(), "https://u:pw@eth.example/v3/apikey123".into());
    let text = format!("{c:?}");
    for secret in ["hunter2", "pw@", "apikey123"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(
        text.contains("db.example") && text.contains("eth.example"),
        "{text}"
    );
}

#[test]
fn hardening_settings_have_defaults_and_refusals() {
    let d = tempfile::tempdir().unwrap();
    let s = base(d.path()).resolve(false).unwrap();
    assert_eq!(
        s.policy.max_session_auth_sig_lifetime,
        Some(Duration::days(30))
    );
    assert_eq!(s.policy.max_delegation_lifetime, Some(Duration::days(90)));
    assert!(s.policy.accepted_domains.is_none() && s.policy.accepted_chain_ids.is_none());
    assert_eq!(s.nonce_max_age, Duration::days(1));
    assert!(!s.network_nonce_for_delegations);
    assert_eq!(s.prune_interval, Some(std::time::Duration::from_secs(3600)));
    assert_eq!(s.limits.concurrency_per_client(), 256);
    assert_eq!(s.limits.connections_per_client(), 1024);

    let with = |f: &dyn Fn(&mut NodeConfig)| {
        let mut c = base(d.path());
        f(&mut c);
        c.resolve(false)
    };
    let s = with(&|c| {
        c.max_session_auth_sig_lifetime_secs = Some(0);
        c.prune_interval_secs = Some(0);
        c.accepted_domains = Some(vec!["https://App.Example".into()]);
        c.accepted_chain_ids = Some(vec![8453]);
    })
    .unwrap();
    assert_eq!(s.policy.max_session_auth_sig_lifetime, None);
    assert_eq!(s.prune_interval, None);
    assert_eq!(
        s.policy.accepted_domains.unwrap()[0].to_string(),
        "https://app.example"
    );
    for bad in [
        &(|c: &mut NodeConfig| c.accepted_domains = Some(vec![])) as &dyn Fn(&mut NodeConfig),
        &|c| c.accepted_chain_ids = Some(vec![]),
        &|c| c.accepted_domains = Some(vec!["a/b".into()]),
        &|c| c.network_nonce_for_delegations = Some(true),
        &|c| c.limits.max_concurrency_per_client = Some(0),
    ] {
        assert_eq!(with(bad).unwrap_err().code(), "invalid_config");
    }
}

#[test]
fn defaults_resolve() {
    let d = tempfile::tempdir().unwrap();
    let s = base(d.path()).resolve(false).unwrap();
    assert_eq!(s.listen, "127.0.0.1:7470".parse().unwrap());
    assert_eq!(s.network, vec!["http://127.0.0.1:7470".to_owned()]);
    assert!(
        s.store.expose().starts_with("sqlite://") && s.store.expose().ends_with("sessionsig.db")
    );
    assert!(s.verify);
    assert_eq!(s.policy.skew, Duration::seconds(60));
    assert_eq!(
        (
            s.limits.revocation_burst,
            s.limits.revocation_rate_per_minute
        ),
        (20, 60)
    );
    // The secret file was created owner-only and is reused.
    let p = d.path().join("network.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = base(d.path()).resolve(false).unwrap();
    assert_eq!(*again.network_secret, *s.network_secret);
    assert!(!format!("{s:?}").contains(&hex::encode(s.network_secret.as_ref())));
}

#[test]
fn toml_file_and_refusals() {
    let d = tempfile::tempdir().unwrap();
    let c = NodeConfig::from_toml(
        "public_url = \"http://localhost:9000\"\nskew_secs = 5\nnetwork = [\"http://127.0.0.1:9001\"]\n[limits]\nmax_body_bytes = 1000\nrevocation_burst = 5\nrevocation_rate_per_minute = 0\n",
    )
    .unwrap();
    let mut c2 = c.clone();
    c2.data_dir = Some(d.path().into());
    let s = c2.resolve(false).unwrap();
    assert_eq!(s.listen, "127.0.0.1:9000".parse().unwrap());
    assert_eq!(s.limits.max_body_bytes, 1000);
    assert_eq!(s.limits.revocation_burst, 5);
    assert_eq!(s.limits.revocation_rate_per_minute, 0);
    assert_eq!(s.limits.revocation_rate_max_clients, 10_000);
    assert_eq!(s.policy.skew, Duration::seconds(5));
    assert_eq!(s.network[0], "http://localhost:9000");
    assert_eq!(s.network.len(), 2);

    assert_eq!(
        NodeConfig::from_toml("publik_url = \"x\"")
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    let mut no_verify = base(d.path());
    no_verify.verify = Some(false);
    assert_eq!(
        no_verify.resolve(false).unwrap_err().code(),
        "insecure_config"
    );
    assert!(!no_verify.resolve(true).unwrap().verify);
    let mut host = base(d.path());
    host.public_url = Some("https://node.example".into());
    assert_eq!(host.resolve(false).unwrap_err().code(), "invalid_config");
    host.listen = Some("0.0.0.0:8443".parse().unwrap());
    assert!(host.resolve(false).is_ok());
    let mut small = base(d.path());
    small.limits.max_header_bytes = 100;
    assert_eq!(small.resolve(false).unwrap_err().code(), "invalid_config");
    let mut no_clients = base(d.path());
    no_clients.limits.revocation_rate_max_clients = 0;
    assert_eq!(
        no_clients.resolve(false).unwrap_err().code(),
        "invalid_config"
    );
    let mut bad_url = base(d.path());
    bad_url.public_url = Some("ftp://x:1".into());
    assert_eq!(bad_url.resolve(false).unwrap_err().code(), "invalid_config");
}

#[test]
fn contract_wallets_section_resolves_into_endpoints_and_the_recheck_policy() {
    let d = tempfile::tempdir().unwrap();
    // None configured: nothing changes, the core's default recheck window.
    let s = base(d.path()).resolve(false).unwrap();
    assert!(s.contract_wallets.is_none());
    assert_eq!(s.policy.contract_wallet_recheck, Duration::minutes(5));
    assert_eq!(
        s.policy.contract_wallet_recheck,
        Policy::default().contract_wallet_recheck
    );

    let mut c = NodeConfig::from_toml(
        "public_url = \"http://127.0.0.1:7470\"\n[contract_wallets]\nrpc = { \"8453\" = \"http://127.0.0.1:8545\", \"1\" = \"https://user:s3cret@eth.example/v3/APIKEY\" }\ntimeout_ms = 2500\nrecheck_secs = 42\n",
    )
    .unwrap();
    c.data_dir = Some(d.path().into());
    let s = c.resolve(false).unwrap();
    let cw = s.contract_wallets.clone().unwrap();
    assert_eq!(
        cw.endpoints,
        vec![
            (1, "https://user:s3cret@eth.example/v3/APIKEY".into()),
            (8453, "http://127.0.0.1:8545".into()),
        ]
    );
    assert_eq!(cw.timeout, std::time::Duration::from_millis(2500));
    assert_eq!(s.policy.contract_wallet_recheck, Duration::seconds(42));
    // Half the blocking pool may wait on chains; the rest stays for everything else.
    assert_eq!(cw.max_in_flight, (s.blocking_threads / 2).max(1));
    c.blocking_threads = Some(3);
    c.contract_wallets.max_in_flight = None;
    assert_eq!(
        c.resolve(false)
            .unwrap()
            .contract_wallets
            .unwrap()
            .max_in_flight,
        1
    );
    c.contract_wallets.max_in_flight = Some(6);
    assert_eq!(
        c.resolve(false)
            .unwrap()
            .contract_wallets
            .unwrap()
            .max_in_flight,
        6
    );
    c.contract_wallets.max_in_flight = Some(0);
    assert!(c
        .resolve(false)
        .unwrap_err()
        .to_string()
        .contains("max_in_flight must be positive"));
    c.contract_wallets.max_in_flight = None;
    // Per-client budget of checks: 20 at once, 60 a minute, unless set (0 turns it off).
    assert_eq!((cw.client_burst, cw.client_checks_per_minute), (20, 60));
    c.contract_wallets.client_burst = Some(3);
    c.contract_wallets.client_checks_per_minute = Some(0);
    let set = c.resolve(false).unwrap().contract_wallets.unwrap();
    assert_eq!((set.client_burst, set.client_checks_per_minute), (3, 0));
    let parsed = NodeConfig::from_toml(
        "[contract_wallets]\nrpc = { \"1\" = \"http://127.0.0.1:8545\" }\nclient_burst = 5\nclient_checks_per_minute = 7\n",
    )
    .unwrap();
    assert_eq!(
        (
            parsed.contract_wallets.client_burst,
            parsed.contract_wallets.client_checks_per_minute
        ),
        (Some(5), Some(7))
    );
    assert_eq!(
        cw.describe(),
        "chain 1 at https://***@eth.example/…, chain 8453 at http://127.0.0.1:8545"
    );
    let mut chains: Vec<u64> = cw.verifier().unwrap().chain_ids().collect();
    chains.sort_unstable();
    assert_eq!(chains, [1, 8453]);
    // Neither the password nor the API key in the path is ever printed.
    for printed in [format!("{s:?}"), format!("{c:?}"), format!("{cw:?}")] {
        assert!(
            !printed.contains("s3cret") && !printed.contains("APIKEY"),
            "{printed}"
        );
        assert!(printed.contains("eth.example"), "{printed}");
    }

    // Zero: ask the chain on every verification. A window without chains still applies.
    c.contract_wallets.recheck_secs = Some(0);
    assert_eq!(
        c.resolve(false).unwrap().policy.contract_wallet_recheck,
        Duration::ZERO
    );
    let mut only_recheck = base(d.path());
    only_recheck.contract_wallets.recheck_secs = Some(7);
    let s = only_recheck.resolve(false).unwrap();
    assert!(s.contract_wallets.is_none());
    assert_eq!(s.policy.contract_wallet_recheck, Duration::seconds(7));
}

#[test]
fn contract_wallets_refusals_are_config_errors_without_secrets() {
    let d = tempfile::tempdir().unwrap();
    let with = |rpc: &[(&str, &str)], tweak: &dyn Fn(&mut NodeConfig)| {
        let mut c = base(d.path());
        for (chain, url) in rpc {
            c.contract_wallets
                .rpc
                .insert((*chain).to_owned(), (*url).into());
        }
        tweak(&mut c);
        c.resolve(false)
    };
    let ok = "http://127.0.0.1:8545";
    let refused = |rpc: &[(&str, &str)], tweak: &dyn Fn(&mut NodeConfig), says: &str| {
        let e = with(rpc, tweak).unwrap_err();
        assert_eq!(e.code(), "invalid_config", "{e}");
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(m.contains(says), "{m} should say {says}");
        assert!(!m.contains("s3cret") && !m.contains("APIKEY"), "{m}");
    };
    let none = &|_: &mut NodeConfig| {};
    for chain in ["abc", "0", "-1", "", "+1", "1.5", "99999999999999999999"] {
        refused(&[(chain, ok)], none, "is not a chain id");
    }
    refused(
        &[("1", ok), ("01", ok)],
        none,
        "chain 1 is given more than once",
    );
    for url in [
        "ftp://eth.example/",
        "eth.example:8545",
        "http://",
        "http://:8545/",
        "https://user:s3cret@/APIKEY",
        "http://eth.example/a b",
        "ws://user:s3cret@eth.example/APIKEY",
    ] {
        refused(&[("1", url)], none, "is not an http:// or https:// URL");
    }
    refused(
        &[("1", ok)],
        &|c| c.contract_wallets.timeout_ms = Some(0),
        "timeout_ms must be positive",
    );
    refused(
        &[("1", ok)],
        &|c| c.limits.request_timeout_ms = 5_000,
        "must be less than limits.request_timeout_ms (5000)",
    );
    // With the request timeout raised, the same timeout is fine.
    assert!(with(&[("1", ok)], &|c| c.limits.request_timeout_ms = 5_001).is_ok());
    refused(
        &[],
        &|c| c.contract_wallets.recheck_secs = Some(u64::MAX),
        "contract_wallets.recheck_secs is too large",
    );
    // Unknown keys in the section are refused like everywhere else.
    let e = NodeConfig::from_toml("[contract_wallets]\nrcp = {}\n").unwrap_err();
    assert_eq!(e.code(), "invalid_config");
    let e = NodeConfig::from_toml("[contract_wallets]\nrpc = { \"1\" = 5 }\n").unwrap_err();
    assert_eq!(e.code(), "invalid_config");
}

#[test]
fn eth_rpc_flags_replace_the_file_entry_of_their_chain() {
    let mut c = ContractWalletsConfig::default();
    c.rpc.insert("01".into(), "http://file.example".into());
    c.rpc.insert("5".into(), "http://five.example".into());
    c.set_from_flag("1=http://flag.example/?k=v").unwrap();
    c.set_from_flag("8453=http://127.0.0.1:8545").unwrap();
    let entries: Vec<(&str, &str)> = c
        .rpc
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect();
    assert_eq!(
        entries,
        [
            ("1", "http://flag.example/?k=v"),
            ("5", "http://five.example"),
            ("8453", "http://127.0.0.1:8545"),
        ]
    );
    for (bad, says) in [
        (
            "https://user:s3cret@eth.example/APIKEY",
            "expected CHAIN_ID=URL",
        ),
        (
            "https://user:s3cret@eth.example/?APIKEY=1",
            "is not a chain id",
        ),
        ("0=http://x", "is not a chain id"),
    ] {
        let e = c.set_from_flag(bad).unwrap_err();
        assert_eq!(e.code(), "invalid_config");
        let m = e.to_string();
        assert!(m.contains(says), "{m}");
        assert!(!m.contains("s3cret") && !m.contains("APIKEY"), "{m}");
    }
}

#[test]
fn policy_defaults_come_from_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let s = base(dir.path()).resolve(false).unwrap();
    let core = Policy::default();
    assert_eq!(s.policy.skew, core.skew);
    assert_eq!(s.policy.max_lifetime, core.max_lifetime);
    assert_eq!(
        s.policy.contract_wallet_recheck,
        core.contract_wallet_recheck
    );
    assert_eq!(
        s.policy.max_session_auth_sig_lifetime,
        core.max_session_auth_sig_lifetime
    );
    assert_eq!(
        s.policy.max_delegation_lifetime,
        core.max_delegation_lifetime
    );
    assert_eq!(
        Duration::seconds(DEFAULT_CONTRACT_WALLET_RECHECK_SECS as i64),
        core.contract_wallet_recheck,
        "the documented constant is the core's default"
    );
}

#[test]
fn settings_debug_shows_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = base(dir.path());
    c.store = Some("postgres://node:hunter2@127.0.0.1:5432/test?password=pw2".into());
    c.contract_wallets
        .rpc
        .insert("1".into(), "https://u:pw3@eth.example/v3/apikey4".into());
    let s = c.resolve(false).unwrap();
    let text = format!("{s:?}");
    for secret in ["hunter2", "pw2", "pw3", "apikey4"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let hex_secret = hex::encode(**s.network_secret);
    assert!(!text.contains(&hex_secret), "the network secret in {text}");
    assert!(text.contains("<redacted>"));
}
