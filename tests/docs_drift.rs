//! The committed man pages and completions against the command-line definitions:
//! - they are exactly what `cargo run --example gen-docs` makes now (a page missing an
//!   option, or documenting one that is gone, fails here);
//! - every page renders with `man --warnings` and no warning;
//! - every command shown in an EXAMPLES section parses with the real grammar, and none puts
//!   a password on the command line;
//! - the completion scripts load in their shells and complete from the tables.
//!
//! A check whose tool is missing is reported as a skip (tests/common/skip.rs).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
#[path = "../examples/gen-docs/docs.rs"]
#[allow(dead_code)]
mod docs;
use docs::{Example, Shell};
use imaevm::cli::evmctl::{opts, parse};
use imaevm::cli::imactl::Cli;

#[path = "common/skip.rs"]
mod skip;
use skip::{skip, skip_part};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn committed_pages_and_completions_are_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    docs::write_all(tmp.path()).unwrap();
    let mut problems = Vec::new();
    for dir in ["man", "completions"] {
        let fresh = files_in(&tmp.path().join(dir));
        let committed = files_in(&repo().join(dir));
        assert!(!fresh.is_empty(), "the generator made nothing in {dir}/");
        for name in &fresh {
            let want = std::fs::read_to_string(tmp.path().join(dir).join(name)).unwrap();
            match std::fs::read_to_string(repo().join(dir).join(name)) {
                Ok(have) if have == want => {}
                Ok(_) => problems.push(format!("{dir}/{name} is stale")),
                Err(_) => problems.push(format!("{dir}/{name} is missing")),
            }
        }
        for name in committed.iter().filter(|n| !fresh.contains(n)) {
            problems.push(format!("{dir}/{name} is no longer generated"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrun `cargo run --example gen-docs` and commit man/ and completions/",
        problems.join("\n")
    );
}

#[test]
fn man_pages_render_without_warnings() {
    if !have("man") {
        skip(
            "man_pages_render_without_warnings",
            "man is not installed (apt-get install man-db groff-base)",
        );
        return;
    }
    let pages = files_in(&repo().join("man"));
    assert!(
        pages.iter().any(|p| p == "evmctl.1"),
        "man/evmctl.1 missing"
    );
    assert!(
        pages.iter().any(|p| p == "imactl.8"),
        "man/imactl.8 missing"
    );
    for page in pages {
        let path = repo().join("man").join(&page);
        let out = Command::new("man")
            .arg("--warnings")
            .arg("-l")
            .arg(&path)
            .env("MANWIDTH", "80")
            .env_remove("MAN_KEEP_FORMATTING")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "man --warnings -l man/{page}: {}\n{stderr}",
            out.status
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("NAME"), "man/{page} rendered no NAME section");
    }
}

/// The `evmctl ...` / `imactl ...` commands of an example: the words after the program name
/// up to the end of the (backslash-continued) line.
fn example_commands(e: &Example) -> Vec<(String, Vec<String>)> {
    let joined = e.lines.join("\n").replace("\\\n", " ");
    let mut cmds = Vec::new();
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(pos) = words.iter().position(|w| *w == "evmctl" || *w == "imactl") {
            let args = words[pos + 1..]
                .iter()
                .take_while(|w| !matches!(**w, "|" | ";" | "&&" | "||"))
                .map(|w| w.to_string())
                .collect();
            cmds.push((words[pos].to_string(), args));
        }
    }
    cmds
}

#[test]
fn every_example_command_parses_with_the_real_grammar() {
    let mut count = 0;
    for e in docs::EVMCTL_EXAMPLES
        .iter()
        .chain(docs::IMACTL_EXAMPLES)
        .chain(docs::pages::all_examples())
    {
        for (prog, args) in example_commands(e) {
            count += 1;
            for a in &args {
                assert!(!a.contains(['"', '\'']), "quoted word in example: {a}");
            }
            match prog.as_str() {
                "evmctl" => {
                    let os: Vec<OsString> = args.iter().map(OsString::from).collect();
                    let parsed = parse::parse(&os)
                        .unwrap_or_else(|e| panic!("evmctl {}: {}", args.join(" "), e.0));
                    let name = parsed
                        .operands
                        .first()
                        .unwrap_or_else(|| panic!("evmctl {}: no command", args.join(" ")));
                    let cmd = opts::command(&name.to_string_lossy())
                        .unwrap_or_else(|| panic!("evmctl {}: unknown command", args.join(" ")));
                    for o in &parsed.options {
                        let def = opts::OPTIONS.iter().find(|d| d.id == o.id).unwrap();
                        assert!(
                            def.commands.is_empty() || def.commands.contains(&cmd.name),
                            "evmctl {}: {:?} does not apply to {}",
                            args.join(" "),
                            o.id,
                            cmd.name
                        );
                        assert!(
                            !(o.id == opts::OptId::Pass && o.value.is_some()),
                            "example shows a password on the command line: evmctl {}",
                            args.join(" ")
                        );
                    }
                }
                _ => {
                    let argv = std::iter::once("imactl".to_string()).chain(args.iter().cloned());
                    if let Some(e) = Cli::try_parse_from(argv).err() {
                        panic!("imactl {}: {e}", args.join(" "));
                    }
                }
            }
        }
    }
    assert!(count >= 5, "the examples show only {count} commands");
}

#[test]
fn evmctl_page_documents_every_option_and_command() {
    let page = std::fs::read_to_string(repo().join("man/evmctl.1")).unwrap();
    let page = page.replace("\\-", "-");
    for o in opts::OPTIONS {
        if let Some(l) = o.long {
            assert!(page.contains(&format!("--{l}")), "man/evmctl.1 lacks --{l}");
        }
        if let Some(s) = o.short {
            assert!(
                page.contains(&format!("\\fB-{s}\\fR")),
                "man/evmctl.1 lacks -{s}"
            );
        }
    }
    for c in opts::COMMANDS {
        assert!(
            page.contains(&format!("\\fB{}\\fR", c.name)),
            "lacks {}",
            c.name
        );
    }
    // And nothing documented that the parser does not know: every --word in the page is an
    // option of the table.
    for word in page.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        if let Some(long) = word.strip_prefix("--") {
            if long.is_empty() || !long.starts_with(|c: char| c.is_ascii_lowercase()) {
                continue;
            }
            assert!(
                opts::OPTIONS.iter().any(|o| o.long == Some(long)),
                "man/evmctl.1 documents --{long}, which evmctl does not have"
            );
        }
    }
}

/// Runs bash's completion function as bash would for `line` (the cursor at its end).
fn bash_complete(line: &str) -> Vec<String> {
    let script = repo().join("completions/evmctl.bash");
    let words: Vec<&str> = line.split(' ').collect();
    let cword = words.len() - 1;
    let array: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _evmctl; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        array.join(" ")
    );
    let out = Command::new("bash").args(["-c", &prog]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn bash_completion_completes_from_the_tables() {
    if !have("bash") {
        skip(
            "bash_completion_completes_from_the_tables",
            "bash is not installed",
        );
        return;
    }
    assert_eq!(
        bash_complete("evmctl ima_s"),
        ["ima_setxattr", "ima_sign"],
        "commands"
    );
    assert_eq!(
        bash_complete("evmctl ima_sign --key"),
        ["--key", "--keyid", "--keyid-from-cert"],
        "options of ima_sign"
    );
    // ima_verify takes no --keyid: options are filtered by command.
    assert_eq!(bash_complete("evmctl ima_verify --key"), ["--key"]);
    assert_eq!(
        bash_complete("evmctl -a sha2"),
        ["sha224", "sha256"],
        "hash algorithm values"
    );
    assert_eq!(
        bash_complete("evmctl --hashalgo = sha38"),
        ["sha384"],
        "--hashalgo=VALUE"
    );
    // After the command (even behind an option's value), operands are files.
    let dir = repo().join("completions");
    let prefix = format!("{}/evmctl.b", dir.display());
    assert_eq!(
        bash_complete(&format!("evmctl -k key.pem ima_sign {prefix}")),
        [format!("{}/evmctl.bash", dir.display())]
    );
}

#[test]
fn fish_completion_completes_from_the_tables() {
    if !have("fish") {
        skip(
            "fish_completion_completes_from_the_tables",
            "fish is not installed (apt-get install fish)",
        );
        return;
    }
    let complete = |line: &str| -> Vec<String> {
        let prog = format!(
            "source {}; complete -C'{line}'",
            repo().join("completions/evmctl.fish").display()
        );
        let out = Command::new("fish")
            .args(["--no-config", "-c", &prog])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(complete("evmctl ima_s"), ["ima_setxattr", "ima_sign"]);
    assert_eq!(
        complete("evmctl ima_sign --key"),
        ["--key", "--keyid", "--keyid-from-cert"]
    );
    assert_eq!(complete("evmctl ima_verify --key"), ["--key"]);
    assert_eq!(
        complete("evmctl ima_hash --hashalgo sha2"),
        ["sha224", "sha256"]
    );
}

#[test]
fn completion_scripts_load_in_their_shells() {
    for shell in Shell::ALL {
        let (tool, args): (&str, &[&str]) = match shell {
            Shell::Bash => ("bash", &["-n"]),
            Shell::Zsh => ("zsh", &["-n"]),
            Shell::Fish => ("fish", &["--no-execute"]),
        };
        if !have(tool) {
            skip_part(
                "completion_scripts_load_in_their_shells",
                tool,
                &format!("{tool} is not installed (apt-get install {tool})"),
            );
            continue;
        }
        for cmd in ["evmctl", "imactl"] {
            let path = repo().join("completions").join(shell.file_name(cmd));
            let out = Command::new(tool).args(args).arg(&path).output().unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{tool} {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn imactl_completions_offer_the_clap_subcommands() {
    use clap::CommandFactory;
    let subs: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    assert!(!subs.is_empty(), "imactl has no subcommands");
    if have("bash") {
        let prog = format!(
            "source '{}'; COMP_WORDS=(imactl ''); COMP_CWORD=1; _imactl imactl '' imactl; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            repo().join("completions/imactl.bash").display()
        );
        let out = Command::new("bash").args(["-c", &prog]).output().unwrap();
        let words = String::from_utf8_lossy(&out.stdout).into_owned();
        for s in &subs {
            assert!(words.lines().any(|w| w == s), "bash: no {s} in {words}");
        }
    } else {
        skip_part(
            "imactl_completions_offer_the_clap_subcommands",
            "bash",
            "bash is not installed",
        );
    }
    if have("fish") {
        let prog = format!(
            "source {}; complete -C'imactl '",
            repo().join("completions/imactl.fish").display()
        );
        let out = Command::new("fish")
            .args(["--no-config", "-c", &prog])
            .output()
            .unwrap();
        let words = String::from_utf8_lossy(&out.stdout).into_owned();
        for s in &subs {
            assert!(
                words.lines().any(|l| l.split('\t').next() == Some(s)),
                "fish: no {s} in {words}"
            );
        }
    } else {
        skip_part(
            "imactl_completions_offer_the_clap_subcommands",
            "fish",
            "fish is not installed (apt-get install fish)",
        );
    }
}
