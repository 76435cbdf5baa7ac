//! A strict JSON reader for ReCap payloads: rejects unsorted or duplicate object keys (RFC 8785
//! order, UTF-16 code units), bounds the nesting depth and refuses trailing data.

use super::jcs::cmp_utf16;
use crate::error::Error;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;

/// Maximum nesting of arrays and objects in a ReCap payload (the capability object itself uses
/// four levels: top, `att`, resource, ability list, caveat).
pub(crate) const MAX_DEPTH: usize = 32;

/// Parse `bytes` as one JSON value whose objects all have strictly increasing keys.
///
/// Errors: [`Error::RecapInvalid`] for unsorted or duplicate keys, [`Error::RecapDecode`] for
/// anything else (syntax, depth, trailing data).
pub(crate) fn parse_sorted(bytes: &[u8]) -> Result<Value, Error> {
    let rule_error: RefCell<Option<Error>> = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Seed {
        depth: 0,
        rule_error: &rule_error,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(e) => Err(rule_error
            .into_inner()
            .unwrap_or_else(|| Error::RecapDecode(format!("JSON: {e}")))),
    }
}

#[derive(Clone, Copy)]
struct Seed<'r> {
    depth: usize,
    rule_error: &'r RefCell<Option<Error>>,
}

impl<'r> Seed<'r> {
    fn deeper<E: de::Error>(self) -> Result<Seed<'r>, E> {
        if self.depth >= MAX_DEPTH {
            *self.rule_error.borrow_mut() = Some(Error::RecapDecode(format!(
                "JSON nested deeper than {MAX_DEPTH} levels"
            )));
            return Err(E::custom("too deep"));
        }
        Ok(Seed {
            depth: self.depth + 1,
            rule_error: self.rule_error,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if let Some(prev) = map.keys().next_back() {
                match cmp_utf16(prev, &key) {
                    Ordering::Less => {}
                    Ordering::Equal => {
                        *self.rule_error.borrow_mut() =
                            Some(Error::RecapInvalid(format!("duplicate key {key:?}")));
                        return Err(de::Error::custom("duplicate key"));
                    }
                    Ordering::Greater => {
                        *self.rule_error.borrow_mut() = Some(Error::RecapInvalid(format!(
                            "keys are not sorted: {key:?} after {prev:?}"
                        )));
                        return Err(de::Error::custom("unsorted keys"));
                    }
                }
            }
            let value = access.next_value_seed(inner)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sorted() {
        let v = parse_sorted(br#"{"a":1,"b":{"c":[1,{"d":null,"e":true}]}}"#).unwrap();
        assert_eq!(v["b"]["c"][1]["e"], Value::Bool(true));
        // whitespace is tolerated (only order is a rule)
        assert!(parse_sorted(b" {\"a\" : 1 } ").is_ok());
    }

    #[test]
    fn rejects() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"b":1,"a":2}"#, "recap_invalid"),
            (br#"{"a":1,"a":2}"#, "recap_invalid"),
            (br#"{"a":{"y":1,"x":2}}"#, "recap_invalid"),
            (br#"[{"ab":1,"a":2}]"#, "recap_invalid"),
            (br#"{"a":1} x"#, "recap_decode"),
            (br#"{"a":1}{}"#, "recap_decode"),
            (br#"{"a":1"#, "recap_decode"),
            (b"", "recap_decode"),
            (b"\xff", "recap_decode"),
            (b"{\"a\":\"\xff\"}", "recap_decode"),
        ];
        for (input, code) in cases {
            let err = parse_sorted(input).unwrap_err();
            assert_eq!(
                err.code(),
                *code,
                "{:?}: {err}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_sorted(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse_sorted(deep.as_bytes()).unwrap_err().code(),
            "recap_decode"
        );
        let very_deep = "[".repeat(100_000);
        assert!(parse_sorted(very_deep.as_bytes()).is_err());
    }
}
