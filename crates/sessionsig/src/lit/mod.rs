//! Lit Protocol resources and abilities (SPEC §5).
//!
//! | resource prefix | abilities | ReCap key |
//! |---|---|---|
//! | `lit-accesscontrolcondition` | `access-control-condition-decryption` / `access-control-condition-signing` | `Threshold/Decryption` / `Threshold/Signing` |
//! | `lit-pkp` | `pkp-signing` | `Threshold/Signing` |
//! | `lit-ratelimitincrease` (v7) | `rate-limit-increase-auth` | `Auth/Auth` |
//! | `lit-paymentdelegation` (v8) | `lit-payment-delegation` | `Auth/Auth` |
//! | `lit-litaction` | `lit-action-execution` | `Threshold/Execution` |
//! | `backpack` (sessionsig's own) | `backpack/read`, `/list`, `/write`, `/delete`, `/*` | the same |
//!
//! * [`LitResource`]: `<prefix>://<id>`, `*` = every resource of the prefix; PKP ids are 64 hex
//!   characters ([`LitResource::pkp`]).
//! * [`coverage`]: whether a [`Capability`](crate::recap::Capability) grants an ability on a
//!   resource (wildcard key **or** exact key).
//! * [`hash_access_control_conditions`], [`decryption_resource`]: the id of data encrypted under
//!   access control conditions, as the Lit SDK computes it.

mod ability;
mod acc;
mod backpack;
mod backpack_path;
mod coverage;
mod resource;

pub use ability::{LitAbility, LitResourcePrefix};
pub use acc::{
    canonical_conditions_json, decryption_resource, decryption_resource_for,
    hash_access_control_conditions, hash_conditions, ConditionKind, MAX_GROUP_DEPTH,
};
pub use backpack::BackpackId;
pub use backpack_path::{
    BackpackPath, PathError, MAX_PATH_BYTES, MAX_RAW_PATH_BYTES, MAX_SEGMENT_BYTES,
};
pub use coverage::{coverage, grants, Coverage, Grant, ANY_ABILITY};
pub use resource::{LitResource, ResourceAbilityRequest, MAX_ID_LEN, WILDCARD};
