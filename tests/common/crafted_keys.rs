//! Encrypted PKCS#8 keys whose key-derivation parameters are chosen freely (OpenSSL refuses
//! to make scrypt keys over 32 MiB). The ciphertext is random filler: these keys exist to
//! be refused before anything is derived.

use pkcs8::der::asn1::OctetString;
use pkcs8::der::{Encode, EncodePem};
use pkcs8::pkcs5::pbes2::{
    EncryptionScheme::Aes256Cbc, Kdf, Parameters, Pbkdf2Params, Pbkdf2Prf, Salt, ScryptParams,
};
use pkcs8::pkcs5::EncryptionScheme;
use pkcs8::{EncryptedPrivateKeyInfoOwned, LineEnding};

fn info(kdf: Kdf) -> EncryptedPrivateKeyInfoOwned {
    EncryptedPrivateKeyInfoOwned {
        encryption_algorithm: EncryptionScheme::Pbes2(Parameters {
            kdf,
            encryption: Aes256Cbc { iv: [7; 16] },
        }),
        encrypted_data: OctetString::new(vec![0x5a; 144]).unwrap(),
    }
}

/// PBKDF2-HMAC-SHA256 with `iterations`, as PEM.
pub fn pbkdf2_pem(iterations: u32) -> Vec<u8> {
    let kdf = Kdf::Pbkdf2(Pbkdf2Params {
        salt: Salt::new([1; 16]).unwrap(),
        iteration_count: iterations,
        key_length: None,
        prf: Pbkdf2Prf::HmacWithSha256,
    });
    info(kdf).to_pem(LineEnding::LF).unwrap().into_bytes()
}

/// scrypt with cost N, block size r and parallelization p, as DER.
pub fn scrypt_der(n: u64, r: u16, p: u16) -> Vec<u8> {
    let kdf = Kdf::Scrypt(ScryptParams {
        salt: Salt::new([1; 16]).unwrap(),
        cost_parameter: n,
        block_size: r,
        parallelization: p,
        key_length: None,
    });
    info(kdf).to_der().unwrap()
}
