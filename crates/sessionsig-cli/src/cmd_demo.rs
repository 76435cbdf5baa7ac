//! `sessionsig demo`: the whole flow, locally, with fresh random keys, explained step by step.

use crate::error::CliResult;
use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::process::ExitCode;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many local node URLs to sign for.
    #[arg(long, default_value_t = 3)]
    nodes: u16,
}

/// Run the demo; exit 1 if any expectation fails.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let now = OffsetDateTime::now_utc();
    let wallet = LocalWallet::random();
    let session = SessionKeyPair::generate();
    println!(
        "1. A wallet {} and a fresh ed25519 session key {}.",
        wallet.address(),
        session.public_hex()
    );

    let pkp = LitResource::pkp("0x1234")?;
    let mut cap = Capability::new();
    cap.add_ability(
        &pkp.key(),
        LitAbility::PkpSigning.recap_key(),
        vec![Caveat::new()],
    )?;
    cap.add_ability(
        "lit-litaction://*",
        LitAbility::LitActionExecution.recap_key(),
        vec![Caveat::new()],
    )?;
    let params = SiweRecapParams {
        domain: "localhost".into(),
        uri: SiweRecapParams::session_uri(&session.public_hex()),
        statement: None,
        nonce: "demo0nonce0123456789".into(),
        chain_id: 1,
        issued_at: Timestamp::from_instant(now),
        expiration: Some(Timestamp::from_instant(now + Duration::hours(1))),
        not_before: None,
        capability: cap,
    };
    let auth_sig = AuthSig::create(&wallet, &params)?;
    println!(
        "2. The wallet signs ONE SIWE message delegating to the session key:\n\n{}\n",
        auth_sig.signed_message
    );

    let nodes: Vec<String> = (0..a.nodes)
        .map(|i| format!("http://127.0.0.1:{}", 7470 + i))
        .collect();
    let requests = [ResourceAbilityRequest {
        resource: pkp.clone(),
        ability: LitAbility::PkpSigning,
    }];
    let caps = [auth_sig];
    let sigs = session.sign_session_sigs(
        &SessionSigParams {
            requests: &requests,
            capabilities: &caps,
            issued_at: now,
            expiration: now + Duration::minutes(10),
            format: WireFormat::V7,
        },
        &nodes,
    )?;
    println!(
        "3. The session key alone signs one SessionSig per node ({} nodes), no wallet prompt.",
        sigs.len()
    );

    let op = Request::operation(pkp.clone(), LitAbility::PkpSigning);
    let mut ok = true;
    for (i, node) in nodes.iter().enumerate() {
        let verifier = Verifier::new(node, Policy::default(), FixedClock(now))?;
        let own = sigs
            .get(node)
            .map(|s| UnverifiedSessionSig::from(s.clone()));
        let neighbour = sigs
            .get(&nodes[(i + 1) % nodes.len()])
            .map(|s| UnverifiedSessionSig::from(s.clone()));
        match own.map(|s| verifier.verify(&s, &op)) {
            Some(Ok(v)) => println!(
                "4. {node}: its own SessionSig verifies offline: owner {}, expires {}.",
                v.owner(),
                sessionsig::time::to_iso_string(v.expires_at())
            ),
            other => {
                ok = false;
                println!("4. {node}: UNEXPECTED {other:?}");
            }
        }
        if nodes.len() > 1 {
            match neighbour.map(|s| verifier.verify(&s, &op)) {
                Some(Err(e)) => println!(
                    "   {node}: the neighbour's SessionSig is refused: {}",
                    e.code()
                ),
                other => {
                    ok = false;
                    println!("   {node}: UNEXPECTED {other:?}");
                }
            }
        }
    }
    if let Some(first) = nodes.first() {
        let verifier = Verifier::new(first, Policy::default(), FixedClock(now))?;
        let s = sigs
            .get(first)
            .map(|s| UnverifiedSessionSig::from(s.clone()));
        let other_pkp = LitResource::pkp("0x5678")?;
        if let Some(s) = &s {
            match verifier.verify(s, &Request::operation(other_pkp, LitAbility::PkpSigning)) {
                Err(e) => println!("5. Signing with another PKP is refused: {}", e.code()),
                Ok(_) => {
                    ok = false;
                    println!("5. UNEXPECTED: another PKP was allowed");
                }
            }
            let later = Verifier::new(
                first,
                Policy::default(),
                FixedClock(now + Duration::hours(2)),
            )?;
            match later.verify(s, &op) {
                Err(e) => println!(
                    "6. Two hours later the same SessionSig is refused: {}",
                    e.code()
                ),
                Ok(_) => {
                    ok = false;
                    println!("6. UNEXPECTED: an expired session was allowed");
                }
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
