//! Man pages and shell completions, generated from the definitions that parse the command
//! line: evmctl's option and command tables ([`imaevm::cli::evmctl::opts`]) and imactl's clap
//! grammar ([`imaevm::cli::imactl::Cli`]). Nothing about an option or a command is written here;
//! this module owns only the prose that no parser knows: examples, exit status, files, and
//! the contract of the RPM scriptlet.
//!
//! `cargo run --example gen-docs` writes the files under `man/` and `completions/`;
//! `tests/docs_drift.rs` fails when the committed files differ from what this module makes,
//! and checks that every command shown in an example parses with the real grammar.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use roff::{bold, italic, roman, Inline, Roff};

use imaevm::cli::evmctl::opts::{self, CmdDef, HasArg, OptDef};

#[path = "pages.rs"]
pub mod pages;
use imaevm::cli::imactl::Cli;
use imaevm::hash::HashAlgo;

/// The date in the pages' title lines: the last change of the prose in this module. A fixed
/// value (not today's date), so that generating twice gives the same bytes.
pub const PAGES_DATE: &str = "2026-11-22";

/// A shell that completions are generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub const ALL: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

    /// The file name of the completion script for `cmd` under `completions/`, named the way
    /// each shell looks them up once installed (see packaging/rpm/imaevm.spec).
    pub fn file_name(self, cmd: &str) -> String {
        match self {
            Shell::Bash => format!("{cmd}.bash"),
            Shell::Zsh => format!("_{cmd}"),
            Shell::Fish => format!("{cmd}.fish"),
        }
    }
}

/// One example in a man page: a sentence, then command lines shown verbatim.
///
/// Every `evmctl ...` and `imactl ...` command in `lines` must parse with the real grammar
/// (checked by tests/docs_drift.rs): an example cannot show a command or option that does
/// not exist. Arguments are plain words (no quotes) so that the check can split them.
#[derive(Debug)]
pub struct Example {
    pub text: &'static str,
    pub lines: &'static [&'static str],
}

/// The examples of evmctl(1): the packager's flows.
pub const EVMCTL_EXAMPLES: &[Example] = &[
    Example {
        text: "Sign a kernel in place (security.ima gets a v2 signature). A password for an \
               encrypted key is asked on the terminal, or taken from EVMCTL_KEY_PASSWORD; \
               never put it on the command line:",
        lines: &["evmctl ima_sign --key /etc/keys/privkey_evm.pem /boot/vmlinuz-6.1.0-13-amd64"],
    },
    Example {
        text: "The same without a terminal, the password read from a file readable only by \
               root:",
        lines: &[
            "EVMCTL_KEY_PASSWORD=$(cat /root/ima-key.pass) \\",
            "    evmctl ima_sign --key /etc/keys/privkey_evm.pem /boot/vmlinuz-6.1.0-13-amd64",
        ],
    },
    Example {
        text: "At package build time: write the signature to a detached file \
               (vmlinuz-6.1.0-13-amd64.sig, the exact security.ima value) without touching \
               the build host's xattrs:",
        lines: &[
            "evmctl ima_sign -n --sigfile --key /etc/keys/privkey_evm.pem \\",
            "    buildroot/boot/vmlinuz-6.1.0-13-amd64",
        ],
    },
    Example {
        text: "In the package's %post scriptlet on the target: install the shipped signature \
               (see RPM SCRIPTLETS):",
        lines: &[
            "evmctl ima_setxattr --sigfile /boot/vmlinuz-6.1.0-13-amd64.sig \\",
            "    /boot/vmlinuz-6.1.0-13-amd64",
        ],
    },
    Example {
        text: "Load the certificate of the signing key into the _ima keyring, where IMA \
               finds it when the kernel has no .ima keyring (prints the key's serial; \
               imactl key import picks the keyring by itself):",
        lines: &["evmctl import /etc/keys/x509_evm.der _ima"],
    },
    Example {
        text: "Check the installed signature against the certificate of the signing key, and \
               show the raw value:",
        lines: &[
            "evmctl ima_verify --key /etc/keys/x509_evm.der /boot/vmlinuz-6.1.0-13-amd64",
            "getfattr -n security.ima -e hex /boot/vmlinuz-6.1.0-13-amd64",
        ],
    },
    Example {
        text: "fs-verity (sigv3): sign the fs-verity digest of a file, install the value, \
               enable fs-verity, and check the value against the digest the kernel now \
               enforces (the kernel appraises it under appraise ... digest_type=verity \
               appraise_type=sigv3):",
        lines: &[
            "fsverity digest /usr/bin/tool | evmctl sign_hash --veritysig \\",
            "    --key /etc/keys/privkey_evm.pem > tool.sigv3",
            "setfattr -n security.ima -v 0x$(awk '{print $NF}' tool.sigv3) /usr/bin/tool",
            "fsverity enable /usr/bin/tool",
            "evmctl ima_verify --key /etc/keys/x509_evm.der /usr/bin/tool",
        ],
    },
];

/// The examples of imactl(8).
pub const IMACTL_EXAMPLES: &[Example] = &[
    Example {
        text: "Is kexec protected on this machine, and if not, why not (exit status 0 only \
               when it is protected against root):",
        lines: &["imactl status"],
    },
    Example {
        text: "Make a local CA and an IMA signing key it issued (files ca.key, ca.pem, \
               ca.der, ima.key, ima.pem, ima.der; keys mode 0600). Build ca.pem into the \
               kernel (CONFIG_SYSTEM_TRUSTED_KEYS) so that .ima accepts ima.der; the second \
               command prints the keyid signatures will carry. Keys are encrypted with the \
               password in IMACTL_CA_KEY_PASSWORD and EVMCTL_KEY_PASSWORD, or asked with \
               --encrypt:",
        lines: &[
            "imactl key ca --type rsa3072 --subject CN=Example-IMA-CA --out /root/ima-ca",
            "imactl key new --ca-cert /root/ima-ca/ca.pem --ca-key /root/ima-ca/ca.key \\",
            "    --out /root/ima-ca",
            "imactl key show /root/ima-ca/ima.der",
        ],
    },
    Example {
        text: "Import the certificate of the key that signed the kernel into the keyring IMA \
               uses (.ima when the kernel made it, otherwise _ima), then list the keys with \
               the keyid (id:xxxxxxxx) each signature must name:",
        lines: &[
            "imactl key import /etc/keys/x509_evm.der",
            "imactl key list",
        ],
    },
    Example {
        text: "Check the shipped kexec policy (only signed kernels may be started with \
               kexec_file_load) against the running kernel, show what loading it would \
               write, and load it:",
        lines: &[
            "imactl policy check /usr/share/imaevm/policies/kexec.policy",
            "imactl policy load --dry-run /usr/share/imaevm/policies/kexec.policy",
            "imactl policy load /usr/share/imaevm/policies/kexec.policy",
        ],
    },
    Example {
        text: "After a refusal (kexec_file_load: Permission denied, or an appraisal denial in \
               the audit log), ask the kernel for its verdict on the file with the keys it \
               holds: no signature, unknown key id, invalid signature...",
        lines: &["imactl verify /boot/vmlinuz-6.1.0-13-amd64"],
    },
    Example {
        text: "The same for a detached signature (FILE.sig next to FILE), before \
               evmctl ima_setxattr installs it:",
        lines: &["imactl verify --sigfile /boot/vmlinuz-6.1.0-13-amd64"],
    },
];

const EVMCTL_DESCRIPTION: &str = "evmctl signs files for the Linux Integrity Measurement \
    Architecture (IMA), verifies their signatures, and installs detached signatures. It is a \
    re-implementation of the evmctl of ima-evm-utils with the same command line: options may \
    come before or after the command, long options may be abbreviated, and an optional option \
    value must be attached (-pVALUE, --pass=VALUE).";

const EVMCTL_SCRIPTLETS: &[&str] = &[
    "Packages ship FILE.sig next to FILE and run ima_setxattr --sigfile in %post (the RPM \
     macros in /usr/lib/rpm/macros.d/macros.imaevm write both halves). ima_setxattr keeps \
     this contract:",
    "Non-interactive: it never prompts and never reads standard input, so it runs the same \
     without a terminal.",
    "Idempotent: running it again sets the same security.ima value.",
    "A missing, empty or malformed signature file, or an xattr the filesystem refuses (no \
     xattr support: EOPNOTSUPP; no CAP_SYS_ADMIN: EPERM), prints one line on standard error \
     and exits with status 125.",
    "With --ignore-unsupported, the two refusals a container or a filesystem without xattrs \
     gives (EOPNOTSUPP, EPERM) print a one-line warning instead and exit with status 0: the \
     package installs, without the signature. Every other failure still exits with 125. \
     Packagers choose: %imaevm_setxattr -i passes it.",
];

/// evmctl(1), from the option and command tables.
pub fn evmctl_man() -> String {
    let mut r = Roff::new();
    title(&mut r, "EVMCTL", "1", "User Commands");
    r.control("SH", ["NAME"]);
    r.text([roman(
        "evmctl - sign and verify IMA file signatures (ima-evm-utils compatible)",
    )]);

    r.control("SH", ["SYNOPSIS"]);
    r.text([
        bold("evmctl"),
        roman(" ["),
        italic("OPTION"),
        roman("]... "),
        italic("COMMAND"),
        roman(" ["),
        italic("ARG"),
        roman("]..."),
    ]);

    r.control("SH", ["DESCRIPTION"]);
    r.text([roman(EVMCTL_DESCRIPTION)]);

    r.control("SH", ["COMMANDS"]);
    for c in opts::COMMANDS {
        evmctl_command(&mut r, c);
    }

    r.control("SH", ["OPTIONS"]);
    for o in opts::OPTIONS {
        r.control("TP", []);
        r.text(option_label(o));
        let mut help = opts::help_text(o);
        if !help.ends_with('.') {
            help.push('.');
        }
        if !o.commands.is_empty() {
            help.push_str(&format!(" Used by: {}.", o.commands.join(", ")));
        }
        r.text([roman(help)]);
    }

    r.control("SH", ["ENVIRONMENT"]);
    for e in opts::ENV_VARS {
        r.control("TP", []);
        r.text([bold(e.name)]);
        r.text([roman(e.description)]);
    }

    r.control("SH", ["EXIT STATUS"]);
    for e in opts::EXIT_CODES {
        r.control("TP", []);
        r.text([bold(e.code.to_string())]);
        r.text([roman(e.help)]);
    }

    input_limits(&mut r);

    r.control("SH", ["RPM SCRIPTLETS"]);
    r.text([roman(EVMCTL_SCRIPTLETS[0])]);
    for point in &EVMCTL_SCRIPTLETS[1..] {
        r.control("IP", ["\\(bu", "2"]);
        r.text([roman(*point)]);
    }

    r.control("SH", ["FILES"]);
    for f in opts::DEFAULT_FILES {
        r.control("TP", []);
        r.text([italic(f.path)]);
        r.text([roman(f.help)]);
    }

    examples(&mut r, EVMCTL_EXAMPLES);

    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("imactl"),
        roman("(8), "),
        bold("imaevm-rpm-macros"),
        roman("(7), "),
        bold("keyctl"),
        roman("(1), "),
        bold("kexec"),
        roman("(8), "),
        bold("getfattr"),
        roman("(1), "),
        bold("setfattr"),
        roman("(1), "),
        bold("rpmbuild"),
        roman("(8)"),
    ]);
    r.render()
}

fn title(r: &mut Roff, name: &str, section: &str, manual: &str) {
    let source = format!("imaevm {}", env!("CARGO_PKG_VERSION"));
    r.control("TH", [name, section, PAGES_DATE, &source, manual]);
    r.control("nh", []);
    r.control("ad", ["l"]);
}

/// Turns hyphenation off and justification to the left margin after the title line, as
/// [`title`] does: long options must not be split at a line end.
fn no_hyphenation(page: &mut String) {
    if let Some(th) = page.find("\n.TH ") {
        if let Some(end) = page[th + 1..].find('\n') {
            page.insert_str(th + 1 + end + 1, ".nh\n.ad l\n");
        }
    }
}

fn evmctl_command(r: &mut Roff, c: &CmdDef) {
    r.control("TP", []);
    let mut label = vec![bold(c.name)];
    if !c.synopsis.is_empty() {
        label.push(roman(format!(" {}", c.synopsis)));
    }
    r.text(label);
    let mut text = c.summary.to_string();
    if !text.ends_with('.') {
        text.push('.');
    }
    if !c.description.is_empty() {
        text.push(' ');
        text.push_str(c.description);
    }
    let own: Vec<String> = opts::OPTIONS
        .iter()
        .filter(|o| o.commands.contains(&c.name))
        .map(option_name)
        .collect();
    if !own.is_empty() {
        text.push_str(&format!(" Options: {}.", own.join(", ")));
    }
    r.text([roman(text)]);
}

/// `--long` when there is one, else `-s`.
fn option_name(o: &OptDef) -> String {
    match (o.long, o.short) {
        (Some(l), _) => format!("--{l}"),
        (None, Some(s)) => format!("-{s}"),
        (None, None) => String::new(),
    }
}

/// `-k, --key KEY` in man page fonts.
fn option_label(o: &OptDef) -> Vec<Inline> {
    let mut v = Vec::new();
    let value = |v: &mut Vec<Inline>, attached_short: bool| match o.has_arg {
        HasArg::No => {}
        HasArg::Required => {
            v.push(roman(" "));
            v.push(italic(o.value_name));
        }
        HasArg::Optional => {
            v.push(roman(if attached_short { "[" } else { "[=" }));
            v.push(italic(o.value_name));
            v.push(roman("]"));
        }
    };
    if let Some(s) = o.short {
        v.push(bold(format!("-{s}")));
        value(&mut v, true);
    }
    if let Some(l) = o.long {
        if o.short.is_some() {
            v.push(roman(", "));
        }
        v.push(bold(format!("--{l}")));
        value(&mut v, false);
    }
    v
}

/// Replaces the body of the DESCRIPTION section clap_mangen wrote (the summary again) with
/// `paragraphs`.
fn replace_description(page: &mut String, paragraphs: &[&str]) {
    let head = "\n.SH DESCRIPTION\n";
    let Some(start) = page.find(head).map(|i| i + head.len()) else {
        return;
    };
    let end = page[start..]
        .find("\n.SH ")
        .map_or(page.len(), |i| start + i + 1);
    let mut r = Roff::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(*p)]);
    }
    page.replace_range(start..end, without_preamble(&r.render()));
}

fn examples_of(r: &mut Roff, list: &[&Example]) {
    if list.is_empty() {
        return;
    }
    r.control("SH", ["EXAMPLES"]);
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(e.text)]);
        r.control("PP", []);
        r.control("RS", ["4"]);
        r.control("nf", []);
        for line in e.lines {
            r.text([roman(*line)]);
        }
        r.control("fi", []);
        r.control("RE", []);
    }
}

/// imaevm-rpm-macros(7), from [`pages::MACROS_PAGE`].
pub fn macros_man() -> String {
    let mut r = Roff::new();
    title(
        &mut r,
        "IMAEVM-RPM-MACROS",
        "7",
        "Miscellaneous Information Manual",
    );
    r.control("SH", ["NAME"]);
    r.text([roman(
        "imaevm-rpm-macros - RPM macros that sign files at build time and install their IMA signatures in %post",
    )]);
    r.control("SH", ["SYNOPSIS"]);
    r.control("nf", []);
    for l in [
        "%imaevm_sign [-k KEY] [-a ALGO] [-c CERT] [-P PASSFILE] PATH...",
        "%imaevm_setxattr [-i] PATH...",
        "%imaevm_sigfiles PATH...",
        "%imaevm_signing_key",
    ] {
        r.text([bold(l)]);
    }
    r.control("fi", []);
    for (title, paragraphs) in pages::MACROS_PAGE {
        r.control("SH", [*title]);
        for (i, p) in paragraphs.iter().enumerate() {
            if i > 0 {
                r.control("PP", []);
            }
            r.text([roman(*p)]);
        }
    }
    let list: Vec<&Example> = pages::MACROS_EXAMPLES.iter().collect();
    examples_of(&mut r, &list);
    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("evmctl"),
        roman("(1), "),
        bold("imactl"),
        roman("(8), "),
        bold("rpmbuild"),
        roman("(8), "),
        bold("rpmsign"),
        roman("(8), "),
        bold("keyctl"),
        roman("(1), "),
        bold("kexec"),
        roman("(8), "),
        bold("dracut"),
        roman("(8)"),
    ]);
    r.control("PP", []);
    r.text([roman(pages::KERNEL_POLICY_DOC)]);
    r.render()
}

fn examples(r: &mut Roff, list: &[Example]) {
    if list.is_empty() {
        return;
    }
    r.control("SH", ["EXAMPLES"]);
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(e.text)]);
        r.control("PP", []);
        r.control("RS", ["4"]);
        r.control("nf", []);
        for line in e.lines {
            r.text([roman(*line)]);
        }
        r.control("fi", []);
        r.control("RE", []);
    }
}

/// The roff crate starts every rendered document with this preamble (it defines the
/// apostrophe string); clap_mangen's page already has it, so an appended part drops it.
fn without_preamble(s: &str) -> &str {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    s.strip_prefix(PREAMBLE).unwrap_or(s)
}

/// imactl(8) and one page per subcommand, as (file name, page): imactl.8, imactl-policy.8,
/// imactl-policy-load.8, ... from the clap definition.
pub fn imactl_man_pages() -> Vec<(String, String)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    imactl_page(&cmd, true, &mut pages);
    pages
}

fn imactl_page(cmd: &clap::Command, top: bool, pages: &mut Vec<(String, String)>) {
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("8")
        .date(PAGES_DATE)
        .source(format!("imaevm {}", env!("CARGO_PKG_VERSION")))
        .manual("System Administration");
    let mut page = Vec::new();
    man.render(&mut page)
        .expect("rendering into a Vec cannot fail");
    let mut page = String::from_utf8(page).expect("clap_mangen writes UTF-8");
    // clap_mangen heads the after_help text "EXTRA"; man-pages(7) calls that NOTES.
    page = page.replacen("\n.SH EXTRA\n", "\n.SH NOTES\n", 1);
    no_hyphenation(&mut page);
    let text = pages::page(&name).unwrap_or_else(|| panic!("no prose for {name} in pages.rs"));
    replace_description(&mut page, text.description);
    let mut extra = Roff::new();
    extra.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in text.exit {
        extra.control("TP", []);
        extra.text([bold(*code)]);
        extra.text([roman(*meaning)]);
    }
    if let Some(json) = text.json {
        extra.control("SH", ["JSON OUTPUT"]);
        extra.text([roman(pages::JSON_ENVELOPE)]);
        extra.control("PP", []);
        extra.text([roman(json)]);
    }
    if top {
        input_limits(&mut extra);
    }
    let mut list: Vec<&Example> = text.examples.iter().collect();
    if top {
        list.extend(IMACTL_EXAMPLES);
    }
    examples_of(&mut extra, &list);
    extra.control("SH", ["SEE ALSO"]);
    let mut see_also = Vec::new();
    if !top {
        see_also.push(bold("imactl"));
        see_also.push(roman("(8), "));
    }
    for (i, (page, section)) in pages::SEE_ALSO_EXTERNAL.iter().enumerate() {
        see_also.push(bold(*page));
        let sep = if i + 1 < pages::SEE_ALSO_EXTERNAL.len() {
            ", "
        } else {
            ""
        };
        see_also.push(roman(format!("({section}){sep}")));
    }
    extra.text(see_also);
    extra.control("PP", []);
    extra.text([roman(pages::KERNEL_POLICY_DOC)]);
    page.push_str(without_preamble(&extra.render()));
    pages.push((format!("{name}.8"), page));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        imactl_page(sub, false, pages);
    }
}

/// INPUT LIMITS: the size cap of every kind of input file (from [`imaevm::input`]) and the
/// caps on the key-derivation cost of an encrypted private key ([`imaevm::keys::kdf_caps`]).
fn input_limits(r: &mut Roff) {
    use imaevm::input::{size_words, InputKind};
    use imaevm::keys::kdf_caps;
    r.control("SH", ["INPUT LIMITS"]);
    r.text([roman(
        "Every input file read whole must be a regular file (a FIFO, a device such as \
         /dev/zero, a socket or a directory is refused with an error naming it) no larger \
         than the cap of its kind. Where imactl's input is a file named on purpose (the \
         files that may be given as -), a FIFO or pipe such as <(command) is read too, \
         through the same cap, with a time limit of 10 seconds that runs only while \
         nothing arrives:",
    )]);
    for k in InputKind::ALL {
        r.control("TP", []);
        r.text([roman(k.noun())]);
        r.text([roman(size_words(k.limit()))]);
    }
    r.control("PP", []);
    r.text([roman(format!(
        "An encrypted PKCS#8 private key is refused, before its password is asked for and \
         before anything is derived, when its key derivation would cost more than: {} PBKDF2 \
         iterations; scrypt memory (128*r*N bytes) over {}; scrypt work \
         N*r*p over {}. OpenSSL's defaults (2048 iterations; N=16384, r=8, p=1) \
         are far below, and the largest key allowed is derived in a few seconds.",
        kdf_caps::PBKDF2_MAX_ITERATIONS,
        size_words(kdf_caps::SCRYPT_MAX_MEMORY),
        kdf_caps::SCRYPT_MAX_WORK,
    ))]);
}

/// The completion script of imactl for `shell`, from the clap definition.
pub fn imactl_completion(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "imactl", &mut out)
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "imactl", &mut out)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "imactl", &mut out)
        }
    }
    String::from_utf8(out).expect("clap_complete writes UTF-8")
}

/// What a value of an evmctl option is completed with, judged by its placeholder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// A flag, or an optional value (only attached, never completed).
    None,
    /// A value that no list knows (a keyid, a number, a label).
    Free,
    /// A hash algorithm name.
    Algo,
    /// A path.
    File,
}

fn value_kind(o: &OptDef) -> ValueKind {
    match o.has_arg {
        HasArg::No | HasArg::Optional => ValueKind::None,
        HasArg::Required => match o.value_name {
            "ALGO" => ValueKind::Algo,
            "KEY" | "CERT" => ValueKind::File,
            v if v.contains("FILE") => ValueKind::File,
            _ => ValueKind::Free,
        },
    }
}

fn algo_names() -> Vec<&'static str> {
    HashAlgo::all_names()
}

/// The first clause of an option's help, for completion menus.
fn short_help(help: &str) -> &str {
    let end = help.find(['(', ';']).unwrap_or(help.len());
    help[..end].trim_end().trim_end_matches(',')
}

/// Spellings of an option on the command line: `-k`, `--key`.
fn spellings(o: &OptDef) -> Vec<String> {
    o.short
        .map(|s| format!("-{s}"))
        .into_iter()
        .chain(o.long.map(|l| format!("--{l}")))
        .collect()
}

fn options_for(cmd: Option<&str>) -> Vec<&'static OptDef> {
    opts::OPTIONS
        .iter()
        .filter(|o| match cmd {
            None => true,
            Some(c) => o.commands.is_empty() || o.commands.contains(&c),
        })
        .collect()
}

/// The completion script of evmctl for `shell`, from the option and command tables.
pub fn evmctl_completion(shell: Shell) -> String {
    match shell {
        Shell::Bash => evmctl_bash(),
        Shell::Zsh => evmctl_zsh(),
        Shell::Fish => evmctl_fish(),
    }
}

const GENERATED: &str =
    "Generated from src/cli/evmctl/opts.rs by `cargo run --example gen-docs`; do not edit.";

fn evmctl_bash() -> String {
    let mut s = String::new();
    let commands: Vec<&str> = opts::COMMANDS.iter().map(|c| c.name).collect();
    let with_value = |kind: fn(ValueKind) -> bool| -> String {
        opts::OPTIONS
            .iter()
            .filter(|o| kind(value_kind(o)))
            .flat_map(spellings)
            .collect::<Vec<_>>()
            .join("|")
    };
    let all_spellings = |list: &[&OptDef]| -> String {
        list.iter()
            .flat_map(|o| spellings(o))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(s, "# bash completion for evmctl");
    let _ = writeln!(s, "# {GENERATED}");
    s.push_str("_evmctl() {\n");
    s.push_str("    local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i w opts\n");
    s.push_str("    if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD-1]}; fi\n");
    s.push_str("    # --opt=value: bash splits at '=' (COMP_WORDBREAKS)\n");
    s.push_str("    if [[ $cur == = ]]; then prev=${COMP_WORDS[COMP_CWORD-1]}; cur=;\n");
    s.push_str(
        "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n",
    );
    let takes_value =
        with_value(|k| matches!(k, ValueKind::Free | ValueKind::Algo | ValueKind::File));
    s.push_str("    # The command: the first word that is neither an option nor its value.\n");
    s.push_str("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
    s.push_str("        w=${COMP_WORDS[i]}\n");
    s.push_str("        case $w in\n");
    if !takes_value.is_empty() {
        let _ = writeln!(s, "            {takes_value}) ((i++)) ;;");
    }
    s.push_str("            -*) ;;\n");
    s.push_str("            *) cmd=$w; break ;;\n");
    s.push_str("        esac\n");
    s.push_str("    done\n");
    s.push_str("    case $prev in\n");
    let algo = with_value(|k| k == ValueKind::Algo);
    if !algo.is_empty() {
        let _ = writeln!(
            s,
            "        {algo}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;",
            algo_names().join(" ")
        );
    }
    let file = with_value(|k| k == ValueKind::File);
    if !file.is_empty() {
        let _ = writeln!(
            s,
            "        {file}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"
        );
    }
    let free = with_value(|k| k == ValueKind::Free);
    if !free.is_empty() {
        let _ = writeln!(s, "        {free}) COMPREPLY=(); return ;;");
    }
    s.push_str("    esac\n");
    s.push_str("    if [[ $cur == -* ]]; then\n");
    s.push_str("        case $cmd in\n");
    for c in opts::COMMANDS {
        let _ = writeln!(
            s,
            "            {}) opts=\"{}\" ;;",
            c.name,
            all_spellings(&options_for(Some(c.name)))
        );
    }
    let _ = writeln!(
        s,
        "            *) opts=\"{}\" ;;",
        all_spellings(&options_for(None))
    );
    s.push_str("        esac\n");
    s.push_str("        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n");
    s.push_str("        return\n");
    s.push_str("    fi\n");
    s.push_str("    case $cmd in\n");
    let _ = writeln!(
        s,
        "        '') COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")) ;;",
        commands.join(" ")
    );
    let _ = writeln!(
        s,
        "        help) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")) ;;",
        commands.join(" ")
    );
    s.push_str(
        "        *) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n",
    );
    s.push_str("    esac\n");
    s.push_str("}\n");
    s.push_str("complete -F _evmctl evmctl\n");
    s
}

/// Escapes text for a zsh `_arguments` description inside single quotes.
fn zsh_desc(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\'', "'\\''")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
}

fn evmctl_zsh() -> String {
    let mut s = String::new();
    s.push_str("#compdef evmctl\n");
    let _ = writeln!(s, "# zsh completion for evmctl");
    let _ = writeln!(s, "# {GENERATED}");
    s.push_str("_evmctl() {\n");
    s.push_str("    local curcontext=$curcontext state line ret=1\n");
    s.push_str("    local -a commands\n");
    s.push_str("    commands=(\n");
    for c in opts::COMMANDS {
        let _ = writeln!(
            s,
            "        '{}:{}'",
            c.name,
            c.summary.replace('\'', "'\\''")
        );
    }
    s.push_str("    )\n");
    s.push_str("    _arguments -s -S -C \\\n");
    for o in opts::OPTIONS {
        let kind = value_kind(o);
        let desc = zsh_desc(short_help(&opts::help_text(o)));
        let repeat = if o.id == opts::OptId::Verbose {
            "*"
        } else {
            ""
        };
        let suffix = match o.has_arg {
            HasArg::No => ("", ""),
            HasArg::Required => ("+", "="),
            HasArg::Optional => ("-", "=-"),
        };
        let names: Vec<String> = o
            .short
            .map(|c| format!("-{c}{}", suffix.0))
            .into_iter()
            .chain(o.long.map(|l| format!("--{l}{}", suffix.1)))
            .collect();
        let plain: Vec<String> = spellings(o);
        let action = match (o.has_arg, kind) {
            (HasArg::No, _) => String::new(),
            (_, ValueKind::Algo) => format!(":{}:({})", o.value_name, algo_names().join(" ")),
            (_, ValueKind::File) => format!(":{}:_files", o.value_name),
            _ => format!(":{}: ", o.value_name),
        };
        if names.len() == 1 {
            let _ = writeln!(s, "        '{repeat}{}[{desc}]{action}' \\", names[0]);
        } else {
            let exclusive = if repeat.is_empty() {
                format!("({})", plain.join(" "))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "        '{exclusive}'{repeat}{{{}}}'[{desc}]{action}' \\",
                names.join(",")
            );
        }
    }
    s.push_str("        '1:command:->command' \\\n");
    s.push_str("        '*::argument:->argument' && ret=0\n");
    s.push_str("    case $state in\n");
    s.push_str("        command) _describe -t commands 'evmctl command' commands && ret=0 ;;\n");
    s.push_str("        argument)\n");
    s.push_str("            case $line[1] in\n");
    s.push_str(
        "                help) _describe -t commands 'evmctl command' commands && ret=0 ;;\n",
    );
    s.push_str("                *) _files && ret=0 ;;\n");
    s.push_str("            esac ;;\n");
    s.push_str("    esac\n");
    s.push_str("    return ret\n");
    s.push_str("}\n");
    s.push_str("_evmctl \"$@\"\n");
    s
}

/// Quotes text for fish (single quotes).
fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn evmctl_fish() -> String {
    let mut s = String::new();
    let commands: Vec<&str> = opts::COMMANDS.iter().map(|c| c.name).collect();
    let all = commands.join(" ");
    let _ = writeln!(s, "# fish completion for evmctl");
    let _ = writeln!(s, "# {GENERATED}");
    s.push_str("complete -c evmctl -f\n");
    for c in opts::COMMANDS {
        let _ = writeln!(
            s,
            "complete -c evmctl -n 'not __fish_seen_subcommand_from {all}' -a {} -d {}",
            c.name,
            fish_quote(c.summary)
        );
    }
    let _ = writeln!(
        s,
        "complete -c evmctl -n '__fish_seen_subcommand_from help' -a '{all}'"
    );
    let file_cmds: Vec<&str> = commands.iter().copied().filter(|c| *c != "help").collect();
    let _ = writeln!(
        s,
        "complete -c evmctl -n '__fish_seen_subcommand_from {}' -F",
        file_cmds.join(" ")
    );
    for o in opts::OPTIONS {
        let mut line = String::from("complete -c evmctl");
        if !o.commands.is_empty() {
            let _ = write!(
                line,
                " -n '__fish_seen_subcommand_from {}; or not __fish_seen_subcommand_from {all}'",
                o.commands.join(" ")
            );
        }
        if let Some(c) = o.short {
            let _ = write!(line, " -s {c}");
        }
        if let Some(l) = o.long {
            let _ = write!(line, " -l {l}");
        }
        match value_kind(o) {
            ValueKind::None => {}
            ValueKind::Free => line.push_str(" -x"),
            ValueKind::Algo => {
                let _ = write!(line, " -x -a '{}'", algo_names().join(" "));
            }
            ValueKind::File => line.push_str(" -r -F"),
        }
        let _ = write!(line, " -d {}", fish_quote(short_help(&opts::help_text(o))));
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// A file this module generates, by its path relative to the repository root.
#[derive(Debug)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Every generated file: man/ and completions/.
pub fn generated_files() -> Vec<GeneratedFile> {
    let mut files = vec![
        GeneratedFile {
            path: PathBuf::from("man/evmctl.1"),
            contents: evmctl_man(),
        },
        GeneratedFile {
            path: PathBuf::from("man/imaevm-rpm-macros.7"),
            contents: macros_man(),
        },
    ];
    for (name, page) in imactl_man_pages() {
        files.push(GeneratedFile {
            path: Path::new("man").join(name),
            contents: page,
        });
    }
    for shell in Shell::ALL {
        files.push(GeneratedFile {
            path: Path::new("completions").join(shell.file_name("evmctl")),
            contents: evmctl_completion(shell),
        });
        files.push(GeneratedFile {
            path: Path::new("completions").join(shell.file_name("imactl")),
            contents: imactl_completion(shell),
        });
    }
    files
}

/// Writes every generated file under `root`, and removes files in `root/man` and
/// `root/completions` that are no longer generated (a removed subcommand's page).
/// Returns the paths written.
pub fn write_all(root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = generated_files();
    for dir in ["man", "completions"] {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if path.is_file() && !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&path)?;
            }
        }
    }
    let mut written = Vec::new();
    for f in files {
        let path = root.join(&f.path);
        std::fs::write(&path, f.contents)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_and_command_is_in_the_evmctl_page() {
        let page = evmctl_man();
        for o in opts::OPTIONS {
            if let Some(l) = o.long {
                assert!(
                    page.contains(&format!("\\-\\-{}", l.replace('-', "\\-"))),
                    "--{l}"
                );
            }
            if let Some(c) = o.short {
                assert!(page.contains(&format!("\\fB\\-{c}\\fR")), "-{c}");
            }
        }
        for c in opts::COMMANDS {
            assert!(
                page.contains(&format!("\\fB{}\\fR", c.name.replace('-', "\\-"))),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn completions_offer_every_option_and_command() {
        for shell in Shell::ALL {
            let script = evmctl_completion(shell);
            for o in opts::OPTIONS {
                if let Some(l) = o.long {
                    let needle = match shell {
                        Shell::Fish => format!("-l {l}"),
                        _ => format!("--{l}"),
                    };
                    assert!(script.contains(&needle), "{shell:?}: --{l}");
                }
            }
            for c in opts::COMMANDS {
                assert!(script.contains(c.name), "{shell:?}: {}", c.name);
            }
        }
    }

    #[test]
    fn short_help_takes_the_first_clause() {
        assert_eq!(short_help("print usage and exit"), "print usage and exit");
        assert_eq!(
            short_help("use user.ima instead (for testing); more"),
            "use user.ima instead"
        );
    }
}
