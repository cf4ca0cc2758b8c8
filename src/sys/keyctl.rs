//! add_key(2) and the keyctl(2) operations of the kernel key retention service
//! (man 7 keyrings). One safe function per operation; none interprets the answer beyond
//! decoding the kernel's structs. Keyring logic lives in [`crate::keyring`].

use std::ffi::CStr;

use super::{c_string, SysError};

/// A key serial number (`key_serial_t`). Negative values are the special ids (@t, @s...).
pub type KeySerial = i32;

// keyctl(2) operations (include/uapi/linux/keyctl.h).
const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_DESCRIBE: libc::c_long = 6;
const KEYCTL_LINK: libc::c_long = 8;
const KEYCTL_UNLINK: libc::c_long = 9;
const KEYCTL_SEARCH: libc::c_long = 10;
const KEYCTL_READ: libc::c_long = 11;
const KEYCTL_PKEY_QUERY: libc::c_long = 24;
const KEYCTL_PKEY_VERIFY: libc::c_long = 28;

/// `KEYCTL_SUPPORTS_VERIFY` in `keyctl_pkey_query.supported_ops`.
const KEYCTL_SUPPORTS_VERIFY: u32 = 0x08;

/// A keyctl/add_key return value: the serial or length, or the errno of `call`.
fn check(call: &'static str, ret: libc::c_long) -> Result<libc::c_long, SysError> {
    if ret < 0 {
        Err(SysError::last(call))
    } else {
        Ok(ret)
    }
}

/// add_key(2) (man 2 add_key): creates or updates a key of `key_type` in `keyring`. A
/// `None` description lets the key type propose one (an asymmetric key gets "CN: SKID-hex").
pub fn add_key(
    key_type: &str,
    description: Option<&str>,
    payload: &[u8],
    keyring: KeySerial,
) -> Result<KeySerial, SysError> {
    const CALL: &str = "add_key";
    let ty = c_string(CALL, key_type.as_bytes())?;
    let desc = description
        .map(|d| c_string(CALL, d.as_bytes()))
        .transpose()?;
    let desc_ptr = desc.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    // SAFETY: the strings are NUL-terminated (or desc_ptr is NULL, which add_key allows)
    // and live across the call; payload points to payload.len() readable bytes; the
    // kernel copies everything before returning.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            ty.as_ptr(),
            desc_ptr,
            payload.as_ptr(),
            payload.len(),
            keyring as libc::c_long,
        )
    };
    check(CALL, ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_GET_KEYRING_ID) (man 3 keyctl_get_keyring_ID): the real serial of a
/// special keyring id such as @u, creating it when `create` is set.
pub fn get_keyring_id(id: KeySerial, create: bool) -> Result<KeySerial, SysError> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            id as libc::c_long,
            create as libc::c_long,
        )
    };
    check("keyctl(KEYCTL_GET_KEYRING_ID)", ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING) (man 3 keyctl_join_session_keyring): joins (or
/// creates) the session keyring `name`, or a new anonymous one when `name` is `None`.
/// Credentials are per thread: only the calling thread and the processes it starts
/// afterwards see the new session.
pub fn join_session_keyring(name: Option<&str>) -> Result<KeySerial, SysError> {
    const CALL: &str = "keyctl(KEYCTL_JOIN_SESSION_KEYRING)";
    let name = name.map(|n| c_string(CALL, n.as_bytes())).transpose()?;
    let ptr = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
    // SAFETY: ptr is NULL or a NUL-terminated string alive across the call.
    let ret = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ptr) };
    check(CALL, ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_DESCRIBE) (man 3 keyctl_describe): the kernel's
/// "type;uid;gid;perm;description" text for a key.
pub fn describe(key: KeySerial) -> Result<String, SysError> {
    const CALL: &str = "keyctl(KEYCTL_DESCRIBE)";
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: buf is writable for buf.len() bytes; the kernel writes at most that.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_DESCRIBE,
                key as libc::c_long,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let need = check(CALL, ret)? as usize;
        if need <= buf.len() {
            let text = CStr::from_bytes_until_nul(&buf[..need])
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&buf[..need]).into_owned());
            return Ok(text);
        }
        buf.resize(need, 0);
    }
}

/// keyctl(KEYCTL_SEARCH) (man 3 keyctl_search): searches `keyring` and the keyrings nested
/// in it for a key of `key_type` matching `description` (for "asymmetric", `id:HEX`
/// matches the tail of one of the key's ids, as IMA's lookup does). ENOKEY when nothing
/// matches.
pub fn search(
    keyring: KeySerial,
    key_type: &str,
    description: &str,
) -> Result<KeySerial, SysError> {
    const CALL: &str = "keyctl(KEYCTL_SEARCH)";
    let ty = c_string(CALL, key_type.as_bytes())?;
    let desc = c_string(CALL, description.as_bytes())?;
    // SAFETY: both strings are NUL-terminated and alive across the call; no destination
    // keyring (0) so nothing is linked.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SEARCH,
            keyring as libc::c_long,
            ty.as_ptr(),
            desc.as_ptr(),
            0 as libc::c_long,
        )
    };
    check(CALL, ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_READ) (man 3 keyctl_read) on a keyring: the serials of the keys linked
/// in it.
pub fn read_keyring(keyring: KeySerial) -> Result<Vec<KeySerial>, SysError> {
    let mut buf: Vec<KeySerial> = vec![0; 64];
    loop {
        let bytes = buf.len() * std::mem::size_of::<KeySerial>();
        // SAFETY: buf is writable for `bytes` bytes; the kernel writes at most that.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_READ,
                keyring as libc::c_long,
                buf.as_mut_ptr(),
                bytes,
            )
        };
        let need = check("keyctl(KEYCTL_READ)", ret)? as usize;
        if need <= bytes {
            buf.truncate(need / std::mem::size_of::<KeySerial>());
            return Ok(buf);
        }
        buf.resize(need.div_ceil(std::mem::size_of::<KeySerial>()), 0);
    }
}

/// keyctl(KEYCTL_UNLINK) (man 3 keyctl_unlink): removes the link from `keyring` to `key`;
/// the kernel frees the key when nothing links to it any more.
pub fn unlink(key: KeySerial, keyring: KeySerial) -> Result<(), SysError> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_UNLINK,
            key as libc::c_long,
            keyring as libc::c_long,
        )
    };
    check("keyctl(KEYCTL_UNLINK)", ret).map(|_| ())
}

/// keyctl(KEYCTL_LINK) (man 3 keyctl_link): links `key` into `keyring`.
pub fn link(key: KeySerial, keyring: KeySerial) -> Result<(), SysError> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_LINK,
            key as libc::c_long,
            keyring as libc::c_long,
        )
    };
    check("keyctl(KEYCTL_LINK)", ret).map(|_| ())
}

/// `struct keyctl_pkey_query`.
#[repr(C)]
#[derive(Default)]
struct RawPkeyQuery {
    supported_ops: u32,
    key_size: u32,
    max_data_size: u16,
    max_sig_size: u16,
    max_enc_size: u16,
    max_dec_size: u16,
    spare: [u32; 10],
}

/// What keyctl(KEYCTL_PKEY_QUERY) reports about an asymmetric key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PkeyQuery {
    /// Key size in bits (the modulus for RSA, the curve order for ECDSA).
    pub key_size: u32,
    pub max_sig_size: u16,
    /// Whether the key can verify (KEYCTL_SUPPORTS_VERIFY).
    pub can_verify: bool,
}

/// keyctl(KEYCTL_PKEY_QUERY) (man 3 keyctl_pkey_query): key size and supported
/// operations; `info` is the "enc=... hash=..." parameter string (may be empty).
pub fn pkey_query(key: KeySerial, info: &str) -> Result<PkeyQuery, SysError> {
    const CALL: &str = "keyctl(KEYCTL_PKEY_QUERY)";
    let info = c_string(CALL, info.as_bytes())?;
    let mut q = RawPkeyQuery::default();
    // SAFETY: info is NUL-terminated; q is a writable struct of the layout the kernel
    // fills; all are alive across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_PKEY_QUERY,
            key as libc::c_long,
            0 as libc::c_long,
            info.as_ptr(),
            &mut q as *mut RawPkeyQuery,
        )
    };
    check(CALL, ret)?;
    Ok(PkeyQuery {
        key_size: q.key_size,
        max_sig_size: q.max_sig_size,
        can_verify: q.supported_ops & KEYCTL_SUPPORTS_VERIFY != 0,
    })
}

/// `struct keyctl_pkey_params` (the out_len/in2_len union is one u32).
#[repr(C)]
struct RawPkeyParams {
    key_id: i32,
    in_len: u32,
    in2_len: u32,
    spare: [u32; 7],
}

/// keyctl(KEYCTL_PKEY_VERIFY) (man 3 keyctl_pkey_verify): the kernel checks `sig` over
/// `digest` with its copy of `key`, as IMA appraisal does. `info` is e.g.
/// "enc=pkcs1 hash=sha256". Ok(()) when the signature is valid; EKEYREJECTED or EBADMSG
/// when it is not.
pub fn pkey_verify(key: KeySerial, info: &str, digest: &[u8], sig: &[u8]) -> Result<(), SysError> {
    const CALL: &str = "keyctl(KEYCTL_PKEY_VERIFY)";
    let info = c_string(CALL, info.as_bytes())?;
    let too_big = |_| SysError::invalid(CALL);
    let params = RawPkeyParams {
        key_id: key,
        in_len: u32::try_from(digest.len()).map_err(too_big)?,
        in2_len: u32::try_from(sig.len()).map_err(too_big)?,
        spare: [0; 7],
    };
    // SAFETY: params has the kernel's layout; info is NUL-terminated; digest and sig are
    // readable for the lengths given in params; all are alive across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_PKEY_VERIFY,
            &params as *const RawPkeyParams,
            info.as_ptr(),
            digest.as_ptr(),
            sig.as_ptr(),
        )
    };
    check(CALL, ret).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_name_is_refused_before_the_kernel() {
        let e = search(-3, "keyring", "a\0b").unwrap_err();
        assert_eq!((e.call, e.errno), ("keyctl(KEYCTL_SEARCH)", libc::EINVAL));
        let e = add_key("user", Some("x\0"), b"", -3).unwrap_err();
        assert_eq!((e.call, e.errno), ("add_key", libc::EINVAL));
    }

    #[test]
    fn describing_no_key_keeps_the_errno() {
        // Serial 0 is never a key: the kernel says EINVAL (or ENOKEY), with the call named.
        let e = describe(0).unwrap_err();
        assert_eq!(e.call, "keyctl(KEYCTL_DESCRIBE)");
        // Under a seccomp filter that blocks keyctl (some containers) it is EPERM or ENOSYS.
        assert!(
            [libc::EINVAL, libc::ENOKEY, libc::EPERM, libc::ENOSYS].contains(&e.errno),
            "{e}"
        );
    }
}
