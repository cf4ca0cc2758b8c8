//! Tests that run `imactl boot` (or any command that finds the IMA keyring with "create
//! when absent") touch the user keyring @u, which is per uid and outlives the test: on a
//! kernel without `.ima` they would leave a `_ima` there, and a later test (or the machine's
//! real IMA) would find it. `UserImaGuard` removes the `_ima` a test made, and only that one.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use imaevm::keyring::{search, unlink, USER_KEYRING};

/// Serialises the tests of one binary that may create `_ima` in @u.
static USER_KEYRING_LOCK: Mutex<()> = Mutex::new(());

/// While alive: no other guarded test of this binary runs; on drop, a `_ima` that was not in
/// @u when the guard was made is unlinked (with the keys in it).
pub struct UserImaGuard {
    existed: bool,
    _lock: MutexGuard<'static, ()>,
}

impl UserImaGuard {
    pub fn new() -> UserImaGuard {
        let lock = USER_KEYRING_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        UserImaGuard {
            existed: search(USER_KEYRING, "keyring", "_ima").is_ok(),
            _lock: lock,
        }
    }
}

impl Drop for UserImaGuard {
    fn drop(&mut self) {
        if !self.existed {
            if let Ok(ring) = search(USER_KEYRING, "keyring", "_ima") {
                let _ = unlink(ring, USER_KEYRING);
            }
        }
    }
}
