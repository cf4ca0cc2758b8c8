//! Kernel profiles: the sets of acceptance rules a policy is checked against, and the
//! running kernel's release.

use std::fmt;
use std::str::FromStr;

/// A set of kernel acceptance rules. Each profile stands for a range of kernel releases:
/// 6.1 for everything before 6.12, 6.12 for 6.12 up to 7.1, 7.2 for 7.2 and later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    V6_1,
    V6_12,
    V7_2,
}

/// Returned for a kernel version that has no profile (older than 6.1, or not a version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no kernel profile for '{}' (profiles: 6.1, 6.12, 7.2; any release from 6.1 on is mapped to the newest profile not newer than it)",
            self.0
        )
    }
}

impl std::error::Error for UnknownProfile {}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 3] = [Profile::V6_1, Profile::V6_12, Profile::V7_2];

    /// The profile's name, also what `--kernel` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Profile::V6_1 => "6.1",
            Profile::V6_12 => "6.12",
            Profile::V7_2 => "7.2",
        }
    }

    /// The (major, minor) release the profile is named after.
    pub fn version(self) -> (u32, u32) {
        match self {
            Profile::V6_1 => (6, 1),
            Profile::V6_12 => (6, 12),
            Profile::V7_2 => (7, 2),
        }
    }

    /// The newest profile not newer than kernel release `major.minor`; `None` before 6.1.
    pub fn for_version(major: u32, minor: u32) -> Option<Profile> {
        Profile::ALL
            .into_iter()
            .rev()
            .find(|p| p.version() <= (major, minor))
    }

    /// The profile for a release string such as `6.12.48+deb13-cloud-amd64` (what
    /// `uname -r` prints): its leading `MAJOR.MINOR` decides.
    pub fn for_release(release: &str) -> Result<Profile, UnknownProfile> {
        let bad = || UnknownProfile(release.to_string());
        let mut parts = release.splitn(3, |c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let rest = &release[major.to_string().len()..];
        let rest = rest.strip_prefix('.').ok_or_else(bad)?;
        let minor_digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let minor: u32 = minor_digits.parse().map_err(|_| bad())?;
        Profile::for_version(major, minor).ok_or_else(bad)
    }

    /// The profile of the running kernel, from uname(2), with the release string.
    pub fn running() -> Result<(Profile, String), UnknownProfile> {
        let release = kernel_release().ok_or_else(|| UnknownProfile("(uname failed)".into()))?;
        let profile = Profile::for_release(&release)?;
        Ok((profile, release))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        Profile::for_release(s)
    }
}

/// Where the profile a policy is checked against came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileSource {
    /// The caller named this kernel version.
    Requested(String),
    /// The running kernel, with its release.
    Running(String),
    /// The running kernel is older than the oldest profile (or uname failed: the release is
    /// then empty); the oldest profile is used.
    RunningOlder(String),
}

/// The profile to check for: the `requested` version when given, else the running
/// kernel's, falling back to the oldest profile for a kernel older than every profile.
pub fn choose_profile(requested: Option<&str>) -> Result<(Profile, ProfileSource), UnknownProfile> {
    match requested {
        Some(v) => Profile::for_release(v).map(|p| (p, ProfileSource::Requested(v.to_string()))),
        None => match Profile::running() {
            Ok((p, release)) => Ok((p, ProfileSource::Running(release))),
            Err(_) => Ok((
                Profile::ALL[0],
                ProfileSource::RunningOlder(kernel_release().unwrap_or_default()),
            )),
        },
    }
}

/// The running kernel's release (`uname -r`), read with uname(2) so that no /proc or /etc
/// is needed.
pub fn kernel_release() -> Option<String> {
    crate::sys::uname::uname().ok().map(|u| u.release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_profile_wins_and_running_is_the_default() {
        assert_eq!(
            choose_profile(Some("6.12")).unwrap(),
            (Profile::V6_12, ProfileSource::Requested("6.12".into()))
        );
        assert!(choose_profile(Some("5.4")).is_err());
        let release = kernel_release().unwrap();
        let (p, source) = choose_profile(None).unwrap();
        match Profile::for_release(&release) {
            Ok(expected) => assert_eq!((p, source), (expected, ProfileSource::Running(release))),
            Err(_) => assert_eq!(
                (p, source),
                (Profile::V6_1, ProfileSource::RunningOlder(release))
            ),
        }
    }

    #[test]
    fn release_maps_to_profile() {
        assert_eq!(
            Profile::for_release("6.1.0-18-cloud-amd64"),
            Ok(Profile::V6_1)
        );
        assert_eq!(Profile::for_release("6.11.2"), Ok(Profile::V6_1));
        assert_eq!(
            Profile::for_release("6.12.48+deb13-amd64"),
            Ok(Profile::V6_12)
        );
        assert_eq!(Profile::for_release("7.1"), Ok(Profile::V6_12));
        assert_eq!(Profile::for_release("7.2.0"), Ok(Profile::V7_2));
        assert_eq!(Profile::for_release("8.0"), Ok(Profile::V7_2));
        assert!(Profile::for_release("5.15.0").is_err());
        assert!(Profile::for_release("six").is_err());
        assert!(Profile::for_release("6").is_err());
    }
}
