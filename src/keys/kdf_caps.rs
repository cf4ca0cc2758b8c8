//! Caps on the key-derivation cost of an encrypted PKCS#8 private key, checked before the
//! password is asked for or anything is derived.
//!
//! The KDF parameters are in the key file, so without a cap a key file alone can make a
//! command run for hours (a PBKDF2 iteration count of 2^32 - 1, an scrypt p of 65535) or
//! allocate gigabytes (scrypt's 128·r·N bytes). The caps leave a wide margin over what is
//! made in practice: `openssl pkcs8 -topk8 -v2 aes-256-cbc` and `openssl genpkey
//! -aes-256-cbc` write 2048 PBKDF2 iterations, `-scrypt` writes N=16384, r=8, p=1 (16 MiB;
//! OpenSSL itself refuses scrypt over 32 MiB), `imactl key new` writes 600,000 iterations.
//! Measured on the 2-core build machine (release build): 2,000,000 iterations take 0.26 s
//! with HMAC-SHA256 and 1.75 s with HMAC-SHA512; N·r·p = 2^21 takes about 1-2 s.

use pkcs8::pkcs5::{pbes2::Kdf, EncryptionScheme};

use super::KeyErrorKind;

/// The largest PBKDF2 iteration count accepted: about 4.5 s with HMAC-SHA512, the slowest
/// PRF, and 0.7 s with HMAC-SHA256 on the build machine.
pub const PBKDF2_MAX_ITERATIONS: u32 = 5_000_000;
/// The largest scrypt working memory accepted, 128·r·N bytes.
pub const SCRYPT_MAX_MEMORY: u64 = 64 * 1024 * 1024;
/// The largest scrypt work N·r·p accepted: 16 times OpenSSL's default (2^14 · 8 · 1).
pub const SCRYPT_MAX_WORK: u64 = 1 << 21;

fn over(what: String) -> KeyErrorKind {
    KeyErrorKind::Unsupported(format!(
        "the key's encryption asks for {what}; refused before deriving the key (a key file \
         must not make a command run for minutes or use gigabytes); re-encrypt the key with \
         'openssl pkcs8 -topk8 -v2 aes-256-cbc'"
    ))
}

/// Refuses key-derivation parameters over the caps; PBES1 and unknown schemes are left to
/// the decryption, which refuses them without deriving anything.
pub fn check(scheme: &EncryptionScheme) -> Result<(), KeyErrorKind> {
    let Some(params) = scheme.pbes2() else {
        return Ok(());
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > PBKDF2_MAX_ITERATIONS => Err(over(format!(
            "{} PBKDF2 iterations, over the cap of {PBKDF2_MAX_ITERATIONS}",
            p.iteration_count
        ))),
        Kdf::Scrypt(s) => {
            let n = s.cost_parameter;
            let r = u64::from(s.block_size);
            let p = u64::from(s.parallelization);
            let memory = n.saturating_mul(r).saturating_mul(128);
            let work = n.saturating_mul(r).saturating_mul(p);
            if memory > SCRYPT_MAX_MEMORY {
                return Err(over(format!(
                    "scrypt N={n}, r={r}: 128·r·N = {} of memory, over the cap of {}",
                    crate::input::size_words(memory),
                    crate::input::size_words(SCRYPT_MAX_MEMORY)
                )));
            }
            if work > SCRYPT_MAX_WORK {
                return Err(over(format!(
                    "scrypt N={n}, r={r}, p={p}: N·r·p = {work}, over the cap of \
                     {SCRYPT_MAX_WORK}"
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::pkcs5::pbes2::{
        EncryptionScheme::Aes256Cbc, Parameters, Pbkdf2Params, Pbkdf2Prf, Salt, ScryptParams,
    };

    fn pbkdf2(iterations: u32) -> EncryptionScheme {
        let kdf = Pbkdf2Params {
            salt: Salt::new([1; 16]).unwrap(),
            iteration_count: iterations,
            key_length: None,
            prf: Pbkdf2Prf::HmacWithSha512,
        };
        EncryptionScheme::Pbes2(Parameters {
            kdf: Kdf::Pbkdf2(kdf),
            encryption: Aes256Cbc { iv: [2; 16] },
        })
    }

    fn scrypt(n: u64, r: u16, p: u16) -> EncryptionScheme {
        let s = ScryptParams {
            salt: Salt::new([1; 16]).unwrap(),
            cost_parameter: n,
            block_size: r,
            parallelization: p,
            key_length: None,
        };
        EncryptionScheme::Pbes2(Parameters {
            kdf: Kdf::Scrypt(s),
            encryption: Aes256Cbc { iv: [2; 16] },
        })
    }

    fn refusal(s: &EncryptionScheme) -> String {
        match check(s) {
            Err(KeyErrorKind::Unsupported(m)) => m,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn pbkdf2_counts_up_to_the_cap_pass() {
        for n in [1, 2048, 600_000, PBKDF2_MAX_ITERATIONS] {
            assert!(check(&pbkdf2(n)).is_ok(), "{n}");
        }
        let m = refusal(&pbkdf2(PBKDF2_MAX_ITERATIONS + 1));
        assert!(
            m.contains("5000001 PBKDF2 iterations, over the cap of 5000000"),
            "{m}"
        );
        assert!(refusal(&pbkdf2(u32::MAX)).contains("4294967295"));
    }

    #[test]
    fn scrypt_memory_and_work_are_capped() {
        assert!(check(&scrypt(16384, 8, 1)).is_ok());
        assert!(check(&scrypt(65536, 8, 4)).is_ok());
        assert!(check(&scrypt(1 << 19, 1, 4)).is_ok());
        assert!(check(&scrypt(1 << 21, 1, 1)).is_err());
        let m = refusal(&scrypt(1 << 20, 8, 1));
        assert!(
            m.contains("1024 MiB of memory, over the cap of 64 MiB"),
            "{m}"
        );
        let m = refusal(&scrypt(16384, 8, 17));
        assert!(
            m.contains("p=17: N·r·p = 2228224, over the cap of 2097152"),
            "{m}"
        );
        // Products that overflow u64 are refused, not wrapped.
        assert!(check(&scrypt(1 << 62, u16::MAX, u16::MAX)).is_err());
    }
}
