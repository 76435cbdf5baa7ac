//! Prometheus metrics, written by hand in the text exposition format (0.0.4).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `sessionsig_http_requests_total` | counter | `route` (the matched route template), `status` |
//! | `sessionsig_http_request_duration_seconds` | histogram | `route` |
//! | `sessionsig_http_requests_in_flight` | gauge | |
//! | `sessionsig_verifications_total` | counter | `result`: `ok` or the refusal code |
//! | `sessionsig_verification_duration_seconds` | histogram | (time spent verifying, on the blocking pool) |
//! | `sessionsig_auth_sig_cache_hits_total`, `…_misses_total` | counter | |
//! | `sessionsig_auth_sig_cache_entries` | gauge | |
//! | `sessionsig_revocations_total` | counter | `result`: `ok` or the refusal code |
//! | `sessionsig_rate_limited_total` | counter | `route`: requests refused `429 rate_limited` |
//! | `sessionsig_build_info` | gauge | `version` |
//!
//! Label values come from bounded sets (route templates, status codes, stable error codes),
//! never from request data.
//!
//! # Why by hand, not `prometheus-client`
//!
//! Measured (`benches/node_overhead.rs`, in process): recording a verified request — the
//! in-flight gauge, the route/status counter, the latency and verification histograms and
//! the result counter — costs 32–52 ns of CPU (two runs), against 10–18 µs of node CPU for the
//! cheapest routes (404, handshake) in the same runs: nothing a crate could save. The text format is
//! fixed (0.0.4) and small (counters, one gauge, fixed-bucket histograms) and checked line by
//! line by the test below and the node's tests, so a crate would add a dependency tree to
//! keep up without a measurable gain.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const BUCKETS: [f64; 16] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// A latency histogram with fixed buckets, lock-free.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Record one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

#[derive(Debug, Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: std::sync::Arc<Histogram>,
}

/// AuthSig cache figures, read from the verifier when rendering.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheStats {
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Entries held.
    pub entries: u64,
}

/// The node's metrics. Share behind an `Arc`; every method takes `&self`.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, RouteStats>>,
    in_flight: AtomicI64,
    verifications: Mutex<BTreeMap<&'static str, u64>>,
    verify_latency: Histogram,
    revocations: Mutex<BTreeMap<&'static str, u64>>,
    rate_limited: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request started (in-flight gauge).
    pub fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request on `route` finished with `status` after `elapsed`.
    pub fn request_finished(&self, route: &str, status: u16, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let latency = {
            let Ok(mut routes) = self.routes.lock() else {
                return;
            };
            let stats = match routes.get_mut(route) {
                Some(s) => s,
                None => routes.entry(route.to_owned()).or_default(),
            };
            *stats.by_status.entry(status).or_insert(0) += 1;
            stats.latency.clone()
        };
        latency.observe(elapsed);
    }

    /// A verification ended: `result` is `ok` or the refusal code.
    pub fn verification(&self, result: &'static str, elapsed: Option<Duration>) {
        if let Ok(mut v) = self.verifications.lock() {
            *v.entry(result).or_insert(0) += 1;
        }
        if let Some(d) = elapsed {
            self.verify_latency.observe(d);
        }
    }

    /// How long one verification took (counted once per verification, whatever its result).
    pub fn verification_time(&self, elapsed: Duration) {
        self.verify_latency.observe(elapsed);
    }

    /// A revocation request ended: `result` is `ok` or the refusal code.
    pub fn revocation(&self, result: &'static str) {
        if let Ok(mut v) = self.revocations.lock() {
            *v.entry(result).or_insert(0) += 1;
        }
    }

    /// A request on `route` (a route template) was refused by a per-client rate limit.
    pub fn rate_limited(&self, route: &'static str) {
        if let Ok(mut v) = self.rate_limited.lock() {
            *v.entry(route).or_insert(0) += 1;
        }
    }

    /// How many verifications ended with `result` so far.
    pub fn verifications_with(&self, result: &str) -> u64 {
        self.verifications
            .lock()
            .map(|v| v.get(result).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The text exposition.
    pub fn render(&self, cache: CacheStats) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(out, "# HELP sessionsig_build_info The node's version.");
        let _ = writeln!(out, "# TYPE sessionsig_build_info gauge");
        let _ = writeln!(
            out,
            "sessionsig_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );

        let routes: Vec<(String, BTreeMap<u16, u64>, std::sync::Arc<Histogram>)> = self
            .routes
            .lock()
            .map(|r| {
                r.iter()
                    .map(|(k, v)| (k.clone(), v.by_status.clone(), v.latency.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(out, "# HELP sessionsig_http_requests_total HTTP requests answered, by route template and status.");
        let _ = writeln!(out, "# TYPE sessionsig_http_requests_total counter");
        for (route, statuses, _) in &routes {
            for (status, n) in statuses {
                let _ = writeln!(
                    out,
                    "sessionsig_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(out, "# HELP sessionsig_http_request_duration_seconds Time to answer a request (to the response head), by route template.");
        let _ = writeln!(
            out,
            "# TYPE sessionsig_http_request_duration_seconds histogram"
        );
        for (route, _, h) in &routes {
            h.render(
                &mut out,
                "sessionsig_http_request_duration_seconds",
                &format!("route=\"{}\"", escape(route)),
            );
        }
        let _ = writeln!(
            out,
            "# HELP sessionsig_http_requests_in_flight Requests being answered now."
        );
        let _ = writeln!(out, "# TYPE sessionsig_http_requests_in_flight gauge");
        let _ = writeln!(
            out,
            "sessionsig_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );

        let _ = writeln!(out, "# HELP sessionsig_verifications_total SessionSig verifications, by result (ok or the refusal code).");
        let _ = writeln!(out, "# TYPE sessionsig_verifications_total counter");
        if let Ok(v) = self.verifications.lock() {
            for (code, n) in v.iter() {
                let _ = writeln!(
                    out,
                    "sessionsig_verifications_total{{result=\"{code}\"}} {n}"
                );
            }
        }
        let _ = writeln!(out, "# HELP sessionsig_verification_duration_seconds CPU-bound verification time on the blocking pool.");
        let _ = writeln!(
            out,
            "# TYPE sessionsig_verification_duration_seconds histogram"
        );
        self.verify_latency
            .render(&mut out, "sessionsig_verification_duration_seconds", "");

        let _ = writeln!(out, "# HELP sessionsig_auth_sig_cache_hits_total AuthSig cache lookups that found a verified entry.");
        let _ = writeln!(out, "# TYPE sessionsig_auth_sig_cache_hits_total counter");
        let _ = writeln!(out, "sessionsig_auth_sig_cache_hits_total {}", cache.hits);
        let _ = writeln!(
            out,
            "# HELP sessionsig_auth_sig_cache_misses_total AuthSig cache lookups that did not."
        );
        let _ = writeln!(out, "# TYPE sessionsig_auth_sig_cache_misses_total counter");
        let _ = writeln!(
            out,
            "sessionsig_auth_sig_cache_misses_total {}",
            cache.misses
        );
        let _ = writeln!(
            out,
            "# HELP sessionsig_auth_sig_cache_entries Verified AuthSigs held in the cache."
        );
        let _ = writeln!(out, "# TYPE sessionsig_auth_sig_cache_entries gauge");
        let _ = writeln!(out, "sessionsig_auth_sig_cache_entries {}", cache.entries);

        let _ = writeln!(out, "# HELP sessionsig_revocations_total Revocations received, by result (ok or the refusal code).");
        let _ = writeln!(out, "# TYPE sessionsig_revocations_total counter");
        if let Ok(v) = self.revocations.lock() {
            for (code, n) in v.iter() {
                let _ = writeln!(out, "sessionsig_revocations_total{{result=\"{code}\"}} {n}");
            }
        }

        let _ = writeln!(out, "# HELP sessionsig_rate_limited_total Requests refused by a per-client rate limit (429 rate_limited), by route template.");
        let _ = writeln!(out, "# TYPE sessionsig_rate_limited_total counter");
        if let Ok(v) = self.rate_limited.lock() {
            for (route, n) in v.iter() {
                let _ = writeln!(
                    out,
                    "sessionsig_rate_limited_total{{route=\"{}\"}} {n}",
                    escape(route)
                );
            }
        }
        out
    }
}

/// Escape a label value (backslash, quote, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_counters_and_cumulative_buckets() {
        let m = Metrics::new();
        m.request_started();
        m.request_finished("/v1/authorize", 200, Duration::from_micros(300));
        m.request_started();
        m.request_finished("/v1/authorize", 401, Duration::from_millis(3));
        m.verification("ok", Some(Duration::from_micros(60)));
        m.verification("wrong_node", Some(Duration::from_micros(60)));
        m.rate_limited("/v1/revocations");
        m.rate_limited("/v1/revocations");
        let text = m.render(CacheStats {
            hits: 5,
            misses: 1,
            entries: 1,
        });
        assert!(text
            .contains("sessionsig_http_requests_total{route=\"/v1/authorize\",status=\"200\"} 1"));
        assert!(text
            .contains("sessionsig_http_requests_total{route=\"/v1/authorize\",status=\"401\"} 1"));
        assert!(text.contains("sessionsig_verifications_total{result=\"wrong_node\"} 1"));
        assert!(text.contains(
            "sessionsig_http_request_duration_seconds_bucket{route=\"/v1/authorize\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "sessionsig_http_request_duration_seconds_bucket{route=\"/v1/authorize\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("sessionsig_verification_duration_seconds_count 2"));
        assert!(text.contains("sessionsig_auth_sig_cache_hits_total 5"));
        assert!(text.contains("sessionsig_http_requests_in_flight 0"));
        assert!(text.contains("sessionsig_rate_limited_total{route=\"/v1/revocations\"} 2"));
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
