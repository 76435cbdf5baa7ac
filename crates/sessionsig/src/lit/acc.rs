//! Access control condition hashing, as the Lit JS SDK does it (`hashAccessControlConditions`
//! and friends in `@lit-protocol/access-control-conditions`).
//!
//! The SDK rebuilds each condition with a fixed key order and only the keys the node knows
//! (`canonical…Formatter`), then hashes the UTF-8 bytes of `JSON.stringify` of the array with
//! SHA-256. Keys whose value is missing are left out (JavaScript `undefined`); values are passed
//! through unchanged. The rules, by kind:
//!
//! * every kind: an array is formatted element by element (nested groups); an object with an
//!   `operator` key becomes `{"operator": …}`; an object with a `returnValueTest` key is a
//!   condition; anything else is an error;
//! * basic (`accessControlConditions`): `contractAddress, chain, standardContractType, method,
//!   parameters, returnValueTest{comparator, value}`;
//! * EVM contract (`evmContractConditions`): `contractAddress, functionName, functionParams,
//!   functionAbi{name, inputs[{name, type}], outputs[{name, type}], constant (default false),
//!   stateMutability}, chain, returnValueTest{key, comparator, value}`;
//! * Solana RPC (`solRpcConditions`): v1 `method, params, chain, returnValueTest{key,
//!   comparator, value}`; v2 (when `pdaParams` is present, and always inside unified
//!   conditions) `method, params, pdaParams, pdaInterface{offset, fields}, pdaKey, chain,
//!   returnValueTest{…}`;
//! * Cosmos: `path, chain, method, parameters, returnValueTest{key, comparator, value}`;
//! * unified (`unifiedAccessControlConditions`): by `conditionType` (`evmBasic`, `evmContract`,
//!   `solRpc`, `cosmos`); an empty list is refused.

use super::ability::LitResourcePrefix;
use super::resource::LitResource;
use crate::error::{Error, Result};
use crate::recap::jcs::js_stringify;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Deepest nesting of condition groups accepted.
pub const MAX_GROUP_DEPTH: usize = 16;

/// Which list of conditions (the SDK's four parameters of `encrypt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    /// `accessControlConditions` (basic EVM conditions).
    Basic,
    /// `evmContractConditions`.
    EvmContract,
    /// `solRpcConditions`.
    SolRpc,
    /// `unifiedAccessControlConditions`.
    Unified,
}

/// SHA-256 of `JSON.stringify` of the canonically formatted basic access control conditions
/// (`accessControlConditions`), exactly as the Lit SDK's `hashAccessControlConditions`.
///
/// Errors: [`Error::InvalidCondition`] when `conditions` is not an array or an element is
/// neither a group, an operator nor a condition.
pub fn hash_access_control_conditions(conditions: &Value) -> Result<[u8; 32]> {
    hash_conditions(ConditionKind::Basic, conditions)
}

/// SHA-256 of the canonical JSON of `conditions` of the given kind (see the module docs).
///
/// Errors: [`Error::InvalidCondition`] as for [`hash_access_control_conditions`]; unified
/// conditions also refuse an empty list and an unknown `conditionType`.
pub fn hash_conditions(kind: ConditionKind, conditions: &Value) -> Result<[u8; 32]> {
    let text = canonical_conditions_json(kind, conditions)?;
    Ok(Sha256::digest(text.as_bytes()).into())
}

/// The exact text the SDK hashes: `JSON.stringify` of the canonically formatted conditions.
///
/// Errors: as [`hash_conditions`].
pub fn canonical_conditions_json(kind: ConditionKind, conditions: &Value) -> Result<String> {
    let list = conditions
        .as_array()
        .ok_or_else(|| invalid("the conditions are not an array"))?;
    if kind == ConditionKind::Unified && list.is_empty() {
        return Err(invalid("no conditions provided"));
    }
    let formatted = list
        .iter()
        .map(|c| format(kind, c, 0))
        .collect::<Result<Vec<_>>>()?;
    Ok(js_stringify(&Value::Array(formatted)))
}

/// The decryption resource of data encrypted under basic conditions:
/// `lit-accesscontrolcondition://<conditions hash hex>/<sha256(data) hex>`.
///
/// Errors: as [`hash_access_control_conditions`].
pub fn decryption_resource(conditions: &Value, data: &[u8]) -> Result<LitResource> {
    decryption_resource_for(ConditionKind::Basic, conditions, data)
}

/// [`decryption_resource`] for conditions of any kind.
///
/// Errors: as [`hash_conditions`].
pub fn decryption_resource_for(
    kind: ConditionKind,
    conditions: &Value,
    data: &[u8],
) -> Result<LitResource> {
    let conditions_hash = hash_conditions(kind, conditions)?;
    let data_hash: [u8; 32] = Sha256::digest(data).into();
    LitResource::new(
        LitResourcePrefix::AccessControlCondition,
        format!(
            "{}/{}",
            hex::encode(conditions_hash),
            hex::encode(data_hash)
        ),
    )
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidCondition(msg.into())
}

/// JavaScript `obj[key]`: `Ok(None)` for `undefined`, an error where JavaScript throws
/// (property access on `null`; `undefined` is passed in as `None`).
fn prop<'v>(obj: Option<&'v Value>, key: &str, what: &str) -> Result<Option<&'v Value>> {
    match obj {
        None | Some(Value::Null) => Err(invalid(format!(
            "cannot read {key:?} of a missing or null {what}"
        ))),
        Some(Value::Object(m)) => Ok(m.get(key)),
        Some(_) => Ok(None),
    }
}

/// An object with the given keys, leaving out the missing ones (as `JSON.stringify` does with
/// `undefined`).
fn object(entries: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Value {
    let mut m = Map::new();
    for (k, v) in entries {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    }
    Value::Object(m)
}

/// JavaScript `key in cond` for a condition element (throws on non-objects).
fn as_condition_object(cond: &Value) -> Result<&Map<String, Value>> {
    cond.as_object().ok_or_else(|| {
        invalid(format!(
            "a condition must be an object or an array, not {cond}"
        ))
    })
}

fn format(kind: ConditionKind, cond: &Value, depth: usize) -> Result<Value> {
    format_with(kind, cond, depth, false)
}

fn format_with(kind: ConditionKind, cond: &Value, depth: usize, sol_v2: bool) -> Result<Value> {
    if depth > MAX_GROUP_DEPTH {
        return Err(invalid(format!(
            "condition groups nested deeper than {MAX_GROUP_DEPTH}"
        )));
    }
    if let Value::Array(items) = cond {
        return items
            .iter()
            .map(|c| format_with(kind, c, depth + 1, sol_v2))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array);
    }
    let obj = as_condition_object(cond)?;
    if obj.contains_key("operator") {
        return Ok(object([("operator", obj.get("operator").cloned())]));
    }
    if !obj.contains_key("returnValueTest") {
        return Err(invalid(format!(
            "not a condition (no returnValueTest): {}",
            js_stringify(cond)
        )));
    }
    match kind {
        ConditionKind::Basic => basic(obj),
        ConditionKind::EvmContract => evm_contract(obj),
        ConditionKind::SolRpc => sol_rpc(obj, sol_v2),
        ConditionKind::Unified => match obj.get("conditionType").and_then(Value::as_str) {
            Some("evmBasic") => basic(obj),
            Some("evmContract") => evm_contract(obj),
            Some("solRpc") => sol_rpc(obj, true),
            Some("cosmos") => cosmos(obj),
            _ => Err(invalid(format!(
                "missing or unknown conditionType: {}",
                js_stringify(cond)
            ))),
        },
    }
}

fn get(obj: &Map<String, Value>, key: &str) -> Option<Value> {
    obj.get(key).cloned()
}

fn basic(c: &Map<String, Value>) -> Result<Value> {
    let rvt = c.get("returnValueTest");
    Ok(object([
        ("contractAddress", get(c, "contractAddress")),
        ("chain", get(c, "chain")),
        ("standardContractType", get(c, "standardContractType")),
        ("method", get(c, "method")),
        ("parameters", get(c, "parameters")),
        (
            "returnValueTest",
            Some(object([
                (
                    "comparator",
                    prop(rvt, "comparator", "returnValueTest")?.cloned(),
                ),
                ("value", prop(rvt, "value", "returnValueTest")?.cloned()),
            ])),
        ),
    ]))
}

fn return_value_test_v2(c: &Map<String, Value>) -> Result<Value> {
    let rvt = c.get("returnValueTest");
    Ok(object([
        ("key", prop(rvt, "key", "returnValueTest")?.cloned()),
        (
            "comparator",
            prop(rvt, "comparator", "returnValueTest")?.cloned(),
        ),
        ("value", prop(rvt, "value", "returnValueTest")?.cloned()),
    ]))
}

fn abi_params(v: Option<&Value>, what: &str) -> Result<Value> {
    let list = v
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("functionAbi.{what} is not an array")))?;
    list.iter()
        .map(|p| {
            Ok(object([
                ("name", prop(Some(p), "name", "ABI parameter")?.cloned()),
                ("type", prop(Some(p), "type", "ABI parameter")?.cloned()),
            ]))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn evm_contract(c: &Map<String, Value>) -> Result<Value> {
    let abi = c.get("functionAbi");
    let constant = prop(abi, "constant", "functionAbi")?
        .cloned()
        .unwrap_or(Value::Bool(false));
    let canonical_abi = object([
        ("name", prop(abi, "name", "functionAbi")?.cloned()),
        (
            "inputs",
            Some(abi_params(prop(abi, "inputs", "functionAbi")?, "inputs")?),
        ),
        (
            "outputs",
            Some(abi_params(prop(abi, "outputs", "functionAbi")?, "outputs")?),
        ),
        ("constant", Some(constant)),
        (
            "stateMutability",
            prop(abi, "stateMutability", "functionAbi")?.cloned(),
        ),
    ]);
    Ok(object([
        ("contractAddress", get(c, "contractAddress")),
        ("functionName", get(c, "functionName")),
        ("functionParams", get(c, "functionParams")),
        ("functionAbi", Some(canonical_abi)),
        ("chain", get(c, "chain")),
        ("returnValueTest", Some(return_value_test_v2(c)?)),
    ]))
}

fn sol_rpc(c: &Map<String, Value>, require_v2: bool) -> Result<Value> {
    let rvt = return_value_test_v2(c)?;
    if c.contains_key("pdaParams") || require_v2 {
        let pda = c.get("pdaInterface");
        let has = |key: &str| -> Result<bool> {
            match pda {
                Some(Value::Object(m)) => Ok(m.contains_key(key)),
                // `key in x` throws on primitives.
                _ => Err(invalid("pdaInterface is not an object")),
            }
        };
        if !c.contains_key("pdaInterface")
            || !c.contains_key("pdaKey")
            || !has("offset")?
            || !has("fields")?
        {
            return Err(invalid(
                "Solana RPC v2 conditions need pdaInterface{offset, fields} and pdaKey",
            ));
        }
        let interface = object([
            ("offset", prop(pda, "offset", "pdaInterface")?.cloned()),
            ("fields", prop(pda, "fields", "pdaInterface")?.cloned()),
        ]);
        Ok(object([
            ("method", get(c, "method")),
            ("params", get(c, "params")),
            ("pdaParams", get(c, "pdaParams")),
            ("pdaInterface", Some(interface)),
            ("pdaKey", get(c, "pdaKey")),
            ("chain", get(c, "chain")),
            ("returnValueTest", Some(rvt)),
        ]))
    } else {
        Ok(object([
            ("method", get(c, "method")),
            ("params", get(c, "params")),
            ("chain", get(c, "chain")),
            ("returnValueTest", Some(rvt)),
        ]))
    }
}

fn cosmos(c: &Map<String, Value>) -> Result<Value> {
    Ok(object([
        ("path", get(c, "path")),
        ("chain", get(c, "chain")),
        ("method", get(c, "method")),
        ("parameters", get(c, "parameters")),
        ("returnValueTest", Some(return_value_test_v2(c)?)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basic_cond(addr: &str) -> Value {
        json!({
            "contractAddress": "",
            "standardContractType": "",
            "chain": "ethereum",
            "method": "",
            "parameters": [":userAddress"],
            "returnValueTest": {"comparator": "=", "value": addr}
        })
    }

    #[test]
    fn basic_key_order_and_extra_keys_dropped() {
        let mut c = basic_cond("0xabc");
        c["conditionType"] = json!("evmBasic");
        c["returnValueTest"]["extra"] = json!(1);
        let text = canonical_conditions_json(ConditionKind::Basic, &json!([c])).unwrap();
        assert_eq!(
            text,
            r#"[{"contractAddress":"","chain":"ethereum","standardContractType":"","method":"","parameters":[":userAddress"],"returnValueTest":{"comparator":"=","value":"0xabc"}}]"#
        );
    }

    #[test]
    fn operators_and_nested_groups() {
        let conds = json!([
            basic_cond("0x1"),
            {"operator": "or", "ignored": true},
            [basic_cond("0x2"), {"operator": "and"}, basic_cond("0x3")]
        ]);
        let text = canonical_conditions_json(ConditionKind::Basic, &conds).unwrap();
        assert!(text.contains(r#"{"operator":"or"}"#));
        assert!(text.contains(r#"[{"contractAddress":"","chain":"ethereum""#));
        assert!(text.contains(r#"},{"operator":"and"},{"#));
        assert!(text.ends_with("}]]"));
        hash_access_control_conditions(&conds).unwrap();
    }

    #[test]
    fn missing_keys_are_left_out() {
        let conds = json!([{"chain": "ethereum", "returnValueTest": {"value": "1"}}]);
        assert_eq!(
            canonical_conditions_json(ConditionKind::Basic, &conds).unwrap(),
            r#"[{"chain":"ethereum","returnValueTest":{"value":"1"}}]"#
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            json!({}),
            json!("x"),
            json!([1]),
            json!(["x"]),
            json!([null]),
            json!([{"chain": "ethereum"}]),
            json!([{"returnValueTest": null}]),
        ] {
            assert_eq!(
                hash_access_control_conditions(&bad).unwrap_err().code(),
                "invalid_condition",
                "{bad}"
            );
        }
        // Deep nesting is refused, not a stack overflow.
        let mut deep = json!([basic_cond("0x1")]);
        for _ in 0..100 {
            deep = json!([deep]);
        }
        assert!(hash_access_control_conditions(&deep).is_err());
        // Unified: empty list and unknown conditionType.
        assert!(hash_conditions(ConditionKind::Unified, &json!([])).is_err());
        assert!(hash_conditions(ConditionKind::Unified, &json!([basic_cond("0x1")])).is_err());
        // Basic: an empty list hashes "[]" like the SDK.
        assert_eq!(
            hash_access_control_conditions(&json!([])).unwrap(),
            <[u8; 32]>::from(Sha256::digest(b"[]"))
        );
    }

    #[test]
    fn unified_dispatch() {
        let mut evm_basic = basic_cond("0x1");
        evm_basic["conditionType"] = json!("evmBasic");
        let sol = json!({
            "conditionType": "solRpc",
            "method": "getBalance",
            "params": [":userAddress"],
            "pdaParams": [],
            "pdaInterface": {"offset": 0, "fields": {}},
            "pdaKey": "",
            "chain": "solana",
            "returnValueTest": {"key": "", "comparator": ">=", "value": "100"}
        });
        let cosmos = json!({
            "conditionType": "cosmos",
            "path": "/cosmos/bank/v1beta1/balances/:userAddress",
            "chain": "cosmos",
            "returnValueTest": {"key": "$.balances[0].amount", "comparator": ">=", "value": "1"}
        });
        let evm = json!({
            "conditionType": "evmContract",
            "contractAddress": "0x7C7757a9675f06F3BE4618bB68732c4aB25D2e88",
            "functionName": "balanceOf",
            "functionParams": [":userAddress", "8"],
            "functionAbi": {
                "type": "function",
                "stateMutability": "view",
                "outputs": [{"type": "uint256", "name": "", "internalType": "uint256"}],
                "name": "balanceOf",
                "inputs": [{"type": "address", "name": "account"}, {"type": "uint256", "name": "id"}]
            },
            "chain": "mumbai",
            "returnValueTest": {"key": "", "comparator": ">", "value": "0"}
        });
        let conds = json!([evm_basic, {"operator": "or"}, sol, {"operator": "and"}, cosmos, {"operator": "or"}, evm]);
        let text = canonical_conditions_json(ConditionKind::Unified, &conds).unwrap();
        assert!(text.contains(r#"{"method":"getBalance","params":[":userAddress"],"pdaParams":[],"pdaInterface":{"offset":0,"fields":{}},"pdaKey":"","chain":"solana","returnValueTest":{"key":"","comparator":">=","value":"100"}}"#), "{text}");
        assert!(text.contains(r#"{"path":"/cosmos/bank/v1beta1/balances/:userAddress","chain":"cosmos","returnValueTest":{"key":"$.balances[0].amount","comparator":">=","value":"1"}}"#), "{text}");
        assert!(text.contains(r#"{"contractAddress":"0x7C7757a9675f06F3BE4618bB68732c4aB25D2e88","functionName":"balanceOf","functionParams":[":userAddress","8"],"functionAbi":{"name":"balanceOf","inputs":[{"name":"account","type":"address"},{"name":"id","type":"uint256"}],"outputs":[{"name":"","type":"uint256"}],"constant":false,"stateMutability":"view"},"chain":"mumbai","returnValueTest":{"key":"","comparator":">","value":"0"}}"#), "{text}");
    }

    #[test]
    fn sol_rpc_v1_and_v2() {
        let v1 = json!([{
            "method": "getBalance", "params": [":userAddress"], "chain": "solana",
            "returnValueTest": {"key": "", "comparator": ">=", "value": "1"}
        }]);
        assert_eq!(
            canonical_conditions_json(ConditionKind::SolRpc, &v1).unwrap(),
            r#"[{"method":"getBalance","params":[":userAddress"],"chain":"solana","returnValueTest":{"key":"","comparator":">=","value":"1"}}]"#
        );
        let v2_incomplete = json!([{
            "method": "m", "params": [], "pdaParams": [], "chain": "solana",
            "returnValueTest": {"key": "", "comparator": "=", "value": "1"}
        }]);
        assert!(hash_conditions(ConditionKind::SolRpc, &v2_incomplete).is_err());
    }
}
