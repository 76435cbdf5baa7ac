//! Verification cost next to the raw cryptography it is made of, measured in the same run.
//!
//! `cargo bench -p sessionsig --bench verify` prints criterion's figures, then a summary table:
//! cold verification (nothing cached: one ed25519 verify + one secp256k1 recovery + parsing)
//! against the sum of the raw primitives.

use criterion::{black_box, criterion_group, Criterion};
use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::siwe::{parse_signature, recover_address};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::LocalWallet;
use std::time::Instant;

struct Fixture {
    unverified: UnverifiedSessionSig,
    signed: Vec<u8>,
    ed_sig: [u8; 64],
    key: SessionKeyPair,
    siwe: Vec<u8>,
    wallet_sig: [u8; 65],
    verifier: Verifier<FixedClock>,
    request: Request,
    json: String,
}

fn fixture() -> Fixture {
    let now: OffsetDateTime = parse_rfc3339("2025-06-01T00:00:00Z").expect("time");
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).expect("wallet");
    let key = SessionKeyPair::from_seed(&[0x22; 32]);
    let mut cap = Capability::new();
    cap.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .expect("cap");
    cap.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .expect("cap");
    let auth = AuthSig::create(
        &wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "0xabababababababababab".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now),
            expiration: Some(Timestamp::from_instant(now + Duration::days(1))),
            not_before: None,
            capability: cap,
        },
    )
    .expect("auth sig");
    let pkp = LitResource::parse("lit-pkp://*").expect("resource");
    let requests = [ResourceAbilityRequest {
        resource: pkp.clone(),
        ability: LitAbility::PkpSigning,
    }];
    let caps = [auth.clone()];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: &caps,
                issued_at: now,
                expiration: now + Duration::hours(1),
                format: WireFormat::V7,
            },
            &["https://127.0.0.1:7470"],
        )
        .expect("sigs");
    let (_, s) = sigs.iter().next().expect("one");
    let mut ed_sig = [0u8; 64];
    hex::decode_to_slice(&s.sig, &mut ed_sig).expect("hex");
    Fixture {
        unverified: UnverifiedSessionSig::from(s.clone()),
        signed: s.signed_message.as_bytes().to_vec(),
        ed_sig,
        json: s.to_json(),
        key,
        siwe: auth.signed_message.as_bytes().to_vec(),
        wallet_sig: parse_signature(&auth.sig).expect("sig"),
        verifier: Verifier::new(
            "https://127.0.0.1:7470",
            Policy::default(),
            FixedClock(now + Duration::minutes(5)),
        )
        .expect("verifier"),
        request: Request::operation(
            LitResource::parse("lit-pkp://1234").expect("r"),
            LitAbility::PkpSigning,
        ),
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let public = f.key.public_key();
    f.verifier
        .verify(&f.unverified, &f.request)
        .expect("fixture verifies");
    c.bench_function("raw/ed25519_verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&f.signed), black_box(&f.ed_sig)))
    });
    c.bench_function("raw/secp256k1_recover_eip191", |b| {
        b.iter(|| recover_address(black_box(&f.siwe), black_box(&f.wallet_sig)))
    });
    c.bench_function("parse/session_sig_json", |b| {
        b.iter(|| UnverifiedSessionSig::parse(black_box(&f.json)))
    });
    c.bench_function("verify/cold", |b| {
        b.iter(|| {
            f.verifier
                .verify(black_box(&f.unverified), black_box(&f.request))
        })
    });
}

/// Mean time per call over `n` calls, in microseconds.
fn mean_us(n: u32, mut op: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        op();
    }
    let t = Instant::now();
    for _ in 0..n {
        op();
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn summary() {
    let f = fixture();
    let public = f.key.public_key();
    let n = 3000;
    let ed = mean_us(n, || {
        let _ = black_box(public.verify_strict(black_box(&f.signed), black_box(&f.ed_sig)));
    });
    let rec = mean_us(n, || {
        let _ = black_box(recover_address(
            black_box(&f.siwe),
            black_box(&f.wallet_sig),
        ));
    });
    let cold = mean_us(n, || {
        let _ = black_box(
            f.verifier
                .verify(black_box(&f.unverified), black_box(&f.request)),
        );
    });
    println!();
    println!("summary (same run, {n} iterations each, one thread):");
    println!("  ed25519 verify_strict          {ed:8.1} µs");
    println!("  secp256k1 recovery (EIP-191)   {rec:8.1} µs");
    println!("  ed25519 + recovery             {:8.1} µs", ed + rec);
    println!(
        "  cold verification (full chain) {cold:8.1} µs  = {:.2} × (ed25519 + recovery)",
        cold / (ed + rec)
    );
}

criterion_group!(group, benches);

fn main() {
    group();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    summary();
}
