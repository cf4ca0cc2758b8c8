//! Unit tests for fast_verify.rs: what each backend verifies, and that AWS-LC and
//! RustCrypto give the same answer on a matrix of valid and damaged signatures.

use super::*;
use crate::keys::test_keys::{key, p192, p521};
use crate::keys::PrivateKey;

fn keys() -> Vec<(&'static str, PrivateKey)> {
    vec![
        ("RSA-1024", key("rsa1024.pk8.pem")),
        ("RSA-2048", key("rsa2048.pk8.pem")),
        ("P-192", p192()),
        ("P-256", key("p256.pk8.pem")),
        ("P-384", key("p384.pk8.pem")),
        ("P-521", p521()),
    ]
}

fn covered(k: &VerifyingKey) -> Vec<HashAlgo> {
    HashAlgo::ALL
        .into_iter()
        .filter(|a| k.backend_for(*a).unwrap() == Backend::AwsLc)
        .collect()
}

#[test]
fn auto_uses_aws_lc_for_what_it_covers_and_rustcrypto_for_the_rest() {
    use HashAlgo::*;
    let expect: [(&str, Vec<HashAlgo>); 6] = [
        ("RSA-1024", vec![]),
        ("RSA-2048", vec![Sha1, Sha256, Sha384, Sha512]),
        ("P-192", vec![]),
        ("P-256", vec![Sha1, Sha256, Sha384, Sha512]),
        ("P-384", vec![Sha256, Sha384, Sha512]),
        ("P-521", vec![Sha1, Sha256, Sha384, Sha512, Sha224]),
    ];
    for ((name, k), (ename, want)) in keys().into_iter().zip(expect) {
        assert_eq!(name, ename);
        let auto = VerifyingKey::new(k.public_key(), Backend::Auto);
        assert_eq!(covered(&auto), want, "{name}");
        let soft = VerifyingKey::new(k.public_key(), Backend::RustCrypto);
        assert!(covered(&soft).is_empty(), "{name}");
        let forced = VerifyingKey::new(k.public_key(), Backend::AwsLc);
        for a in HashAlgo::ALL {
            let r = forced.backend_for(a);
            if want.contains(&a) {
                assert_eq!(r, Ok(Backend::AwsLc), "{name} {a}");
            } else {
                let e = r.unwrap_err();
                assert!(e.contains(VERIFY_BACKEND_ENV) && e.contains(name), "{e}");
                assert!(forced.verify_digest(a, &a.digest(b"x"), &[0; 8]).is_err());
            }
        }
    }
}

/// The signature with s replaced by n - s (the "high-S" twin, as valid to the kernel).
fn high_s(name: &str, der: &[u8]) -> Option<Vec<u8>> {
    macro_rules! twin {
        ($c:ident) => {{
            let s = $c::ecdsa::Signature::from_der(der).ok()?;
            let t = $c::ecdsa::Signature::from_scalars(s.r(), -s.s()).ok()?;
            Some(t.to_der().as_bytes().to_vec())
        }};
    }
    match name {
        "P-256" => twin!(p256),
        "P-384" => twin!(p384),
        "P-521" => twin!(p521),
        _ => None,
    }
}

/// DER ECDSA-Sig-Value with a superfluous 0x00 in front of r (BER, not DER).
fn padded_r(der: &[u8]) -> Option<Vec<u8>> {
    // 30 L 02 Lr r.. 02 Ls s.. with short lengths only (P-256 and P-384).
    if der.len() < 8 || der[0] != 0x30 || der[1] >= 0x7f || der[2] != 0x02 {
        return None;
    }
    let mut out = vec![0x30, der[1] + 1, 0x02, der[3] + 1, 0x00];
    out.extend_from_slice(&der[4..]);
    Some(out)
}

/// Damaged forms of a valid signature, each with a name.
fn mutations(name: &str, sig: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for pos in [0, 1, sig.len() / 2, sig.len() - 1] {
        for bit in [0x01, 0x80] {
            let mut m = sig.to_vec();
            m[pos] ^= bit;
            out.push((format!("bit {bit:#x} of byte {pos} flipped"), m));
        }
    }
    out.push(("truncated by one".into(), sig[..sig.len() - 1].to_vec()));
    out.push(("truncated to half".into(), sig[..sig.len() / 2].to_vec()));
    out.push(("empty".into(), Vec::new()));
    let mut m = sig.to_vec();
    m.push(0);
    out.push(("a trailing zero byte".into(), m));
    let mut m = vec![0];
    m.extend_from_slice(sig);
    out.push(("a leading zero byte".into(), m));
    out.push(("all zero".into(), vec![0; sig.len()]));
    out.push(("all ones".into(), vec![0xff; sig.len()]));
    if let Some(m) = padded_r(sig) {
        out.push(("r with a superfluous 0x00".into(), m));
    }
    if let Some(m) = high_s(name, sig) {
        out.push(("high-S twin".into(), m));
    }
    out
}

fn answers(pk: &PublicKey, algo: HashAlgo, digest: &[u8], sig: &[u8]) -> (bool, bool) {
    let soft = VerifyingKey::new(pk.clone(), Backend::RustCrypto);
    let auto = VerifyingKey::new(pk.clone(), Backend::Auto);
    (
        soft.verify_digest(algo, digest, sig).unwrap(),
        auto.verify_digest(algo, digest, sig).unwrap(),
    )
}

/// Every key with every hash: the valid signature, its damaged forms, the wrong digest,
/// the wrong key and the wrong hash algorithm. A difference between the backends fails
/// with its case named; the high-S twin is valid (the kernel's crypto/ecdsa.c takes any
/// 0 < s < n), every other damaged form invalid.
#[test]
fn both_backends_agree_on_valid_and_damaged_signatures() {
    let all = keys();
    let mut checked_on_aws_lc = 0;
    for (i, (name, k)) in all.iter().enumerate() {
        let pk = k.public_key();
        let other = &all[(i + 1) % all.len()].1.public_key();
        let auto = VerifyingKey::new(pk.clone(), Backend::Auto);
        for algo in HashAlgo::ALL {
            let digest = algo.digest(name.as_bytes());
            let sig = k
                .sign_digest(algo, &digest)
                .unwrap_or_else(|e| panic!("{name} {algo}: {e}"));
            let on_lc = auto.backend_for(algo).unwrap() == Backend::AwsLc;
            checked_on_aws_lc += usize::from(on_lc);
            let case = |what: &str| format!("{name} {algo}: {what}");
            assert_eq!(
                answers(&pk, algo, &digest, &sig),
                (true, true),
                "{}",
                case("valid")
            );
            for (what, m) in mutations(name, &sig) {
                let (soft, fast) = answers(&pk, algo, &digest, &m);
                assert_eq!(soft, fast, "{}", case(&what));
                if what == "high-S twin" {
                    // The kernel (crypto/ecdsa.c) accepts any 0 < s < n.
                    assert!(soft, "{}", case(&what));
                } else {
                    assert!(!soft, "{}", case(&what));
                }
            }
            let mut wrong = digest.clone();
            wrong[0] ^= 1;
            assert_eq!(
                answers(&pk, algo, &wrong, &sig),
                (false, false),
                "{}",
                case("other digest")
            );
            assert_eq!(
                answers(other, algo, &digest, &sig),
                (false, false),
                "{}",
                case("other key")
            );
            for other_algo in HashAlgo::ALL.into_iter().filter(|a| *a != algo) {
                let d = if other_algo.digest_len() == digest.len() {
                    digest.clone()
                } else {
                    other_algo.digest(name.as_bytes())
                };
                let (soft, fast) = answers(&pk, other_algo, &d, &sig);
                assert_eq!(soft, fast, "{}", case(&format!("verified as {other_algo}")));
                if pk.algorithm().family() == "rsa" {
                    assert!(!soft, "{}", case(&format!("verified as {other_algo}")));
                }
            }
        }
    }
    assert!(checked_on_aws_lc >= 15, "{checked_on_aws_lc}");
}

#[test]
fn a_digest_of_the_wrong_length_is_refused_by_both() {
    let k = key("p256.pk8.pem");
    let d = HashAlgo::Sha256.digest(b"x");
    let sig = k.sign_digest(HashAlgo::Sha256, &d).unwrap();
    let (soft, fast) = answers(&k.public_key(), HashAlgo::Sha256, &d[..31], &sig);
    assert_eq!((soft, fast), (false, false));
}

#[test]
fn the_backend_names_are_parsed_and_unknown_ones_refused() {
    assert_eq!(parse_verify_backend(""), Ok(Backend::Auto));
    assert_eq!(parse_verify_backend("auto"), Ok(Backend::Auto));
    assert_eq!(parse_verify_backend("rustcrypto"), Ok(Backend::RustCrypto));
    assert_eq!(parse_verify_backend("aws-lc"), Ok(Backend::AwsLc));
    let e = parse_verify_backend("openssl").unwrap_err();
    assert!(e.contains("IMAEVM_VERIFY_BACKEND=openssl"), "{e}");
}
