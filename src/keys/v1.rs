//! The legacy v1 (digsig) key format, for `--rsa`: the kernel's "key2bin" public key blob
//! and the 8-byte v1 keyid (docs/formats.md, "Legacy v1 signatures").

use der::Decode;

use super::public::OID_RSA;

/// The v1 public key blob: a 7-byte header { version 1, u32 timestamp 0, algo 0 (RSA),
/// nmpi 2 }, then MPI(n) and MPI(e), each a big-endian 16-bit bit count and the magnitude.
pub fn key2bin(spki_der: &[u8]) -> Result<Vec<u8>, String> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| format!("malformed public key ({e})"))?;
    if spki.algorithm.oid != OID_RSA {
        return Err(format!(
            "a {} public key: v1 keys and signatures are RSA only",
            spki.algorithm.oid
        ));
    }
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or("malformed public key bit string")?;
    let rsa = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(bits)
        .map_err(|e| format!("malformed RSA key ({e})"))?;
    let mut blob = vec![1, 0, 0, 0, 0, 0, 2];
    for mpi in [rsa.modulus.as_bytes(), rsa.public_exponent.as_bytes()] {
        let mpi = &mpi[mpi.iter().take_while(|&&b| b == 0).count()..];
        let nbits = match mpi.first() {
            Some(&b) => (mpi.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
            None => 0,
        };
        blob.extend_from_slice(&(nbits as u16).to_be_bytes());
        blob.extend_from_slice(mpi);
    }
    Ok(blob)
}

/// The v1 keyid: bytes 12..20 of SHA-1 over the key2bin blob.
pub fn keyid(blob: &[u8]) -> [u8; 8] {
    let sha = crate::hash::HashAlgo::Sha1.digest(blob);
    sha[12..20].try_into().expect("8 bytes")
}

/// The v1 keyid as evmctl prints it (`%llX`: upper case, no leading zeros).
pub fn keyid_name(keyid: &[u8; 8]) -> String {
    format!("{:X}", u64::from_be_bytes(*keyid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn key2bin_layout() {
        // SPKI of an RSA key with n = 0x00c5 (one leading zero octet in DER) and e = 65537.
        let rsa_pub = pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(&[0xc5]).unwrap(),
            public_exponent: der::asn1::UintRef::new(&[0x01, 0x00, 0x01]).unwrap(),
        };
        let bits = rsa_pub.to_der().unwrap();
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid: OID_RSA,
                parameters: Some(der::asn1::Null.into()),
            },
            subject_public_key: der::asn1::BitString::from_bytes(&bits).unwrap(),
        };
        let blob = key2bin(&spki.to_der().unwrap()).unwrap();
        assert_eq!(blob, [1, 0, 0, 0, 0, 0, 2, 0, 8, 0xc5, 0, 17, 1, 0, 1]);
        assert_eq!(keyid_name(&[0, 0, 0, 0, 0, 0, 0x0a, 0xbc]), "ABC");
    }
}

#[cfg(test)]
#[path = "v1_golden_tests.rs"]
mod golden_tests;
