//! The kernel's keyrings and the one IMA looks keys up in (the `ima-keyring` check), and
//! the warning for commands about to rely on `_ima`.

use super::facts::Facts;
use super::report::{Checks, KeyringReport, State};
use crate::keyring::ProcKey;

const KEYRINGS: [(&str, &str); 7] = [
    (
        ".builtin_trusted_keys",
        "keys built into the kernel (CONFIG_SYSTEM_TRUSTED_KEYS, the module-signing key)",
    ),
    (
        ".secondary_trusted_keys",
        "keys vouched for by the built-in ones (added at run time, or linked from .machine)",
    ),
    (
        ".machine",
        "Machine Owner Keys from shim (secondary trusted with CONFIG_INTEGRITY_MACHINE_KEYRING)",
    ),
    (
        ".platform",
        "firmware db keys: also checked for kexec (IMA and PE signatures)",
    ),
    (
        ".ima",
        "made by the kernel, restricted: takes only keys signed by a trusted key",
    ),
    (
        "_ima",
        "made by userspace: ANY ROOT PROCESS CAN ADD A KEY TO IT",
    ),
    (".ima_blacklist", "keys IMA refuses"),
];

fn keyring_entry(keys: &[ProcKey], name: &str) -> Option<(i32, Option<u32>)> {
    keys.iter().find_map(|k| {
        if k.key_type != "keyring" {
            return None;
        }
        let rest = k.text.strip_prefix(name)?;
        if rest.is_empty() {
            return Some((k.serial, None));
        }
        let n = rest.strip_prefix(": ")?;
        Some((k.serial, n.trim().parse().ok()))
    })
}

/// The warning for a command about to rely on `_ima` on a kernel that made `.ima` (where
/// IMA looks keys up, ignoring `_ima`): `importing_into` is the keyring a key import
/// resolved to; `None` is a policy load with signature rules, which relies on `_ima` when
/// `.ima` is empty and `_ima` exists. `keys` is /proc/keys.
pub fn relying_on_user_ima(keys: &[ProcKey], importing_into: Option<&str>) -> Option<String> {
    let (_, dot_count) = keyring_entry(keys, ".ima")?;
    let user = keyring_entry(keys, "_ima");
    let relies = match importing_into {
        Some(name) => name == "_ima",
        None => user.is_some() && dot_count == Some(0),
    };
    relies.then(|| {
        "this kernel made .ima: IMA looks keys up there only and ignores _ima, so a key in \
         _ima verifies nothing (and _ima, which any root process can fill, would guard only \
         against accidents). Put into .ima (imactl key import CERT, the default keyring) a \
         certificate issued by a CA in .builtin_trusted_keys (imactl key new)"
            .to_string()
    })
}

/// The keyring IMA looks keys up in, with its key count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ImaKeyring {
    /// /proc/keys is not readable.
    Unreadable,
    /// `.ima`, made and restricted by the kernel.
    Dot(u32),
    /// `_ima`, made by userspace (the kernel has no `.ima`).
    User(u32),
    /// Neither: no signature can verify.
    Absent,
}

/// The keyrings found, and what IMA uses.
pub(super) struct Keyrings {
    pub(super) reports: Vec<KeyringReport>,
    pub(super) ima: ImaKeyring,
    /// The key counts of .builtin_trusted_keys and .secondary_trusted_keys (outer None:
    /// the keyring is not in /proc/keys; inner None: its count is unknown).
    pub(super) builtin: Option<Option<u32>>,
    pub(super) secondary: Option<Option<u32>>,
}

/// Lists the keyrings and adds the `ima-keyring` check.
pub(super) fn assess_keyrings(f: &Facts, c: &mut Checks) -> Keyrings {
    let mut keyrings = Vec::new();
    let keys = f.proc_keys.as_deref();
    let mut dot_ima: Option<Option<u32>> = None;
    let mut user_ima: Option<Option<u32>> = None;
    let mut builtin: Option<Option<u32>> = None;
    let mut secondary: Option<Option<u32>> = None;
    if let Some(keys) = keys {
        for (name, role) in KEYRINGS {
            if let Some((serial, count)) = keyring_entry(keys, name) {
                let members = f
                    .members
                    .iter()
                    .find(|(s, _)| *s == serial)
                    .map(|(_, m)| m.clone());
                let count = count.or(members.as_ref().map(|m| m.len() as u32));
                match name {
                    ".ima" => dot_ima = Some(count),
                    "_ima" => user_ima = Some(count),
                    ".builtin_trusted_keys" => builtin = Some(count),
                    ".secondary_trusted_keys" => secondary = Some(count),
                    _ => {}
                }
                keyrings.push(KeyringReport {
                    name: name.to_string(),
                    serial,
                    keys: count,
                    members,
                    role,
                });
            }
        }
    }
    Keyrings {
        reports: keyrings,
        ima: ima_keyring(f, c, dot_ima, user_ima),
        builtin,
        secondary,
    }
}

/// The `ima-keyring` check, from the counts of `.ima` and `_ima` (None: not there).
fn ima_keyring(
    f: &Facts,
    c: &mut Checks,
    dot_ima: Option<Option<u32>>,
    user_ima: Option<Option<u32>>,
) -> ImaKeyring {
    let trusted_integrity = f.config_enabled("INTEGRITY_TRUSTED_KEYRING");
    match (f.proc_keys.as_deref(), dot_ima, user_ima) {
        (None, _, _) => {
            c.add(
                "ima-keyring",
                State::Unknown,
                "/proc/keys is not readable".into(),
            );
            ImaKeyring::Unreadable
        }
        (Some(_), Some(n), _) => {
            let permit = if f.config_enabled("IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY")
                == Some(true)
            {
                ".builtin_trusted_keys or .secondary_trusted_keys"
            } else {
                ".builtin_trusted_keys"
            };
            let n = n.unwrap_or(0);
            c.add(
                "ima-keyring",
                if n > 0 { State::Ok } else { State::Warn },
                format!(
                    ".ima exists, made and restricted by the kernel: it takes only keys signed \
                     by a key in {permit}; it holds {n} key{}",
                    if n == 1 { "" } else { "s" }
                ),
            );
            ImaKeyring::Dot(n)
        }
        (Some(_), None, Some(n)) => {
            let n = n.unwrap_or(0);
            c.add(
                "ima-keyring",
                State::Bad,
                format!(
                    "IMA uses _ima, a keyring userspace made: any root process can add its own \
                     key to it and sign its own kernel ({n} key{} now). The kernel has no \
                     .ima (CONFIG_INTEGRITY_TRUSTED_KEYRING is not set)",
                    if n == 1 { "" } else { "s" }
                ),
            );
            ImaKeyring::User(n)
        }
        (Some(_), None, None) => {
            c.add(
                "ima-keyring",
                State::Bad,
                if trusted_integrity == Some(true) {
                    "no .ima in /proc/keys although CONFIG_INTEGRITY_TRUSTED_KEYRING=y".into()
                } else {
                    "no IMA keyring: no .ima (CONFIG_INTEGRITY_TRUSTED_KEYRING is not set) \
                     and no _ima: no signature can verify"
                        .into()
                },
            );
            ImaKeyring::Absent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_about_user_ima() {
        let keys = crate::keyring::parse_proc_keys(
            "10000111 I------     1 perm 1f0b0000     0     0 keyring   .ima: 0\n\
             10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&keys, Some("_ima")).is_some());
        assert!(relying_on_user_ima(&keys, Some(".ima")).is_none());
        assert!(relying_on_user_ima(&keys, None).is_some());
        let debian = crate::keyring::parse_proc_keys(
            "10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&debian, Some("_ima")).is_none());
        assert!(relying_on_user_ima(&debian, None).is_none());
        let filled = crate::keyring::parse_proc_keys(
            "10000111 I------     1 perm 1f0b0000     0     0 keyring   .ima: 1\n\
             10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&filled, None).is_none());
    }
}
