//! The signature base (RFC 9421 §2.5): the exact bytes that are signed.
//!
//! One line per covered component, `"<name>": <value>`, then the `"@signature-params"` line
//! with the canonical serialization of the inner list, lines joined by `\n` with none at the
//! end. Values come from `Component::value`; a component that cannot be computed (a covered
//! header the request lacks) makes the base impossible, which the caller reports.

use super::component::Component;
use super::params::{serialize_inner_list, SignatureParams};
use super::RequestView;

/// The signature base for `components` of `request`, with `inner` as the
/// `@signature-params` value. The error says which component could not be computed.
pub(crate) fn build(
    request: &impl RequestView,
    components: &[Component],
    inner: &sfv::InnerList,
) -> Result<String, String> {
    let mut base = String::new();
    for c in components {
        let value = c.value(request)?;
        if value.contains(['\r', '\n']) {
            return Err(format!("component {c} contains a line break"));
        }
        base.push_str(&format!("{c}: {value}\n"));
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(&serialize_inner_list(inner));
    Ok(base)
}

/// The signature base our signer would sign for `params` over `request` (for tests, and for
/// clients that sign elsewhere, e.g. with a non-extractable WebCrypto key).
pub fn signature_base(
    request: &impl RequestView,
    params: &SignatureParams,
) -> crate::error::Result<String> {
    let inner = params.to_inner_list()?;
    build(request, &params.components, &inner)
        .map_err(crate::error::Error::MalformedRequestSignature)
}
