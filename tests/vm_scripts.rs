//! The VM harness's shell scripts, run on the host where they can be: here, how
//! tests/vm/lab-kernel.sh asks apt for the source version. An `awk '... exit'` at the end
//! of a pipeline killed apt-cache with SIGPIPE when its answer was long, and under
//! `set -o pipefail` the script died with exit 141 and no message (issue 24, defect 9).

use std::path::Path;
use std::process::Command;

/// A fake apt-cache on PATH that prints a long `policy` answer (as on a machine with many
/// sources), with the Candidate line first, then the lab script's `lab_source_version`.
#[test]
fn lab_kernel_source_version_survives_a_long_apt_answer() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("apt-cache");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'linux-source-6.12:'\necho '  Installed: (none)'\n\
         echo '  Candidate: 6.12.999-1~test'\n\
         i=0; while [ $i -lt 200000 ]; do echo \"     500 http://example.invalid/$i bookworm/main all Packages\"; i=$((i+1)); done\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vm/lab-kernel.sh");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            ". '{}'; v=$(lab_source_version); echo \"version=$v\"",
            script.display()
        ))
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "lab_source_version failed ({:?}); stderr: {stderr}",
        out.status
    );
    assert_eq!(stdout.trim(), "version=6.12.999-1~test", "stderr: {stderr}");
}

/// No script in tests/vm ends a pipeline with `awk '... exit'`: the early exit is what
/// killed the producer with SIGPIPE.
#[test]
fn no_vm_script_pipes_into_an_awk_that_exits_early() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vm");
    let mut bad = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("sh") {
            continue;
        }
        for (i, line) in std::fs::read_to_string(&p).unwrap().lines().enumerate() {
            if let Some(pos) = line.find("| awk") {
                if line[pos..].contains("exit }") || line[pos..].contains("exit}") {
                    bad.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "pipelines into awk that exits early:\n{}",
        bad.join("\n")
    );
}
