//! Issue 14, item 8: the shell completions offer option values: `--kernel` (6.1, 6.12,
//! 7.2), `--keyring` (ima, evm, platform, ...) for imactl, and every hash name for
//! evmctl's `-a`, md_gost12_256/512 included. The files checked are the committed ones
//! (tests/docs_drift.rs keeps them equal to the generator's output).

use std::path::PathBuf;

fn read(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(name),
    )
    .unwrap()
}

#[test]
fn imactl_completes_kernel_and_keyring_values_in_every_shell() {
    let bash = read("imactl.bash");
    assert!(
        bash.contains(
            r#"--kernel)
                    COMPREPLY=($(compgen -W "6.1 6.12 7.2" -- "${cur}"))"#
        ),
        "bash --kernel"
    );
    assert!(
        bash.contains(r#"compgen -W "ima evm platform _ima .ima _evm .evm @u @s""#),
        "bash --keyring"
    );
    let zsh = read("_imactl");
    assert!(
        zsh.contains("--kernel=[") && zsh.contains(":VER:(6.1 6.12 7.2)"),
        "zsh --kernel"
    );
    assert!(
        zsh.contains(":KEYRING:(ima evm platform _ima .ima _evm .evm @u @s)"),
        "zsh --keyring"
    );
    let fish = read("imactl.fish");
    assert!(
        fish.contains("-l kernel") && fish.contains(r"6.1\t"),
        "fish --kernel"
    );
    assert!(
        fish.contains("-l keyring") && fish.contains(r"platform\t"),
        "fish --keyring"
    );
}

#[test]
fn evmctl_completes_every_hash_name() {
    for f in ["evmctl.bash", "_evmctl", "evmctl.fish"] {
        let text = read(f);
        for algo in ["sm3", "streebog256", "md_gost12_256", "md_gost12_512"] {
            assert!(text.contains(algo), "{f} lacks {algo}");
        }
    }
}

#[test]
fn offered_values_are_not_the_only_ones_accepted() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["policy", "check", "--kernel", "6.9"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/kexec.policy"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
