//! The prose of each imactl page that no parser knows: what the command is for (the
//! DESCRIPTION, which clap_mangen would fill with the one-line summary again), its exit
//! status, its JSON output, its examples; and the page of the RPM macros (section 7).
//! Every `imactl`/`evmctl` command in an example must parse with the real grammar
//! (tests/docs_drift.rs).

use super::Example;

/// One exit status and what it means.
pub type Exit = (&'static str, &'static str);

/// The hand-written parts of one imactl page.
pub struct PageText {
    /// The page's name without section: "imactl-policy-check".
    pub name: &'static str,
    /// DESCRIPTION paragraphs.
    pub description: &'static [&'static str],
    pub exit: &'static [Exit],
    /// The JSON OUTPUT section, for commands with --json.
    pub json: Option<&'static str>,
    pub examples: &'static [Example],
}

const USAGE: Exit = (
    "2",
    "Bad arguments (clap's usage error), or an input that cannot be read.",
);

/// The shared SEE ALSO references beyond imaevm's own pages.
pub const SEE_ALSO_EXTERNAL: &[(&str, &str)] = &[
    ("keyctl", "1"),
    ("kexec", "8"),
    ("dracut", "8"),
    ("evmctl", "1"),
];

/// The envelope every --json output shares, said once on each page with --json.
pub const JSON_ENVELOPE: &str = "Every run with --json prints exactly one JSON object on one line on standard output, also when it fails: \"version\" (of this schema, now 1; it changes only when a field changes meaning or disappears), \"command\" (for example \"policy check\"), the command's results, and, when the run failed before it had results, \"error\": {\"code\", \"message\"}. Messages for people still go to standard error.";

/// Where the kernel documents its policy grammar.
pub const KERNEL_POLICY_DOC: &str = "The kernel's IMA policy documentation: Documentation/ABI/testing/ima_policy in the Linux source tree (https://www.kernel.org/doc/Documentation/ABI/testing/ima_policy).";

pub const PAGES: &[PageText] = &[
    PageText {
        name: "imactl",
        description: &[
            "imactl does the parts of IMA (the kernel's Integrity Measurement Architecture) that ima-evm-utils' evmctl leaves to hand work: it checks IMA policies against the rules of a given kernel and loads them safely, manages the keys in the keyring IMA appraises with, tells whether kexec is protected on this machine, explains why the kernel refused a file, and performs the boot step that puts keys and policy in force at every boot.",
            "Its main use: letting a kernel that must not run unverified code still load a kexec or kdump kernel, because IMA appraises the image against the signature in its security.ima attribute (appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig). Signatures are made with evmctl(1).",
            "Each command has its own page: imactl-policy(8), imactl-key(8), imactl-verify(8), imactl-status(8), imactl-boot(8), imactl-modsig(8), imactl-kernel-hook(8), imactl-restore(8).",
            "Where a command reads a file's contents (a policy for policy check and policy load, a certificate for key import, key show and modsig --cert), a file name of - reads standard input instead, up to the same size limit as a file of its kind; messages then name it standard input. Standard input can be read once: - given twice is an error. A file named - is given as ./-.",
        ],
        exit: &[
            ("0", "Success."),
            ("1", "The command failed, or its verdict is negative (see each command's page)."),
            USAGE,
        ],
        json: None,
        examples: &[],
    },
    PageText {
        name: "imactl-policy",
        description: &[
            "IMA policies are text: one rule per line, an action (measure, appraise, audit, hash and their dont_ forms) and conditions such as func=KEXEC_KERNEL_CHECK. The kernel takes a policy through <securityfs>/ima/policy and refuses a whole batch for one rule it cannot parse; Debian's kernels take one policy per boot and then remove the file.",
            "imactl policy check reports every error with its position before anything reaches the kernel; imactl policy load checks, then writes one rule per write(2); imactl policy show prints the loaded policy when the kernel allows it.",
        ],
        exit: &[("0", "Success."), ("1", "See the subcommand."), USAGE],
        json: None,
        examples: &[Example {
            text: "Check, then load, the shipped kexec policy:",
            lines: &[
                "imactl policy check /usr/share/imaevm/policies/kexec.policy",
                "imactl policy load /usr/share/imaevm/policies/kexec.policy",
            ],
        }],
    },
    PageText {
        name: "imactl-policy-check",
        description: &[
            "Checks IMA policy files against the rules of the running kernel, or of the kernel named with --kernel (profiles 6.1, 6.12 and 7.2; any later release is checked with the newest profile that is not newer). Nothing is loaded and no privilege is needed. A FILE of - is read from standard input (up to 16 MiB, as a file) and named standard input in the findings.",
            "The findings are the command's output, on standard output, one per line as FILE:LINE:COLUMN: error: MESSAGE or FILE:LINE:COLUMN: warning: MESSAGE, each followed by an indented hint when there is one, then one summary line per file (N rules, N errors, N warnings, ok or FAILED). Errors are what makes the kernel refuse a rule (EINVAL): unknown keywords and values (with a \"did you mean\"), options in the wrong order for the kernel, options not allowed with the action. Warnings are rules the kernel takes but that cannot work as written: a rule shadowed by an earlier one, a dont_ rule that disables a later rule, an unsigned kexec appraisal, a POLICY_CHECK appraisal.",
            "A warning that is intended is silenced by a comment on the line right before its rule: # imactl: intended CHECK (several names separated by commas), where CHECK is the warning's code (policy-check, shadowed, kexec-unsigned, disabled-by-dont, ...). The shipped signed-policy.policy does so.",
        ],
        exit: &[
            ("0", "Every file is valid (and, with --strict, has no warning)."),
            ("1", "A file has an error, or a warning with --strict."),
            ("2", "A file cannot be read, or --kernel names no kernel with a profile."),
        ],
        json: Some("With --json: {\"profile\", \"profile_source\", \"strict\", \"valid\", \"files\": [{\"file\", \"valid\", \"errors\", \"warnings\", \"profile\", \"rules\", \"diagnostics\": [{\"severity\": \"error\"|\"warning\", \"line\", \"column\", \"token\", \"message\", \"hint\" (absent when none), \"code\"}]}]}. The code names the check, stable across releases: parse errors (no-action, unknown-keyword, unknown-func, bad-mask, bad-id, parse), kernel checks (not-in-kernel, duplicate, template-action, ...) and warnings (shadowed, disabled-by-dont, kexec-unsigned, policy-check, ...). A file that cannot be read is in files[] with \"error\": {\"code\": \"unreadable\", \"message\"}; a --kernel without a profile gives the error object bad-kernel, and - given twice the error object stdin-twice. A FILE of - is named standard input in \"file\"."),
        examples: &[
            Example {
                text: "Check a policy for the kernel it will run on, and fail on warnings too:",
                lines: &["imactl policy check --kernel 6.12 --strict /etc/ima/ima-policy"],
            },
            Example {
                text: "Only the errors, for a script:",
                lines: &["imactl policy check /etc/ima/ima-policy | grep ': error: '"],
            },
            Example {
                text: "Check a policy that is not a file yet, from standard input:",
                lines: &["git show HEAD:ima-policy | imactl policy check --kernel 6.12 -"],
            },
        ],
    },
    PageText {
        name: "imactl-policy-load",
        description: &[
            "Checks the policy file as imactl-policy-check(8) does and writes nothing when it has an error, because the kernel throws a whole batch away for one bad rule and Debian's kernels take only one policy per boot. Then it opens <securityfs>/ima/policy once, writes one rule per write(2), and closes it; when the kernel refuses a rule it reports that rule's line and errno with the reason. It mounts securityfs (and sysfs) when they are not mounted, and unmounts what it mounted.",
            "With --by-path the file's absolute path is written instead of its rules, so that the kernel reads and appraises the file itself; this is needed, and chosen automatically, when the loaded policy appraises POLICY_CHECK, and the file must then carry a valid security.ima signature (evmctl ima_sign). Afterwards it says whether the kernel takes another load this boot. With --dry-run it prints exactly the bytes it would write, writes nothing, and says when a real load would fail on this kernel (IMA not in the kernel's LSM list, or the one policy of this boot already taken).",
            "A FILE of - reads the policy from standard input (up to 16 MiB, as a file). Such a policy is written as rules, never by path: standard input has no path for the kernel to read and appraise, so --by-path with - is a usage error, and when the loaded policy appraises POLICY_CHECK the load is refused with nothing written.",
            "Before anything is written, the rules are checked against the programs this system runs now (the lockout check): the executable of every process (/proc/PID/exe) and, when an appraise rule could match a mapping (no func, FILE_CHECK, MMAP_CHECK), the files each process maps executable (/proc/PID/maps). Where the first matching appraise or dont_appraise rule is an appraise rule, the file's security.ima is judged as the kernel's appraisal would: none, a hash where appraise_type= requires a signature, a hash that does not match the content, or a signature that does not verify with the keys of the IMA keyring makes the kernel refuse the next exec with EACCES. If a file would be refused, nothing is written: the command names how many, up to 10 with the cause and the rule (line and text), and the ways out (sign them first with evmctl ima_sign -r, try the policy with ima_appraise=log on the kernel command line, or --force). With --force, or when appraisal does not enforce on this boot (ima_appraise= on the kernel command line and no Secure Boot), the finding is a warning and the policy is loaded; --dry-run reports it. A file that cannot be judged here (LSM labels, uid= and the other ids of the process that will run it, a signature that cannot be checked) is a warning. Files only read, programs not running now and the rules already in force are not checked.",
        ],
        exit: &[
            ("0", "The policy was loaded (or, with --dry-run, planned)."),
            ("1", "The policy has errors, or the kernel refused it (or takes only signed policies by path and the policy came from standard input), or securityfs cannot be mounted or opened, or programs this system runs now would be refused under it while appraisal enforces (without --force)."),
            ("2", "The file cannot be read or resolved, --by-path is given with -, or --kernel names no kernel with a profile."),
        ],
        json: None,
        examples: &[
            Example {
                text: "See the writes, then load:",
                lines: &[
                    "imactl policy load --dry-run /etc/ima/ima-policy",
                    "imactl policy load /etc/ima/ima-policy",
                ],
            },
            Example {
                text: "See the writes for a policy made by a script, from standard input:",
                lines: &["cat /usr/share/imaevm/policies/kexec.policy local.policy | imactl policy load --dry-run -"],
            },
            Example {
                text: "See which running programs a policy that appraises executables would lock out, without loading it:",
                lines: &["imactl policy load --dry-run /usr/share/imaevm/policies/signed-programs.policy"],
            },
            Example {
                text: "Load a signed policy by path (after a POLICY_CHECK appraisal is in force):",
                lines: &[
                    "evmctl ima_sign --key /root/ima-key/ima.key /etc/ima/ima-policy",
                    "imactl policy load --by-path /etc/ima/ima-policy",
                ],
            },
        ],
    },
    PageText {
        name: "imactl-policy-show",
        description: &[
            "Prints the policy the kernel has loaded, one rule per line, as the kernel shows it. The kernel lets it be read only when built with CONFIG_IMA_READ_POLICY (Debian's 6.1 and 6.12 kernels are not); otherwise the command says why it cannot show it.",
        ],
        exit: &[
            ("0", "The policy was printed."),
            ("1", "The kernel does not let the policy be read, or securityfs cannot be mounted."),
            USAGE,
        ],
        json: Some("With --json: {\"policy_file\", \"rules\": [the rules as the kernel shows them], \"demands_signed_policies\"}, or an \"error\" object (code mount or unreadable) when the kernel does not show the policy."),
        examples: &[Example {
            text: "Show the loaded policy:",
            lines: &["imactl policy show"],
        }],
    },
    PageText {
        name: "imactl-key",
        description: &[
            "IMA appraises a signature with a key from its keyring: the kernel-made .ima (only certificates signed by a builtin or secondary trusted key get in) when the kernel has one, otherwise _ima, a keyring any root process may create in its user keyring (keyctl newring _ima @u). These commands find that keyring by themselves, add and remove keys, make a local CA and signing keys, and show what the kernel will think of a certificate.",
        ],
        exit: &[("0", "Success."), ("1", "See the subcommand."), USAGE],
        json: None,
        examples: &[Example {
            text: "Import a certificate and list the keyring:",
            lines: &["imactl key import /etc/keys/ima/ima.der", "imactl key list"],
        }],
    },
    PageText {
        name: "imactl-key-import",
        description: &[
            "Adds X.509 certificates (PEM or DER) as asymmetric keys to the keyring IMA uses: .ima when /proc/keys shows the kernel made it, otherwise _ima in the user keyring, created when absent. Prints, per certificate, the new key's serial, the id:xxxxxxxx IMA will look it up by, and the file. When the kernel refuses a key it says why: .ima takes only certificates signed by a builtin or secondary trusted key, and from 6.5 no CA certificates and none without digitalSignature; no ECDSA in the kernel (ENOENT). A CERT of - reads one certificate from standard input (up to 1 MiB), named standard input in the output.",
        ],
        exit: &[
            ("0", "Every certificate was added."),
            ("1", "A certificate could not be read or was refused, or no keyring was found."),
            USAGE,
        ],
        json: None,
        examples: &[Example {
            text: "Import into the keyring IMA uses, or into a named one:",
            lines: &[
                "imactl key import /etc/keys/ima/ima.der",
                "imactl key import --keyring _ima /etc/keys/ima/ima.der",
            ],
        },
        Example {
            text: "Import a certificate straight from an archive, through standard input:",
            lines: &["unzip -p ima-keys.zip ima.der | imactl key import -"],
        }],
    },
    PageText {
        name: "imactl-key-list",
        description: &[
            "Lists the keys linked in the keyring: serial, the IMA keyid (id:xxxxxxxx, the tail of the Subject Key Identifier, which a signature must name), algorithm and size, key type and description.",
        ],
        exit: &[("0", "The keyring was listed."), ("1", "No such keyring, or it cannot be read."), USAGE],
        json: Some("With --json, one object: {\"keyring\": {\"serial\", \"name\"}, \"keys\": [{\"serial\", \"type\", \"description\", \"keyid\" (null without a SKID), \"algorithm\", \"bits\"}]}; without the keyring, the error object (code no-keyring or unreadable)."),
        examples: &[Example {
            text: "The keys of the IMA keyring, as JSON:",
            lines: &["imactl key list --json"],
        }],
    },
    PageText {
        name: "imactl-key-remove",
        description: &[
            "Unlinks a key from the keyring, named by its serial or by its IMA keyid (id:xxxxxxxx; eight hex digits alone are a keyid unless all are decimal digits).",
        ],
        exit: &[
            ("0", "The key was removed."),
            ("1", "No such key in the keyring, or the kernel refused."),
            ("2", "The argument is neither a serial nor a keyid."),
        ],
        json: None,
        examples: &[Example {
            text: "Remove a key by the keyid signatures name:",
            lines: &["imactl key remove id:3a1f29c0"],
        }],
    },
    PageText {
        name: "imactl-key-ca",
        description: &[
            "Makes a local certificate authority for IMA keys: a new key and its self-signed certificate (basicConstraints CA:TRUE, keyUsage keyCertSign and cRLSign, Subject Key Identifier), written as ca.key (PKCS#8 PEM, mode 0600), ca.pem and ca.der in the --out directory. Build ca.pem into the kernel (CONFIG_SYSTEM_TRUSTED_KEYS) or enrol it so that .ima accepts keys it issued. The private key is encrypted with the password in IMACTL_CA_KEY_PASSWORD, or one asked on the terminal with --encrypt; never give it on the command line. Existing files are never overwritten.",
        ],
        exit: &[("0", "The CA was written."), ("1", "A file exists already, or cannot be written, or the key could not be made."), USAGE],
        json: None,
        examples: &[Example {
            text: "An RSA-3072 CA in /root/ima-ca:",
            lines: &["imactl key ca --type rsa3072 --subject CN=Example-IMA-CA --out /root/ima-ca"],
        }],
    },
    PageText {
        name: "imactl-key-new",
        description: &[
            "Makes an IMA signing key issued by a CA from imactl-key-ca(8): CA:FALSE, keyUsage digitalSignature (critical), extendedKeyUsage codeSigning, Subject and Authority Key Identifiers; written as ima.key, ima.pem and ima.der. Prints the keyid signatures made with it will carry. The key is encrypted with EVMCTL_KEY_PASSWORD (the variable evmctl reads when signing) or a password asked with --encrypt.",
        ],
        exit: &[("0", "The key was written."), ("1", "The CA certificate is not a certificate or not a CA, the CA key is not a key or not its key, a file exists already, or cannot be written (a --ca-cert or --ca-key that cannot be read is 2)."), USAGE],
        json: None,
        examples: &[Example {
            text: "Issue a signing key and install its certificate for the boot step:",
            lines: &[
                "imactl key new --ca-cert /root/ima-ca/ca.pem --ca-key /root/ima-ca/ca.key --out /root/ima-key",
                "install -D -m 0644 /root/ima-key/ima.der /etc/keys/ima/ima.der",
            ],
        }],
    },
    PageText {
        name: "imactl-key-show",
        description: &[
            "Shows certificates and what the kernel will think of them: subject, issuer, serial, validity, algorithm and size, SKID, AKID and the IMA keyid, basicConstraints, keyUsage and extendedKeyUsage; then whether .ima would take it (a CA or a certificate without digitalSignature is refused from 6.5, a self-signed one always), RSA above 4096 bits, ECDSA and CONFIG_CRYPTO_ECDSA, the issuer .ima needs in the trusted keyrings (.builtin_trusted_keys, or with IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY .secondary_trusted_keys and .machine), and an expired certificate (the kernel ignores dates; other tools do not). It also says whether the certificate can enter .machine from MokListRT: INTEGRITY_CA_MACHINE_KEYRING wants CA:TRUE and keyCertSign, INTEGRITY_CA_MACHINE_KEYRING_MAX also no digitalSignature; a certificate that fails goes to .platform, which .ima does not trust. Certificates made by imactl key ca pass both. A CERT of - reads one certificate from standard input (up to 1 MiB), named standard input in the report.",
        ],
        exit: &[("0", "Every file is a certificate."), ("1", "A file is not a certificate or cannot be read: each CERT is checked in turn, and one that cannot be read is one failure among the others."), USAGE],
        json: Some("With --json: {\"certificates\": [the fields above per certificate], \"errors\": [{\"path\", \"error\": {\"code\", \"message\"}}]}, the code unreadable for a file that cannot be read (as in policy check and restore) and not-a-certificate for one that is read and is not a certificate; - given twice gives the error object stdin-twice. A CERT of - is named standard input in \"path\"."),
        examples: &[Example {
            text: "Before importing:",
            lines: &["imactl key show /etc/keys/ima/ima.der"],
        }, Example {
            text: "A certificate that is not a file, from standard input:",
            lines: &["unzip -p ima-keys.zip ima.der | imactl key show -"],
        }],
    },
    PageText {
        name: "imactl-verify",
        description: &[
            "The command for \"kexec_file_load failed: Permission denied\". For each file it reads security.ima (or FILE.sig with --sigfile), finds the key by id:<keyid> in the IMA keyring as appraisal does, hashes the file with the signature's algorithm and lets the kernel verify the signature (KEYCTL_PKEY_VERIFY); nothing is loaded. Without an IMA keyring it says so and still judges what needs no key: a file without a value, or with a hash where a signature is required. An fs-verity signature (sigv3, type 0x06) is judged as under a digest_type=verity rule: over the file's fs-verity digest (FS_IOC_MEASURE_VERITY), and refused as no-verity-digest, whatever the keys, when the file has no fs-verity.",
            "With --packages it is an rpm -V for IMA (rpm -V has no IMA column, debsums checks MD5 only): the NAMEs are installed packages (all when none), and every regular file they install is compared with the package's FILESIGNATURES and checked with the certificates in /etc/keys/ima below --root and, when the root is /, the keys in the IMA keyring. Each file gets one state: ok (it carries the package's signature, which verifies), missing (no security.ima), other-value (a value that is not the package's), bad-signature (the package's signature, which does not verify over the content: the file changed), unknown-key (the package's signature, from a key none of those keys is), or not-checked (a directory or symbolic link, a file not there, a file the package did not sign). Only the files with a problem are listed, then a summary line. Nothing is changed: imactl restore puts the values back.",
        ],
        exit: &[("0", "Every file verifies (with --packages: no file is missing its value, carries another one, or has a bad or unknown-key signature)."), ("1", "A file does not verify, cannot be read, or could not be checked; with --packages, any problem, or rpm failed."), USAGE],
        json: Some("With --json, one object: {\"keyring\": {\"serial\", \"name\"} or null when there is none, \"files\": [{\"file\", \"ok\", \"verdict\" (ok, no-signature, IMA-signature-required, unknown-key, blacklisted-key, invalid-signature, unavailable-hash, no-verity-digest, not-checked, error), \"reason\", \"keyid\", \"key_serial\", \"hash\"}]}. With --packages: {\"root\", \"keys\", \"files\": [{\"file\", \"package\", \"state\" (ok, missing, other-value, bad-signature, unknown-key, not-checked), \"reason\"}], \"summary\": {\"ok\", \"missing\", \"other_value\", \"bad_signature\", \"unknown_key\", \"not_checked\"}}."),
        examples: &[Example {
            text: "Why was this kernel refused?",
            lines: &["imactl verify /boot/vmlinuz-6.12.0-lab"],
        }, Example {
            text: "Do the installed files still carry their packages' signatures?",
            lines: &["imactl verify --packages kernel-core kexec-tools"],
        }],
    },
    PageText {
        name: "imactl-status",
        description: &[
            "Answers \"is kexec protected on this machine, and if not, why not\" from the kernel's own interfaces (nothing is changed): IMA in the LSM list, ima_appraise= on the command line, lockdown and Secure Boot (the SecureBoot and SetupMode EFI variables, and the kernel's own view in /sys/kernel/boot_params when visible), whether a policy is loaded, readable, appraises KEXEC_KERNEL_CHECK with imasig and can still be replaced, the trusted keyrings, .ima or _ima and their keys, and CONFIG_KEXEC_SIG. Under Secure Boot it also names the IMA arch policy's rules and whether they are in the policy, whether PE signatures on kexec images are enforced (KEXEC_SIG_FORCE, or KEXEC_SIG with the arch policy), which keyrings .ima trusts (builtin, secondary, machine/MOK; never platform) and what a kexec image needs. It ends with a verdict and the first step to take.",
            "With --kexec IMAGE it is a preflight for one image instead: whether a PE (Authenticode) signature is present, whether the image's Authenticode digest matches the signed one, whether the firmware's db or shim's MokListRT (read from efivarfs; MokListRT only under Secure Boot, as the kernel loads it) holds the signer or its issuer, checked by signature; whether security.ima or an appended signature is present and verifies with the certificates given with --cert (and, on a live system, whether its key is in .ima; without --cert the live kernel checks it with the keys in .ima); then the gates in the kernel's order (IMA appraisal at KEXEC_KERNEL_CHECK, and at KEXEC_INITRAMFS_CHECK for --initrd; then the PE check, enforced or standing in for lockdown unless the first IMA appraise rule for KEXEC_KERNEL_CHECK demands a signature) and the predicted verdict. Standard output then holds exactly one line that starts with \"prediction: \", followed by load, refuse or unknown, and optionally \" (reason)\"; with --json the object's \"prediction\" field holds the word instead.",
            "A compressed image (gzip, xz, lzma, zstd or EFI zboot, recognised by its content, not its name) is never what the kernel appraises: kexec-tools hands kexec_file_load a decompressed copy (a temporary file, or from kexec-tools 2.0.27 a memfd) that has no security.ima, or cannot load it at all. The preflight (and --kernels) refuses it wherever an enforcing IMA rule appraises KEXEC_KERNEL_CHECK, whatever signature it carries, with a reason that says so (on arm64, for a gzip-compressed Image: sign the uncompressed Image and load that); without such a rule it says unknown, except for a gzip-compressed arm64 Image, which kexec-tools decompresses and the kernel then loads unappraised. On x86_64 kexec_file_load takes only a bzImage. The PE signature inside a compressed image is not checked.",
            "Every file read (the policy, /proc/keys, the LSM list, EFI variables, /etc/ima/ima-policy, the kernel configuration, /proc/config.gz decompressed, the image) goes through the bounded reader: a FIFO, a device or a directory is refused with a warning naming it, and each has a size cap.",
        ],
        exit: &[
            ("0", "Protected: signed kexec images only, with keys root cannot add. With --kexec: the image would load."),
            ("3", "Protected against accidents only (_ima: root can add its own key)."),
            ("4", "Not protected."),
            ("5", "Unknown (the kernel does not show enough)."),
            ("1", "An error. With --kexec: the image would be refused, or the verdict is unknown. With --kexec or --kernels: a --cert that is read and is not a certificate (named)."),
            ("2", "With --kexec or --kernels: bad arguments, or the image, the initrd or a --cert cannot be read (the file is named)."),
        ],
        json: Some("With --json: {\"release\", \"checks\": [{\"name\", \"state\", \"detail\"}], \"keyrings\": [{\"name\", \"serial\", \"keys\", \"members\", \"role\"}], \"verdict\", \"reasons\", \"first_step\"}. With --kexec: {\"evidence\": {\"image\", \"pe\", \"initrd\", \"compression\": null or {\"format\": gzip|xz|lzma|zstd|efi-zboot, \"payload\"}}, \"gates\": [[name, {\"result\", \"reason\"}]], \"prediction\", \"reason\"}."),
        examples: &[
            Example {
                text: "In a script:",
                lines: &["imactl status --json"],
            },
            Example {
                text: "Will this crash kernel load, with the IMA key's certificate?",
                lines: &["imactl status --kexec /boot/vmlinuz-6.12.0-lab --initrd /boot/capture.cpio.gz --cert /etc/keys/ima/ima.der"],
            },
        ],
    },
    PageText {
        name: "imactl-boot",
        description: &[
            "The boot step that keeps kexec protected after a reboot. It imports every certificate in the keys directory (default /etc/keys/ima/, dracut's IMAKEYSDIR: every regular file whose name does not start with a dot) and the kernel's /etc/keys/x509_ima.der when present, into the keyring IMA uses (.ima when the kernel made it, else _ima in the user keyring, made when absent). Then it checks and loads the policy (default /etc/ima/ima-policy, the path systemd loads), by path when the loaded policy requires signed policies or with --by-path. Keys come first: a policy that appraises needs them the moment it is in force.",
            "Running it twice is harmless: a certificate whose IMA keyid is already in the keyring is left alone, and a policy already loaded this boot is recognised, from the kernel's read-back when it allows one or from the record the first run left in /run/imaevm/policy-loaded (the policy's SHA-256), and reported as in force instead of being written again. A different policy already taken by a kernel that takes one per boot is reported as not in force. Every certificate and the policy get one line of output: added, already present or error; loaded, already in force or error.",
            "Before a load (not for a policy already in force this boot), and after the certificates are imported so that signatures are verified with them, it runs the lockout check of imactl-policy-load(8): the programs this system runs now (/proc/PID/exe, and the files they map executable when an appraise rule could match a mapping) are judged under the new rules. When the kernel would refuse one and IMA appraisal enforces, the policy is not loaded: the policy line is an error naming how many files, up to 10 with the cause and the rule, and the ways out (sign them with evmctl ima_sign -r, try ima_appraise=log, or imactl boot --force), and the exit status is 1. With --force, or when appraisal does not enforce on this boot, the finding is a note and the policy is loaded.",
            "It runs from a dracut module (98imaevm, pre-pivot hook), an initramfs-tools hook and init-bottom script, and the systemd unit imaevm-boot.service, ordered before kdump.service and kdump-tools.service (packaging/ in the source tree). An initramfs keeps no xattrs, so a policy that must be signed is loaded by the systemd unit from the real root.",
        ],
        exit: &[
            ("0", "The policy is in force and every certificate is in the keyring."),
            ("3", "The policy is in force, but a certificate could not be imported: files signed with its key will be refused."),
            ("1", "The policy is not in force (missing, unreadable, invalid, refused by the kernel or by the lockout check, or another policy already taken this boot): the boot step runs unattended, and an unreadable policy is reported as the policy not in force, not as a usage error."),
            ("2", "Bad arguments."),
        ],
        json: Some("With --json, one object: {\"version\": 1, \"command\": \"boot\", \"keyring\" (\"_ima (123)\" or null), \"keyring_error\", \"dir_error\", \"keys\": [{\"result\": \"added\"|\"already-present\"|\"failed\", \"path\", \"serial\", \"keyid\", \"error\"}], \"policy\": {\"path\", \"result\": \"loaded\"|\"already-in-force\"|\"failed\", \"rules\", \"by_path\", \"after\", \"evidence\", \"error\", \"notes\", \"lockout\"}, \"verdict\": \"in-force\"|\"in-force-keys-missing\"|\"not-in-force\"}. \"lockout\" is there when the lockout check ran: {\"decision\": \"pass\"|\"refused\"|\"forced\"|\"not-enforcing\", \"enforcing\", \"files\", \"refused\", \"refused_files\": [{\"path\", \"role\", \"pid\", \"cause\", \"line\", \"rule\"}], \"unknown\", \"unreadable\"}; a policy refused by it has \"result\": \"failed\" and \"lockout\": {\"decision\": \"refused\", ...}."),
        examples: &[
            Example {
                text: "The standard paths (what the dracut module, the initramfs-tools script and the systemd unit run):",
                lines: &["imactl boot"],
            },
            Example {
                text: "Other places, checked for a given kernel, as JSON:",
                lines: &["imactl boot --keys-dir /etc/imaevm/keys --policy /etc/imaevm/kexec.policy --kernel 6.12 --json"],
            },
            Example {
                text: "Add the dracut module to every image, or enable the systemd unit:",
                lines: &[
                    "echo 'add_dracutmodules+=\" imaevm \"' > /etc/dracut.conf.d/imaevm.conf; dracut -f",
                    "systemctl enable imaevm-boot.service",
                ],
            },
        ],
    },
    PageText {
        name: "imactl-modsig",
        description: &[
            "Appended signatures (\"modsig\") in the kernel module format, for kernel images and initramfs kept where extended attributes are not (a vfat ESP or /boot): a PKCS#7 SignedData (detached, content type pkcs7-data, no authenticated attributes), then the module_signature trailer and the marker \"~Module signature appended~\". IMA accepts such a signature under `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig` on a kernel built with CONFIG_IMA_APPRAISE_MODSIG, with the signer's certificate in .ima. Debian's 6.1 and 6.12 kernels are built without it.",
        ],
        exit: &[("0", "Success."), ("1", "Failure: an unsigned file, a FILE modsig verify cannot read (one verdict among the others), a signature that does not verify, a key that cannot sign."), USAGE],
        json: None,
        examples: &[Example {
            text: "Sign a kernel image in place, check it, and take the signature off again:",
            lines: &[
                "imactl modsig sign --key /root/ima-key/ima.key --cert /root/ima-key/ima.pem /boot/efi/vmlinuz",
                "imactl modsig verify --cert /root/ima-key/ima.pem /boot/efi/vmlinuz",
                "imactl modsig remove /boot/efi/vmlinuz",
            ],
        }],
    },
    PageText {
        name: "imactl-modsig-sign",
        description: &[
            "Appends a signature of FILE's contents made with KEY, whose certificate CERT names the signer. The file is replaced atomically (or the result goes to --out). The key is a PEM or DER file, or a pkcs11: URI (a key in a token); its password or PIN comes from EVMCTL_KEY_PASSWORD or a prompt, never from the command line. RSA signatures are byte-identical to the kernel's scripts/sign-file. A CERT of - is read from standard input; FILE is read and replaced by its path, so it cannot be -.",
        ],
        exit: &[("0", "The signature was appended."), ("1", "Nothing was changed: the key, the certificate or the file was read but could not be used, or the signed file could not be written (a key, certificate or FILE that cannot be read, or a --hash that names no digest algorithm, is 2)."), USAGE],
        json: None,
        examples: &[Example {
            text: "Sign with a key in a token, writing a new file:",
            lines: &["imactl modsig sign --key pkcs11:object=ima-key --cert ima.pem --out vmlinuz.signed vmlinuz"],
        }],
    },
    PageText {
        name: "imactl-modsig-verify",
        description: &[
            "Checks FILE's appended signature as the kernel does (the trailer, the marker, a detached pkcs7-data SignedData with one signer and no authenticated attributes) and verifies it with the certificates given, found by issuer and serial or by subject key identifier. A CERT of - is read from standard input (once); FILE is read by its path and cannot be -.",
        ],
        exit: &[("0", "The signature is valid."), ("1", "No signature, a malformed one, an unknown signer, a signature that does not verify, or a FILE that cannot be read: each FILE gets its own verdict (a --cert that cannot be read is 2)."), USAGE],
        json: None,
        examples: &[Example {
            text: "Check a kernel image:",
            lines: &["imactl modsig verify --cert ima.pem vmlinuz"],
        }],
    },
    PageText {
        name: "imactl-modsig-remove",
        description: &[
            "Removes the appended signature from FILE, giving back exactly the bytes that were signed, written atomically. A file without one is an error and is left as it is. Use it before signing again with another key, or to hand the image to a tool that does not expect the trailer.",
        ],
        exit: &[("0", "The signature was removed."), ("1", "No signature, or the file could not be rewritten."), USAGE],
        json: None,
        examples: &[Example {
            text: "Before signing again with another key:",
            lines: &["imactl modsig remove vmlinuz"],
        }],
    },
    PageText {
        name: "imactl-kernel-hook",
        description: &[
            "After a kernel update, the image kexec and kdump will load must carry an IMA signature the kernel accepts, or kdump fails at the next boot, exactly when a crash dump is needed: systemd's 90-loaderentry.install copies the image with install(1), which drops security.ima; an ESP or XBOOTLDR partition is vfat and holds no xattr at all; Debian's packages carry no IMA signatures. imactl kernel-hook is the one implementation behind the hooks that run at kernel install time: the kernel-install plugin 95-imaevm.install (ordered after 20-grub, 90-loaderentry and 90-uki-copy) and Debian's /etc/kernel/postinst.d/zzz-imaevm and postrm.d/zzz-imaevm. They pass their arguments on, send all output to standard error, never prompt, and exit 0 unless strictness is configured.",
            "The configuration is /etc/imaevm/kernel-hook.conf: name = value lines (# starts a comment). key = the local signing key, a file (DKMS's /var/lib/dkms/mok.key is the precedent) or a pkcs11: URI; it must open without a password or PIN, since the hook never prompts. cert = its certificate (names the key id; needed for appended signatures). hash = the digest algorithm (sha256). pkcs11_module = the module for a URI that names none. strict = yes makes the hook exit 1 when the image is left without a valid signature. Paths in it are taken below --root. The file may be absent (the defaults apply: nothing is signed with a local key); when it is there and does not parse or cannot be read, it is named (with its line), ignored, and nothing is changed. A file named with --config instead must be there and parse: otherwise the hook names it and does nothing, with exit status 2 when it cannot be read (missing, unreadable, not a regular file, not UTF-8) and 1 when it does not parse. The hooks in packaging/ never pass --config.",
            "See docs/kernel-updates.md in the source tree for the whole procedure.",
        ],
        exit: &[("0", "Done, on every path, also when the image is left unsigned (the warning says so)."), ("1", "Strictness is configured and the image is left without a valid signature, or a --config FILE does not parse (nothing is done)."), ("2", "Bad arguments (clap's usage error), or a --config FILE that cannot be read: missing, unreadable, not a regular file, not UTF-8 (nothing is done).")],
        json: None,
        examples: &[Example {
            text: "What the kernel-install plugin runs for a new kernel:",
            lines: &["imactl kernel-hook add --entry-dir /boot/efi/abc/6.12.0 6.12.0 /lib/modules/6.12.0/vmlinuz"],
        }],
    },
    PageText {
        name: "imactl-kernel-hook-add",
        description: &[
            "Finds the image kdump will load as kdumpctl does: vmlinuz-VERSION in /boot, /boot/efi, /efi or /, then the linux of a BLS entry in loader/entries whose version is VERSION (or whose file name ends in -VERSION.conf), then ENTRY_DIR/linux, then a UKI EFI/Linux/*-VERSION.efi. Then, in order: when it carries a signature (security.ima, or an appended signature) that verifies with a certificate in /etc/keys/ima or, when the root is /, a key in the IMA keyring, it reports OK; else, when IMAGE or /lib/modules/VERSION/vmlinuz carries a signature whose file has the same digest, or the rpm database (rpm -qf, with --root) records a signature for /lib/modules/VERSION/vmlinuz whose FILEDIGESTS is the image's digest (compared first: a signature over other content is never copied), and the signature verifies, it copies it; else, when a key is configured, it signs the image: security.ima, or an appended signature (modsig) where the filesystem holds no xattrs; else it prints one paragraph: what kdump and kexec will do at the next boot, and how to fix it. Every step is one line on standard output.",
            "A compressed image (gzip, xz, lzma, zstd or EFI zboot, by its content; an arm64 Image.gz, a zboot vmlinuz) is left as it is, with one warning paragraph instead: kexec-tools hands kexec_file_load a decompressed copy without security.ima (or cannot load it at all), so no signature on it protects kexec or kdump; install and sign the uncompressed image and have kdump load that. Nothing is signed, and it never says kexec and kdump can load it; exit 0, or 1 under strictness.",
            "Not done here: checking appended signatures against the keyring (only against the certificates in /etc/keys/ima).",
        ],
        exit: &[("0", "Done, also when the image is left unsigned, and when the default configuration file is absent."), ("1", "--strict or strict = yes, and the image is left without a valid signature (or is compressed); or a --config FILE that does not parse (named with its line; nothing is done)."), ("2", "Bad arguments (clap's usage error), or a --config FILE that cannot be read: missing, unreadable, not a regular file, not UTF-8 (named; nothing is done).")],
        json: None,
        examples: &[
            Example {
                text: "Debian's postinst.d hook, by hand:",
                lines: &["imactl kernel-hook add 6.1.0-28-amd64 /boot/vmlinuz-6.1.0-28-amd64"],
            },
            Example {
                text: "In a test or an image build, below another root, failing when unsigned:",
                lines: &["imactl kernel-hook add --root /srv/image --strict 6.12.0"],
            },
        ],
    },
    PageText {
        name: "imactl-kernel-hook-remove",
        description: &[
            "Run when a kernel is removed (kernel-install remove, Debian's postrm.d). The image goes away with its signature and imactl keeps no record of the images it signed, so there is nothing to undo; it says so, and warns when VERSION is the running kernel, whose image kdump loads on a restart.",
        ],
        exit: &[("0", "Always, unless the arguments are wrong."), USAGE],
        json: None,
        examples: &[Example {
            text: "What the hooks run:",
            lines: &["imactl kernel-hook remove 6.12.0"],
        }],
    },
    PageText {
        name: "imactl-restore",
        description: &[
            "Re-applies security.ima where it was lost (a backup restored without xattrs, a copy with cp or install, rpm-plugin-ima missing when the package was installed, a filesystem that dropped it) from where it was recorded: the rpm database (rpm -q --qf with FILENAMES, FILESIGNATURES, FILEDIGESTALGO, FILEDIGESTS and FILEFLAGS; --root DIR is passed to rpm), a package file (--package), or the .sig files written at build time (--sigfiles, as evmctl ima_sign --sigfile and the %imaevm_sign macro leave them).",
            "It never writes a value onto a file whose content is not the recorded one. Before writing, the file's digest must equal the package's FILEDIGESTS (with its algorithm), and the value itself must verify over the file's current content: a signature with a certificate in /etc/keys/ima below the root or, when the root is /, a key in the IMA keyring; a hash value by comparison. A changed file, or a signature no key can check, is refused and reported, and nothing is written. After writing, the value is read back and checked again, and removed when it does not verify. Directories and symbolic links are passed over, %config files are skipped unless --config, and a filesystem without extended attributes is named (type and mount point) instead of being skipped silently. Fedora's ima-add-sigs writes the values with setfattr without checking the content first.",
            "With --resign-with KEY, a file whose recorded value cannot be used (the package signed none, or its signature is from a key none of the trusted keys is) is signed with KEY instead, but only when its content is the package's (FILEDIGESTS): a changed file is never signed. The new value must verify with the trusted keys (put the key's certificate in /etc/keys/ima), or it is removed again. The key's password or PIN comes from EVMCTL_KEY_PASSWORD or a prompt. Debian packages carry no IMA signatures and are not read.",
        ],
        exit: &[
            ("0", "Every file was restored (or re-signed) or carries its value already (with --dry-run: would be)."),
            ("3", "Nothing refused, but some files were skipped: no value recorded, %config, not there, a filesystem without xattrs."),
            ("1", "A file was refused (its content is not the recorded one, or the value does not verify) or an error occurred, or rpm failed, or the --resign-with key is read but cannot be used (not a private key, malformed, a wrong password; a token's refusal)."),
            USAGE,
        ],
        json: Some("With --json: {\"dry_run\", \"files\": [{\"path\", \"action\" (restored, resigned, present, skipped, not-a-file, refused, error), \"reason\", \"origin\" (the package's NEVRA or the .sig file)}], \"summary\": {\"restored\", \"resigned\", \"present\", \"skipped\", \"refused\", \"errors\"}}; when rpm cannot be asked, the error object with code source; a --package file or a --resign-with key file that cannot be read, the error object with code unreadable; a --resign-with key that is read but cannot be used, bad-key; a --hash that names no digest algorithm, bad-hash."),
        examples: &[
            Example {
                text: "See what would be restored from the rpm database, then do it:",
                lines: &["imactl restore --dry-run", "imactl restore"],
            },
            Example {
                text: "One package, from its package file, in another root:",
                lines: &["imactl restore --root /mnt/sysimage --package /var/cache/dnf/kernel-core-6.12.0.rpm"],
            },
            Example {
                text: "From the .sig files next to the files:",
                lines: &["imactl restore --sigfiles /usr/sbin/kexec"],
            },
            Example {
                text: "Sign with the local key what the packages signed with a key not trusted here, when the content is the package's:",
                lines: &["imactl restore --resign-with /var/lib/dkms/mok.key kexec-tools"],
            },
        ],
    },
];

/// The page of `name`, if written.
pub fn page(name: &str) -> Option<&'static PageText> {
    PAGES.iter().find(|p| p.name == name)
}

/// Every example of every page (tests/docs_drift.rs parses them).
#[allow(dead_code)] // only the drift test uses it
pub fn all_examples() -> impl Iterator<Item = &'static Example> {
    PAGES.iter().flat_map(|p| p.examples.iter())
}

/// imaevm-rpm-macros(7): (title, paragraphs) sections.
pub const MACROS_PAGE: &[(&str, &[&str])] = &[
    ("DESCRIPTION", &[
        "The imaevm package installs RPM macros (/usr/lib/rpm/macros.d/macros.imaevm) for packagers who ship files with IMA signatures: the files are signed when the package is built, into detached FILE.sig files that the package ships, and %post writes each signature into the installed file's security.ima, where IMA appraisal (for example of a kexec kernel) finds it.",
        "%imaevm_sign [-k KEY] [-a ALGO] [-c CERT] [-P PASSFILE] PATH... signs %{buildroot}PATH into %{buildroot}PATH.sig with evmctl ima_sign -n --sigfile (no xattr is set on the build host) and fails the build on the first file that cannot be signed. -P gives a file whose first line is the key's password, passed through EVMCTL_KEY_PASSWORD, never on a command line; without it an encrypted key fails the build (standard input is /dev/null).",
        "%imaevm_setxattr [-i] PATH... runs evmctl ima_setxattr --sigfile PATH.sig PATH for each PATH, in %post. It never prompts and never reads standard input, is idempotent, and stops at the first failure with exit status 125 after one line; -i (--ignore-unsupported) turns a filesystem without xattrs (EOPNOTSUPP) or a missing CAP_SYS_ADMIN (EPERM) into a warning and exit status 0.",
        "%imaevm_sigfiles PATH... expands to one PATH.sig line per PATH, for %files. %imaevm_signing_key is the default key (/etc/keys/privkey_evm.pem). Each macro called without a PATH stops rpmbuild with an error.",
        "Sign after the brp scripts (they strip ELF files and compress man pages; a file changed after signing no longer matches): append %imaevm_sign to __spec_install_post, after the Name, Version and Release tags.",
    ]),
    ("THIS FLOW OR RPMSIGN --SIGNFILES", &[
        "Distributions have their own mechanism: rpmsign --addsign --signfiles signs every file of a package when the package is signed, after the build, with the distribution's key, and stores the signatures in the package header; rpm-plugin-ima writes each into security.ima as rpm installs the file. Use it when packages are signed with rpmsign anyway and every target has rpm-plugin-ima: no scriptlet, no .sig files, every file signed.",
        "Use these macros when targets have no rpm-plugin-ima or install with plugins disabled, when only a few files need a signature, or when you do not control the package signing step. Either way a build root never holds the signing key: the .sig files come from a signing step outside the build (a signing server, or an offline machine running evmctl ima_sign -n --sigfile), run for one build with a key passed in (-k, -P) or shipped as sources.",
    ]),
    ("EXIT STATUS", &[
        "rpmbuild fails when %imaevm_sign cannot sign a file or a macro has no PATH. A failing %imaevm_setxattr makes the %post fail with evmctl's exit status (125); rpm reports \"%post(NAME) scriptlet failed, exit status 125\" and the files stay installed, unsigned.",
    ]),
];

/// The examples of imaevm-rpm-macros(7).
pub const MACROS_EXAMPLES: &[Example] = &[Example {
    text: "A spec that ships a signed helper:",
    lines: &[
        "%global ima_signed /usr/sbin/kexec",
        "%global __spec_install_post %{__spec_install_post}\\",
        "%imaevm_sign -P %{ima_passfile} %{ima_signed}",
        "%post",
        "%imaevm_setxattr -i %{ima_signed}",
        "%files",
        "%{ima_signed}",
        "%imaevm_sigfiles %{ima_signed}",
    ],
}];
