//! JSON text exactly as JavaScript writes it.
//!
//! Two writers share one string and number formatter:
//!
//! * [`canonicalize`]: RFC 8785 (JSON Canonicalization Scheme, "JCS"), used for ReCap objects.
//!   No whitespace, object keys sorted by their UTF-16 code units (what JavaScript's
//!   `Array.prototype.sort()` does), strings escaped as `JSON.stringify` escapes them, numbers in
//!   the ECMAScript `Number.prototype.toString()` form.
//! * [`js_stringify`]: `JSON.stringify(value)` of the value as JavaScript would hold it after
//!   `JSON.parse`: keys in insertion order, except that "array index" keys (`"0"`, `"17"`, …)
//!   come first in ascending numeric order, as JavaScript objects order them. Used to hash Lit
//!   access control conditions.
//!
//! Numbers: JavaScript holds every number as an IEEE-754 double, so integers beyond 2^53 are
//! written as the double nearest to them (`18446744073709551615` → `18446744073709552000`), and
//! `-0` is written `0`.

use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt::Write as _;

/// Compare two strings by their UTF-16 code units, as JavaScript's default sort does.
///
/// For strings of characters below U+E000 (all ASCII in particular) this is the same as byte
/// order; it differs when a supplementary character (U+10000 and up, two surrogate code units
/// starting at 0xD800) meets a character in U+E000..=U+FFFF.
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    // Fast path: byte order equals UTF-16 order up to the first differing character.
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let common = ab.iter().zip(bb).take_while(|(x, y)| x == y).count();
    if common == ab.len() || common == bb.len() {
        return ab.len().cmp(&bb.len());
    }
    // Back up to the start of the character that differs (both strings share the prefix, so
    // the boundary is the same in both).
    let mut start = common;
    while !a.is_char_boundary(start) {
        start -= 1;
    }
    a[start..].encode_utf16().cmp(b[start..].encode_utf16())
}

/// The RFC 8785 canonical form of `value` (no whitespace, keys sorted by UTF-16 code units).
pub fn canonicalize(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

/// Append the RFC 8785 canonical form of `value` to `out`.
pub fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_canonical_object(out, map),
        other => write_scalar(out, other),
    }
}

/// Append the RFC 8785 canonical form of an object to `out`.
pub fn write_canonical_object(out: &mut String, map: &Map<String, Value>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| cmp_utf16(a.0, b.0));
    out.push('{');
    for (i, (key, val)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_canonical(out, val);
    }
    out.push('}');
}

/// `JSON.stringify(value)` with JavaScript's property order (array-index keys first, ascending,
/// then the others in insertion order) and no whitespace.
pub fn js_stringify(value: &Value) -> String {
    let mut out = String::new();
    write_js(&mut out, value);
    out
}

fn write_js(out: &mut String, value: &Value) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut index_keys: Vec<(u32, &String, &Value)> = Vec::new();
            let mut other_keys: Vec<(&String, &Value)> = Vec::new();
            for (k, v) in map {
                match array_index(k) {
                    Some(n) => index_keys.push((n, k, v)),
                    None => other_keys.push((k, v)),
                }
            }
            index_keys.sort_by_key(|e| e.0);
            out.push('{');
            let ordered = index_keys
                .into_iter()
                .map(|(_, k, v)| (k, v))
                .chain(other_keys);
            for (i, (key, val)) in ordered.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_js(out, val);
            }
            out.push('}');
        }
        other => write_scalar(out, other),
    }
}

/// A JavaScript "array index" property key: the canonical decimal form of an integer in
/// `0..2^32 - 1` (JavaScript orders such object keys first, numerically).
pub(crate) fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if key.len() > 1 && key.starts_with('0') {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    if n < u64::from(u32::MAX) {
        u32::try_from(n).ok()
    } else {
        None
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        // Containers are handled by the callers; keep this total anyway.
        Value::Array(_) | Value::Object(_) => write_canonical(out, value),
    }
}

/// Append a JSON string literal, escaped exactly as `JSON.stringify` (and RFC 8785) escape it:
/// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx` (lowercase
/// hex), everything else (including non-ASCII, U+007F, U+2028) as itself.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut run_start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x00..=0x1f => Some(""),
            _ => None,
        };
        if let Some(esc) = escape {
            out.push_str(&s[run_start..i]);
            if esc.is_empty() {
                let _ = write!(out, "\\u{:04x}", b);
            } else {
                out.push_str(esc);
            }
            run_start = i + 1;
        }
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// 2^53: integers up to this magnitude are exact as doubles.
const MAX_SAFE: u64 = 1 << 53;

/// Append a number in the ECMAScript `Number.prototype.toString()` form.
pub fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        if u <= MAX_SAFE {
            let _ = write!(out, "{u}");
        } else {
            write_f64(out, u as f64);
        }
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= MAX_SAFE {
            let _ = write!(out, "{i}");
        } else {
            write_f64(out, i as f64);
        }
    } else if let Some(f) = n.as_f64() {
        write_f64(out, f);
    } else {
        // serde_json numbers are always one of the above; JSON.stringify writes NaN as null.
        out.push_str("null");
    }
}

/// The number JavaScript would hold after reading `n` and writing it back, as `serde_json` reads
/// that text (`1.0` → `1`, `-0` → `0`, `9007199254740993` → `9007199254740992`); `None` when
/// `n` already is that number. Capabilities keep their numbers in this form, so that
/// `decode(encode(c)) == c`.
pub(crate) fn normalize_number(n: &Number) -> Option<Number> {
    if n.as_u64().is_some_and(|u| u <= MAX_SAFE)
        || n.as_i64().is_some_and(|i| i.unsigned_abs() <= MAX_SAFE)
    {
        return None;
    }
    let mut text = String::new();
    write_number(&mut text, n);
    let parsed: Number = serde_json::from_str(&text).ok()?;
    (parsed != *n).then_some(parsed)
}

fn write_f64(out: &mut String, f: f64) {
    if !f.is_finite() {
        // JSON.stringify(NaN) / JSON.stringify(Infinity) give "null"; serde_json never holds them.
        out.push_str("null");
    } else if f == 0.0 {
        // -0 is written "0".
        out.push('0');
    } else {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format_finite(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utf16_order_differs_from_bytes_for_supplementary() {
        // U+FF21 (fullwidth A) vs U+1F600 (emoji): bytes say emoji is larger, UTF-16 says smaller.
        let a = "\u{ff21}";
        let b = "\u{1f600}";
        assert_eq!(a.cmp(b), Ordering::Less);
        assert_eq!(cmp_utf16(a, b), Ordering::Greater);
        assert_eq!(cmp_utf16("a", "ab"), Ordering::Less);
        assert_eq!(cmp_utf16("ab", "a"), Ordering::Greater);
        assert_eq!(cmp_utf16("x\u{e9}", "x\u{e9}"), Ordering::Equal);
        assert_eq!(cmp_utf16("x\u{e9}", "x\u{e8}z"), Ordering::Greater);
    }

    #[test]
    fn rfc8785_sorting_example() {
        // RFC 8785 §3.2.3 sorting example.
        let v: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let keys: Vec<String> = {
            let s = canonicalize(&v);
            let back: Map<String, Value> = serde_json::from_str(&s).unwrap();
            back.keys().cloned().collect()
        };
        assert_eq!(
            keys,
            vec![
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
    }

    #[test]
    fn rfc8785_values_example() {
        // RFC 8785 §3.2.2 example.
        let v: Value = serde_json::from_str(
            r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                "literals": [null, true, false]}"#,
        )
        .unwrap();
        assert_eq!(
            canonicalize(&v),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }

    #[test]
    fn numbers_like_javascript() {
        let cases: &[(Value, &str)] = &[
            (json!(0), "0"),
            (json!(-0.0), "0"),
            (json!(1.0), "1"),
            (json!(-5), "-5"),
            (json!(1e21), "1e+21"),
            (json!(1e20), "100000000000000000000"),
            (json!(0.000001), "0.000001"),
            (json!(1e-7), "1e-7"),
            (json!(u64::MAX), "18446744073709552000"),
            (json!(9007199254740993u64), "9007199254740992"),
            (json!(i64::MIN), "-9223372036854776000"),
            (json!(9007199254740992u64), "9007199254740992"),
        ];
        for (v, want) in cases {
            assert_eq!(canonicalize(v), *want, "{v:?}");
        }
    }

    #[test]
    fn number_normalization() {
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert_eq!(normalize_number(&n(json!(1.0))), Some(n(json!(1))));
        assert_eq!(normalize_number(&n(json!(-0.0))), Some(n(json!(0))));
        assert_eq!(normalize_number(&n(json!(0.5))), None);
        assert_eq!(normalize_number(&n(json!(7))), None);
        assert_eq!(normalize_number(&n(json!(-7))), None);
        assert_eq!(
            normalize_number(&n(json!(9007199254740993u64))),
            Some(n(json!(9007199254740992u64)))
        );
        let big = normalize_number(&n(json!(u64::MAX))).unwrap();
        assert!(big.is_f64());
        assert_eq!(normalize_number(&big), None);
        // 2^63 is written "9223372036854776000" (shortest round-trip digits), which reads back
        // as another u64 that is then stable.
        let two63 = normalize_number(&n(json!(1u64 << 63))).unwrap();
        assert_eq!(two63.as_u64(), Some(9223372036854776000));
        assert_eq!(normalize_number(&two63), None);
    }

    #[test]
    fn strings_like_json_stringify() {
        let v = json!("a\u{0}\u{1f}\u{7f}\u{2028}é\"\\\u{8}\u{c}\n\r\t");
        assert_eq!(
            canonicalize(&v),
            "\"a\\u0000\\u001f\u{7f}\u{2028}é\\\"\\\\\\b\\f\\n\\r\\t\""
        );
    }

    #[test]
    fn js_property_order() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"10":2,"a":3,"2":4,"01":5,"4294967295":6}"#).unwrap();
        assert_eq!(
            js_stringify(&v),
            r#"{"2":4,"10":2,"b":1,"a":3,"01":5,"4294967295":6}"#
        );
        assert_eq!(
            canonicalize(&v),
            r#"{"01":5,"10":2,"2":4,"4294967295":6,"a":3,"b":1}"#
        );
    }
}
