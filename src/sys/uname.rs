//! uname(2): what the running kernel calls itself, without /proc or /etc.

use super::SysError;

/// The fields of `struct utsname` that callers use, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utsname {
    /// "Linux".
    pub sysname: String,
    /// The release, as `uname -r` prints it: "6.12.48+deb13-amd64".
    pub release: String,
    /// The build string, as `uname -v` prints it.
    pub version: String,
    /// The hardware name, as `uname -m` prints it: "x86_64".
    pub machine: String,
}

/// uname(2) (man 2 uname).
pub fn uname() -> Result<Utsname, SysError> {
    // SAFETY: utsname is plain old data (arrays of c_char); all zeroes is a valid value.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname writes only into the struct we own, whose layout libc declares.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return Err(SysError::last("uname"));
    }
    Ok(Utsname {
        sysname: field(&uts.sysname),
        release: field(&uts.release),
        version: field(&uts.version),
        machine: field(&uts.machine),
    })
}

/// A NUL-terminated utsname field as text (bytes that are not UTF-8 become U+FFFD).
fn field(raw: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = raw
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_linux() {
        let u = uname().unwrap();
        assert_eq!(u.sysname, "Linux");
        assert!(u.release.chars().next().is_some_and(|c| c.is_ascii_digit()));
    }
}
