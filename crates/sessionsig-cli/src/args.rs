//! Parsing of shared argument forms: `RESOURCE=ABILITY`, timestamps.

use crate::error::{CliError, CliResult};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::time::{parse_rfc3339, OffsetDateTime};
use std::str::FromStr;

/// One `--request RESOURCE=ABILITY`, as written: ABILITY is a Lit ability name
/// (`pkp-signing`) or a ReCap `namespace/name` (`Threshold/Signing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestArg {
    /// The resource URI (`lit-pkp://*`, `https://example.com/photos/`).
    pub resource: String,
    /// The ability as written.
    pub ability: String,
}

impl FromStr for RequestArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (resource, ability) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("`{s}` is not RESOURCE=ABILITY"))?;
        if resource.is_empty() || ability.is_empty() {
            return Err(format!("`{s}` is not RESOURCE=ABILITY"));
        }
        Ok(RequestArg {
            resource: resource.to_owned(),
            ability: ability.to_owned(),
        })
    }
}

impl RequestArg {
    /// The ReCap ability key this request grants (`Threshold/Signing`).
    pub fn recap_ability(&self) -> CliResult<String> {
        if let Ok(a) = LitAbility::from_str(&self.ability) {
            return Ok(a.recap_key().to_owned());
        }
        if self.ability.contains('/') {
            return Ok(self.ability.clone());
        }
        Err(CliError::usage(format!(
            "`{}` is neither a Lit ability name nor a ReCap namespace/name",
            self.ability
        )))
    }

    /// The Lit request (for SessionSigs): the resource must be a Lit resource; the ability a
    /// Lit name or the ReCap key that maps to one for that resource.
    pub fn lit_request(&self) -> CliResult<ResourceAbilityRequest> {
        let resource = LitResource::parse(&self.resource)?;
        let ability = match LitAbility::from_str(&self.ability) {
            Ok(a) => a,
            Err(_) => {
                LitAbility::from_recap(resource.prefix(), &self.ability).ok_or_else(|| {
                    CliError::usage(format!(
                        "`{}` is not a Lit ability for `{}`",
                        self.ability,
                        resource.prefix().as_str()
                    ))
                })?
            }
        };
        if !ability.applies_to(resource.prefix()) {
            return Err(CliError::usage(format!(
                "`{}` does not apply to `{}` resources",
                ability.as_str(),
                resource.prefix().as_str()
            )));
        }
        Ok(ResourceAbilityRequest { resource, ability })
    }
}

/// Parse an RFC 3339 timestamp argument.
pub fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    parse_rfc3339(s).map_err(|e| e.to_string())
}
