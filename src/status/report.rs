//! What `imactl status` says: the checks, the keyrings, the verdict with its reasons and
//! the first step, and the report as one screen of text.

use serde::Serialize;

use super::facts::KeyMember;

/// The state of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Ok,
    Warn,
    Bad,
    Unknown,
    Info,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A stable word: "ima", "appraise-mode", "lockdown", "secure-boot", "policy",
    /// "policy-fixed", "ima-keyring", "kexec-sig", "config", "arch-policy", "pe-enforced",
    /// "ima-trust", "kexec-needs".
    pub name: &'static str,
    pub state: State,
    pub detail: String,
}

/// A keyring the kernel made or IMA may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyringReport {
    pub name: String,
    pub serial: i32,
    /// The count /proc/keys shows.
    pub keys: Option<u32>,
    /// The keys, when the keyring could be read.
    pub members: Option<Vec<KeyMember>>,
    /// What it is for, in words.
    pub role: &'static str,
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Only kernels signed by a key the kernel's trusted keyrings vouch for can be loaded:
    /// root cannot load a kernel of its choice.
    Protected,
    /// Kernels must be signed, but by a key root can add (`_ima`): a guard against
    /// accidents, not against root.
    AccidentsOnly,
    /// Any kernel can be loaded.
    NotProtected,
    /// The facts needed are not readable.
    Unknown,
}

impl Verdict {
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Protected => "PROTECTED against root: only signed kernels whose key the kernel's built-in trust vouches for can be loaded",
            Verdict::AccidentsOnly => "PROTECTED AGAINST ACCIDENTS ONLY, not against root: kexec images must be signed, but by a key any root process can add",
            Verdict::NotProtected => "NOT PROTECTED: root can load any kernel with kexec",
            Verdict::Unknown => "UNKNOWN: the facts needed could not be read",
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub release: Option<String>,
    pub checks: Vec<Check>,
    pub keyrings: Vec<KeyringReport>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub first_step: String,
}

/// The checks of a report, in the order they were made.
#[derive(Default)]
pub(super) struct Checks(pub(super) Vec<Check>);

impl Checks {
    pub(super) fn add(&mut self, name: &'static str, state: State, detail: String) {
        self.0.push(Check {
            name,
            state,
            detail,
        })
    }
}

impl Report {
    /// One screen of text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "kexec protection on {}\n\n",
            self.release.as_deref().unwrap_or("this kernel")
        );
        for c in &self.checks {
            let tag = match c.state {
                State::Ok => "ok",
                State::Warn => "warn",
                State::Bad => "BAD",
                State::Unknown => "??",
                State::Info => "-",
            };
            s.push_str(&format!("[{tag:>4}] {:<13} {}\n", c.name, c.detail));
        }
        if !self.keyrings.is_empty() {
            s.push_str("\nkeyrings:\n");
            for k in &self.keyrings {
                let n = k
                    .keys
                    .map(|n| format!("{n} key{}", if n == 1 { "" } else { "s" }))
                    .unwrap_or_else(|| "? keys".into());
                s.push_str(&format!(
                    "  {:<24} {:>10}  {:<8} {}\n",
                    k.name, k.serial, n, k.role
                ));
                for m in k.members.iter().flatten() {
                    s.push_str(&format!(
                        "      {:>10} {:<11} {}\n",
                        m.serial,
                        m.keyid
                            .as_deref()
                            .map(|i| format!("id:{i}"))
                            .unwrap_or_else(|| "-".into()),
                        m.description
                    ));
                }
            }
        }
        s.push_str(&format!("\nverdict: {}\n", self.verdict.words()));
        for r in &self.reasons {
            s.push_str(&format!("  - {r}\n"));
        }
        s.push_str(&format!("first step: {}\n", self.first_step));
        s
    }
}
