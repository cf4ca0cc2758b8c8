//! The few DER encodings a token's raw key attributes need: SubjectPublicKeyInfo from an
//! RSA modulus and exponent or from EC parameters and a point, and the ECDSA-Sig-Value
//! from the r||s that CKM_ECDSA returns.

/// rsaEncryption (1.2.840.113549.1.1.1) with its NULL parameters.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// id-ecPublicKey (1.2.840.10045.2.1).
const EC_OID: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// Tag, definite length, value.
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A non-negative INTEGER from big-endian bytes (leading zeros dropped, a zero added when
/// the high bit is set).
fn uint(be: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match be.iter().position(|b| *b != 0) {
        Some(i) => &be[i..],
        None => &[0],
    };
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        v.push(0);
    }
    v.extend_from_slice(trimmed);
    tlv(0x02, &v)
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(bytes);
    tlv(0x03, &v)
}

/// The length of the DER element at the start of `d`, if it is one and fills `d`.
fn whole_element(d: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = d.get(1..)?.split_first()?;
    let (len, body) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| a << 8 | *b as usize);
        (len, &rest[n..])
    };
    (body.len() == len).then_some(body)
}

pub(super) fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<Vec<u8>, String> {
    if modulus.is_empty() || exponent.is_empty() {
        return Err("empty RSA modulus or exponent".into());
    }
    let mut key = uint(modulus);
    key.extend(uint(exponent));
    let mut spki = RSA_ALGORITHM.to_vec();
    spki.extend(bit_string(&tlv(0x30, &key)));
    Ok(tlv(0x30, &spki))
}

/// `params` is the DER of the curve (a named-curve OID); `point` is CKA_EC_POINT, which
/// the standard makes a DER OCTET STRING and some tokens give bare.
pub(super) fn ec_spki(params: &[u8], point: &[u8]) -> Result<Vec<u8>, String> {
    if params.first() != Some(&0x06) {
        return Err("the EC key's parameters are not a named curve".into());
    }
    let raw = match point.first() {
        Some(0x04) => whole_element(point)
            .filter(|b| b.first() == Some(&0x04) && b.len() % 2 == 1)
            .unwrap_or(point),
        _ => point,
    };
    let mut alg = EC_OID.to_vec();
    alg.extend_from_slice(params);
    let mut spki = tlv(0x30, &alg);
    spki.extend(bit_string(raw));
    Ok(tlv(0x30, &spki))
}

/// SEQUENCE { r INTEGER, s INTEGER } from the token's r||s (two equal halves).
pub(super) fn ecdsa_sig_value(rs: &[u8]) -> Vec<u8> {
    let (r, s) = rs.split_at(rs.len() / 2);
    let mut v = uint(r);
    v.extend(uint(s));
    tlv(0x30, &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_lengths() {
        assert_eq!(uint(&[0, 0, 0x7f]), vec![2, 1, 0x7f]);
        assert_eq!(uint(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0]), vec![2, 1, 0]);
        let long = tlv(0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(whole_element(&long).map(|b| b.len()), Some(300));
        assert_eq!(whole_element(&long[..long.len() - 1]), None);
    }

    #[test]
    fn rsa_spki_is_the_keys_own() {
        use rsa::traits::PublicKeyParts;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keys/rsa2048.pk8.pem");
        let public = crate::keys::PrivateKey::load(&path, None)
            .unwrap()
            .key
            .public_key();
        let crate::keys::PublicKey::Rsa(k) = &public else {
            panic!("not RSA")
        };
        let spki = rsa_spki(&k.n().to_be_bytes(), &k.e().to_be_bytes()).unwrap();
        assert_eq!(Some(spki), public.rsa_spki_der());
    }

    #[test]
    fn ecdsa_value_from_r_and_s() {
        let mut rs = vec![0u8; 64];
        rs[0] = 0x80;
        rs[63] = 1;
        let d = ecdsa_sig_value(&rs);
        assert_eq!(d[0], 0x30);
        assert_eq!(&d[2..5], &[2, 33, 0]);
        assert_eq!(&d[d.len() - 3..], &[2, 1, 1]);
    }
}
