//! SessionSigs for 30 nodes within one session (target: under 2 ms on one core).
//!
//! `manager_warm`: the whole `SessionManager::session_sigs` path once the AuthSig is stored
//! (lock, re-sign decision, 30 messages, 30 ed25519 signatures). `core_only`: the core's
//! `sign_session_sigs` alone, for comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::session::{SessionSigParams, WireFormat};
use sessionsig::wallet::LocalWallet;
use sessionsig_client::{MemoryStore, NodeSet, SessionManager, SessionRequest};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let nodes: Vec<String> = (0..30)
        .map(|i| format!("https://10.0.0.{}:7470", i + 1))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let wallet = LocalWallet::from_bytes(&[1; 32]).expect("wallet");
    let m = SessionManager::new(
        wallet,
        MemoryStore::new(),
        NodeSet::new(nodes.clone()).expect("nodes"),
    );
    let pkp = ResourceAbilityRequest::new(
        LitResource::pkp("0x1234").expect("pkp"),
        LitAbility::PkpSigning,
    )
    .expect("request");
    let request = SessionRequest::new(vec![pkp.clone()]);
    let warm = rt.block_on(m.session_sigs(&request)).expect("first sign");
    assert_eq!(warm.len(), 30);

    let mut g = c.benchmark_group("session_sigs_30_nodes");
    g.bench_function("manager_warm", |b| {
        b.iter(|| {
            black_box(
                rt.block_on(m.session_sigs(black_box(&request)))
                    .expect("sigs"),
            )
        })
    });

    // The same work without the manager: the core signing 30 messages.
    let key = sessionsig::session::SessionKeyPair::from_seed(&[2; 32]);
    let auth = sessionsig::session::SessionSigMessage::parse(
        &warm.iter().next().expect("one").1.signed_message,
    )
    .expect("message")
    .capabilities;
    let now = time::OffsetDateTime::now_utc();
    let requests = [pkp];
    let params = SessionSigParams {
        requests: &requests,
        capabilities: &auth,
        issued_at: now,
        expiration: now + time::Duration::minutes(5),
        format: WireFormat::V7,
    };
    g.bench_function("core_only", |b| {
        b.iter(|| {
            black_box(
                key.sign_session_sigs(black_box(&params), &nodes)
                    .expect("sigs"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
