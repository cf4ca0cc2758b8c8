//! `ima_measurement` against upstream evmctl on synthetic measurement lists whose PCR
//! values are computed here, independently, from the definition (docs/formats.md, "IMA measurement list"): each bank
//! extends H(template data); kernels before 5.8 extended the zero-padded SHA-1.

mod common;

use common::*;
use imaevm::hash::HashAlgo;
use std::path::Path;

struct Rec {
    pcr: u32,
    name: &'static str,
    data: Vec<u8>,
    violation: bool,
}

fn field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
    out.extend_from_slice(f);
}

fn ng(path: &str, content: &[u8], sig: Option<&[u8]>) -> Rec {
    let mut dng = b"sha256:\0".to_vec();
    dng.extend(HashAlgo::Sha256.digest(content));
    let mut data = Vec::new();
    field(&mut data, &dng);
    field(&mut data, format!("{path}\0").as_bytes());
    if let Some(s) = sig {
        field(&mut data, s);
    }
    Rec {
        pcr: 10,
        name: if sig.is_some() { "ima-sig" } else { "ima-ng" },
        data,
        violation: false,
    }
}

fn encode(recs: &[Rec]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in recs {
        out.extend_from_slice(&r.pcr.to_ne_bytes());
        let td = if r.violation {
            vec![0; 20]
        } else {
            HashAlgo::Sha1.digest(&r.data)
        };
        out.extend_from_slice(&td);
        out.extend_from_slice(&(r.name.len() as u32).to_ne_bytes());
        out.extend_from_slice(r.name.as_bytes());
        if r.name == "ima" {
            out.extend_from_slice(&r.data[..20]);
            let n = &r.data[20..];
            let end = n.iter().position(|&b| b == 0).unwrap_or(n.len());
            out.extend_from_slice(&(end as u32).to_ne_bytes());
            out.extend_from_slice(&n[..end]);
        } else {
            out.extend_from_slice(&(r.data.len() as u32).to_ne_bytes());
            out.extend_from_slice(&r.data);
        }
    }
    out
}

/// PCR-NN lines for `algo` after extending `recs`; `padded`: zero-padded SHA-1 digests;
/// violations as the kernel extends them (0xff).
fn pcr_file(recs: &[Rec], algo: HashAlgo, padded: bool) -> String {
    let n = algo.digest_len();
    let mut pcrs = vec![vec![0u8; n]; 24];
    for r in recs {
        let d = if r.violation {
            let mut d = vec![0u8; n];
            d[..if padded { 20 } else { n }].fill(0xff);
            d
        } else if padded {
            let mut d = HashAlgo::Sha1.digest(&r.data);
            d.resize(n, 0);
            d
        } else {
            algo.digest(&r.data)
        };
        let mut x = pcrs[r.pcr as usize].clone();
        x.extend(d);
        pcrs[r.pcr as usize] = algo.digest(&x);
    }
    pcrs.iter()
        .enumerate()
        .map(|(i, p)| format!("PCR-{i:02}: {}\n", hex(p)))
        .collect()
}

/// Runs both tools on `list` with `args`; asserts equal exit codes and returns
/// (exit code, our stderr).
fn both(dir: &Path, list: &[u8], args: &[String]) -> (i32, String) {
    let lp = dir.join("list.bin");
    std::fs::write(&lp, list).unwrap();
    let a = run(evmctl().arg("ima_measurement").args(args).arg(&lp));
    let b = run(upstream().arg("ima_measurement").args(args).arg(&lp));
    assert_eq!(
        code(&a),
        code(&b),
        "{args:?}\nours: {}\nupstream: {}",
        stderr(&a),
        stderr(&b)
    );
    (code(&a), stderr(&a))
}

#[test]
fn measurement_lists_like_upstream() {
    if skip_without_upstream("measurement_lists_like_upstream") {
        return;
    }
    let d = scratch();
    let dir = d.path();
    let mut recs: Vec<Rec> = (0..20)
        .map(|i| {
            ng(
                &format!("/usr/bin/tool{i}"),
                format!("content {i}").as_bytes(),
                None,
            )
        })
        .collect();
    recs.insert(
        0,
        Rec {
            pcr: 10,
            name: "ima-ng",
            data: ng("boot_aggregate", b"agg", None).data,
            violation: false,
        },
    );
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let sha1 = write("sha1", pcr_file(&recs, HashAlgo::Sha1, false));
    let sha256 = write("sha256", pcr_file(&recs, HashAlgo::Sha256, false));
    let list = encode(&recs);
    let pcrs = |files: &[(&str, &str)]| -> Vec<String> {
        files
            .iter()
            .flat_map(|(a, f)| ["--pcrs".to_string(), format!("{a},{f}")])
            .collect()
    };

    let (rc, err) = both(dir, &list, &pcrs(&[("sha1", &sha1), ("sha256", &sha256)]));
    assert_eq!(rc, 0);
    assert!(
        err.contains("Matched per TPM bank calculated digest(s)."),
        "{err}"
    );
    let (rc, _) = both(dir, &list, &pcrs(&[("sha256", &sha256)]));
    assert_eq!(rc, 0);
    let (rc, _) = both(
        dir,
        &list,
        &[
            "--verify-bank=sha256".into(),
            "--pcrs".into(),
            format!("sha256,{sha256}"),
            "--pcrs".into(),
            format!("sha1,{sha1}"),
        ],
    );
    assert_eq!(rc, 0);

    // Older kernels: the sha256 bank holds zero-padded SHA-1 digests.
    let padded = write("padded", pcr_file(&recs, HashAlgo::Sha256, true));
    let (rc, err) = both(dir, &list, &pcrs(&[("sha256", &padded)]));
    assert_eq!(rc, 0);
    assert!(err.contains("Matched SHA1 padded TPM digest(s)."), "{err}");

    // The TPM was read before more measurements were appended: still a match.
    let mut longer = list.clone();
    longer.extend(encode(&[ng("/late", b"late", None)]));
    let (rc, _) = both(dir, &longer, &pcrs(&[("sha1", &sha1)]));
    assert_eq!(rc, 0);

    // A PCR value that does not match.
    let wrong = write("wrong", pcr_file(&recs[1..], HashAlgo::Sha1, false));
    let (rc, err) = both(dir, &list, &pcrs(&[("sha1", &wrong)]));
    assert_eq!(rc, 1);
    assert!(err.contains("Failed to match"), "{err}");

    // A record whose template data was changed after measuring.
    let mut tampered = list.clone();
    let at = tampered.len() - 5;
    tampered[at] ^= 1;
    let (rc, err) = both(dir, &tampered, &pcrs(&[("sha1", &sha1)]));
    assert_eq!(rc, 1);
    assert!(
        err.contains("Failed to verify template data digest."),
        "{err}"
    );

    // A violation: the list holds zeros, the TPM 0xff.
    let mut with_violation: Vec<Rec> = recs
        .iter()
        .map(|r| Rec {
            pcr: r.pcr,
            name: r.name,
            data: r.data.clone(),
            violation: false,
        })
        .collect();
    with_violation.insert(
        5,
        Rec {
            pcr: 10,
            name: "ima-ng",
            data: ng("/tmp/open-writers", b"x", None).data,
            violation: true,
        },
    );
    let v1 = write("v1", pcr_file(&with_violation, HashAlgo::Sha1, false));
    let vlist = encode(&with_violation);
    let (rc, _) = both(dir, &vlist, &pcrs(&[("sha1", &v1)]));
    assert_eq!(rc, 1, "violations must not match by default");
    let mut args = vec!["--ignore-violations".to_string()];
    args.extend(pcrs(&[("sha1", &v1)]));
    let (rc, _) = both(dir, &vlist, &args);
    assert_eq!(rc, 0);

    // The legacy "ima" template.
    let legacy: Vec<Rec> = (0..5)
        .map(|i| {
            let mut data = HashAlgo::Sha1.digest(format!("file {i}").as_bytes());
            data.extend_from_slice(format!("/bin/legacy{i}").as_bytes());
            data.resize(20 + 256, 0);
            Rec {
                pcr: 10,
                name: "ima",
                data,
                violation: false,
            }
        })
        .collect();
    let l1 = write("l1", pcr_file(&legacy, HashAlgo::Sha1, false));
    let (rc, _) = both(dir, &encode(&legacy), &pcrs(&[("sha1", &l1)]));
    assert_eq!(rc, 0);

    // A truncated list: an error naming the record (upstream 1.4 stops reading and may
    // exit 0, since its exit code is whatever the previous comparison left).
    let lp = dir.join("truncated.bin");
    std::fs::write(&lp, &list[..list.len() - 7]).unwrap();
    let o = run(evmctl()
        .arg("ima_measurement")
        .args(pcrs(&[("sha1", &sha1)]))
        .arg(&lp));
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("record 21") && stderr(&o).contains("truncated"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn verify_sig_checks_list_signatures() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let content = b"signed program";
    let file = dir.join("prog");
    std::fs::write(&file, content).unwrap();
    let o = run(evmctl()
        .args(["ima_sign", "-n", "--key"])
        .arg(&f.rsa2048.key)
        .arg(&file));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sig = imaevm::hash::from_hex(stdout(&o).trim()).unwrap();
    let good = vec![ng(file.to_str().unwrap(), content, Some(&sig))];
    let lp = dir.join("list");
    std::fs::write(&lp, encode(&good)).unwrap();
    let cert = f.rsa2048.cert_der.to_str().unwrap().to_string();
    let o = run(evmctl()
        .args(["ima_measurement", "--verify-sig", "--key", &cert])
        .arg(&lp));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The same signature over other content.
    let bad = vec![ng(file.to_str().unwrap(), b"other program", Some(&sig))];
    std::fs::write(&lp, encode(&bad)).unwrap();
    let o = run(evmctl()
        .args(["ima_measurement", "--verify-sig", "--key", &cert])
        .arg(&lp));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("verification failed"), "{}", stderr(&o));
}

#[test]
fn boot_aggregate_like_upstream() {
    if skip_without_upstream("boot_aggregate_like_upstream") {
        return;
    }
    let d = scratch();
    let dir = d.path();
    let lines = |algo: HashAlgo, seed: u8| -> String {
        (0..24)
            .map(|i| format!("PCR-{i:02}: {}\n", hex(&algo.digest(&[seed, i as u8]))))
            .collect()
    };
    std::fs::write(dir.join("sha1"), lines(HashAlgo::Sha1, 1)).unwrap();
    std::fs::write(dir.join("sha256"), lines(HashAlgo::Sha256, 2)).unwrap();
    for args in [
        vec!["--pcrs", "sha1,sha1"],
        vec!["--pcrs", "sha256,sha256"],
        vec!["--pcrs", "sha1,sha1", "--pcrs", "sha256,sha256"],
    ] {
        let a = run(evmctl()
            .current_dir(dir)
            .arg("ima_boot_aggregate")
            .args(&args));
        let b = run(upstream()
            .current_dir(dir)
            .arg("ima_boot_aggregate")
            .args(&args));
        assert_eq!(code(&a), 0, "{}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b), "{args:?}");
        assert_eq!(stdout(&a).lines().count(), args.len() / 2);
    }
    // A TPM 1.2 event log: pcr, type, SHA-1 digest, data length, data.
    let mut log = Vec::new();
    for i in 0..12u32 {
        log.extend_from_slice(&(i % 8).to_ne_bytes());
        log.extend_from_slice(&7u32.to_ne_bytes());
        log.extend(HashAlgo::Sha1.digest(&i.to_ne_bytes()));
        // Non-empty data: upstream 1.4 stops at an event with no data (fread of 0 bytes).
        let data = vec![b'e'; i as usize * 3 + 1];
        log.extend_from_slice(&(data.len() as u32).to_ne_bytes());
        log.extend_from_slice(&data);
    }
    std::fs::write(dir.join("bios.log"), &log).unwrap();
    let a = run(evmctl()
        .current_dir(dir)
        .args(["ima_boot_aggregate", "bios.log"]));
    let b = run(upstream()
        .current_dir(dir)
        .args(["ima_boot_aggregate", "bios.log"]));
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    assert!(stdout(&a).starts_with("sha1:"));
    let o = run(evmctl()
        .current_dir(dir)
        .args(["ima_boot_aggregate", "no-such-log"]));
    assert_eq!(code(&o), 125);
}
