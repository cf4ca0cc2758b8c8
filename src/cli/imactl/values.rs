//! Values offered by shell completion for options that also take other values: the
//! parser accepts what its inner parser accepts, and names the usual values for
//! clap_complete (and only for it: help and man pages say what the option takes).

use clap::builder::{PossibleValue, TypedValueParser};

/// Kernels with a rule profile (`--kernel`); any release from 6.1 on is accepted too.
pub const KERNELS: &[&str] = &["6.1", "6.12", "7.2"];
/// Keyring purposes and the usual names (`--keyring`); serials and other names too.
pub const KEYRINGS: &[&str] = &[
    "ima", "evm", "platform", "_ima", ".ima", "_evm", ".evm", "@u", "@s",
];

/// `inner` that offers `values` to completion.
#[derive(Clone)]
pub struct Offering<P> {
    pub inner: P,
    pub values: &'static [&'static str],
}

impl<P> TypedValueParser for Offering<P>
where
    P: TypedValueParser,
{
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.inner.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.values.iter().map(|v| PossibleValue::new(*v))))
    }
}

/// `--kernel`: any string (checked later against the profiles), offering [`KERNELS`].
pub fn kernel() -> Offering<clap::builder::StringValueParser> {
    Offering {
        inner: clap::builder::StringValueParser::new(),
        values: KERNELS,
    }
}

/// The parser of `--keyring` values.
pub type KeyringParser = fn(&str) -> Result<crate::keyring::KeyringSpec, String>;

/// `--keyring`, offering [`KEYRINGS`].
pub fn keyring() -> Offering<KeyringParser> {
    Offering {
        inner: keyring_arg,
        values: KEYRINGS,
    }
}

/// Parses `--keyring`.
pub(crate) fn keyring_arg(s: &str) -> Result<crate::keyring::KeyringSpec, String> {
    if s.is_empty() {
        return Err("an empty keyring name".into());
    }
    Ok(crate::keyring::KeyringSpec::parse(s))
}
