# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_imactl_global_optspecs
    string join \n h/help V/version
end

function __fish_imactl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_imactl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_imactl_using_subcommand
    set -l cmd (__fish_imactl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c imactl -n "__fish_imactl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_needs_command" -s V -l version -d 'Print version'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "policy" -d 'Check, load and show IMA policies'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "key" -d 'Manage the keys in the keyring IMA (or EVM) uses'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "verify" -d 'Ask the kernel whether files\' IMA signatures verify with the keys it holds'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "status" -d 'Tell whether kexec is protected on this machine, and if not, why not'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "boot" -d 'The boot step: import the IMA certificates, then load the IMA policy'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "modsig" -d 'Appended signatures for kernel images and initramfs (the kernel module format)'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "kernel-hook" -d 'Kernel updates: keep the image kexec and kdump load signed (kernel-install and Debian hooks)'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "restore" -d 'Re-apply security.ima from the rpm database, a package file or .sig files'
complete -c imactl -n "__fish_imactl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and not __fish_seen_subcommand_from check load show help" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and not __fish_seen_subcommand_from check load show help" -f -a "check" -d 'Check policy files against a kernel\'s rules; report every error and warning'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and not __fish_seen_subcommand_from check load show help" -f -a "load" -d 'Check a policy file, then write it to the kernel, one rule per write()'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and not __fish_seen_subcommand_from check load show help" -f -a "show" -d 'Print the policy the kernel has loaded, when the kernel allows reading it'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and not __fish_seen_subcommand_from check load show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from check" -l kernel -d 'Kernel to check for: 6.1, 6.12, 7.2 or any release from 6.1 on (default: the running kernel, from uname)' -r -f -a "6.1\t''
6.12\t''
7.2\t''"
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from check" -l json -d 'Print the findings as one JSON object'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from check" -l strict -d 'Fail (exit 1) on warnings too'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l securityfs -d 'Where securityfs is mounted (default /sys/kernel/security, mounted if needed)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l kernel -d 'Kernel to check for before loading (default: the running kernel)' -r -f -a "6.1\t''
6.12\t''
7.2\t''"
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l root -d 'Read /proc (the running programs, the kernel command line) and /sys (Secure Boot) under DIR instead of / (for tests)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l dry-run -d 'Print exactly the writes that would be made, and write nothing'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l by-path -d 'Write the file\'s absolute path so that the kernel reads and appraises the file itself (needed when an `appraise func=POLICY_CHECK` rule is in force; the file must be signed)'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -l force -d 'Load even when programs this system is running now would be refused by the new policy (the finding is still printed, as a warning)'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from show" -l securityfs -d 'Where securityfs is mounted (default /sys/kernel/security, mounted if needed)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON object: {version, command, policy_file, rules, demands_signed_policies} or {version, command, error}'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check policy files against a kernel\'s rules; report every error and warning'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "load" -d 'Check a policy file, then write it to the kernel, one rule per write()'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the policy the kernel has loaded, when the kernel allows reading it'
complete -c imactl -n "__fish_imactl_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "import" -d 'Add X.509 certificates (PEM or DER) to the IMA keyring. Prints, per certificate, the new key\'s serial and the keyid IMA will match (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "list" -d 'List the keys in the keyring: serial, IMA keyid, algorithm and size, description'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "remove" -d 'Remove a key from the keyring, by serial or by IMA keyid (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "ca" -d 'Make a local CA for IMA keys'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "new" -d 'Make an IMA signing key issued by a local CA'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "show" -d 'Show certificates and what the kernel will think of them'
complete -c imactl -n "__fish_imactl_using_subcommand key; and not __fish_seen_subcommand_from import list remove ca new show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from import" -l keyring -d 'ima, evm or platform (the keyring the kernel uses: .ima if the kernel made it, otherwise _ima in the user keyring), a serial (decimal, 0x-hex, @s, @u...), or a keyring name (_ima, .ima, %keyring:NAME)' -r -f -a "ima\t''
evm\t''
platform\t''
_ima\t''
.ima\t''
_evm\t''
.evm\t''
@u\t''
@s\t''"
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from list" -l keyring -d 'ima, evm or platform (the keyring the kernel uses: .ima if the kernel made it, otherwise _ima in the user keyring), a serial (decimal, 0x-hex, @s, @u...), or a keyring name (_ima, .ima, %keyring:NAME)' -r -f -a "ima\t''
evm\t''
platform\t''
_ima\t''
.ima\t''
_evm\t''
.evm\t''
@u\t''
@s\t''"
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from list" -l json -d 'Print JSON: {"keyring": {...}, "keys": [{serial, type, description, keyid, algorithm, bits}]}'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from remove" -l keyring -d 'ima, evm or platform (the keyring the kernel uses: .ima if the kernel made it, otherwise _ima in the user keyring), a serial (decimal, 0x-hex, @s, @u...), or a keyring name (_ima, .ima, %keyring:NAME)' -r -f -a "ima\t''
evm\t''
platform\t''
_ima\t''
.ima\t''
_evm\t''
.evm\t''
@u\t''
@s\t''"
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l type -d 'Key type: rsa2048, rsa3072, rsa4096, p256 or p384 (ECDSA keys need a kernel with CONFIG_CRYPTO_ECDSA; Debian\'s 6.1 has none)' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l subject -d 'The certificate\'s subject, an RFC 4514 name (default: CN=IMA local CA for a CA, CN=IMA signing key for a signing key)' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l days -d 'Days of validity (default: 3650 for a CA, 1095 for a signing key). The kernel itself ignores certificate dates' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l out -d 'The directory to write to (made, mode 0700, when missing). Existing files are never overwritten' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l name -d 'Base name of the files: NAME.key (private key, PKCS#8 PEM, mode 0600), NAME.pem and NAME.der (the certificate). Default: ca for a CA, ima for a signing key' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -l encrypt -d 'Encrypt the private key with a password asked twice on the terminal (unless the password\'s environment variable is set: then the key is encrypted with it anyway)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from ca" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l ca-cert -d 'The CA certificate (PEM or DER) made by `imactl key ca`' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l ca-key -d 'The CA private key: a file (encrypted: its password is read from IMACTL_CA_KEY_PASSWORD or asked on the terminal), or a pkcs11: URI (the PIN the same way; the module from the URI, EVMCTL_PKCS11_MODULE or p11-kit\'s proxy)' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l type -d 'Key type: rsa2048, rsa3072, rsa4096, p256 or p384 (ECDSA keys need a kernel with CONFIG_CRYPTO_ECDSA; Debian\'s 6.1 has none)' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l subject -d 'The certificate\'s subject, an RFC 4514 name (default: CN=IMA local CA for a CA, CN=IMA signing key for a signing key)' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l days -d 'Days of validity (default: 3650 for a CA, 1095 for a signing key). The kernel itself ignores certificate dates' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l out -d 'The directory to write to (made, mode 0700, when missing). Existing files are never overwritten' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l name -d 'Base name of the files: NAME.key (private key, PKCS#8 PEM, mode 0600), NAME.pem and NAME.der (the certificate). Default: ca for a CA, ima for a signing key' -r
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -l encrypt -d 'Encrypt the private key with a password asked twice on the terminal (unless the password\'s environment variable is set: then the key is encrypted with it anyway)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON object: {version, command, certificates: [{path, subject, issuer, serial, not_before, not_after, algorithm, bits, skid, akid, ima_keyid, basic_constraints, key_usage, extended_key_usage, is_ca, self_signed, expired, ima_acceptable, machine_acceptable, machine_acceptable_max, findings}], errors: [{path, error: {code, message}}]}; the code is unreadable for a file that cannot be read, not-a-certificate for one read that is not a certificate'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "import" -d 'Add X.509 certificates (PEM or DER) to the IMA keyring. Prints, per certificate, the new key\'s serial and the keyid IMA will match (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the keys in the keyring: serial, IMA keyid, algorithm and size, description'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a key from the keyring, by serial or by IMA keyid (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "ca" -d 'Make a local CA for IMA keys'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "new" -d 'Make an IMA signing key issued by a local CA'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show certificates and what the kernel will think of them'
complete -c imactl -n "__fish_imactl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand verify" -l root -d 'With --packages: the system below DIR (rpm --root DIR; its etc/keys/ima)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand verify" -l keyring -d 'ima, evm or platform (the keyring the kernel uses: .ima if the kernel made it, otherwise _ima in the user keyring), a serial (decimal, 0x-hex, @s, @u...), or a keyring name (_ima, .ima, %keyring:NAME)' -r -f -a "ima\t''
evm\t''
platform\t''
_ima\t''
.ima\t''
_evm\t''
.evm\t''
@u\t''
@s\t''"
complete -c imactl -n "__fish_imactl_using_subcommand verify" -l packages -d 'An rpm -V for IMA: check every file of the installed packages named (all when none) against the package\'s signature (FILESIGNATURES), with the certificates in /etc/keys/ima and the IMA keyring. Exit status 1 when a file is missing its value, carries another one, or its signature is bad or from an unknown key'
complete -c imactl -n "__fish_imactl_using_subcommand verify" -l sigfile -d 'Read the signature from FILE.sig instead of security.ima'
complete -c imactl -n "__fish_imactl_using_subcommand verify" -l json -d 'Print JSON: {"keyring": {...}, "files": [{file, ok, verdict, reason, keyid, key_serial, hash}]}'
complete -c imactl -n "__fish_imactl_using_subcommand verify" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand status" -l root -d 'Read /proc, /sys, /boot and /etc under DIR instead of / (for tests)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand status" -l kexec -d 'Preflight one kexec image instead: predict whether kexec_file_load would take it here. Prints exactly one line starting with "prediction: " followed by load, refuse or unknown, then optionally " (reason)". Exit status 0 for load, 1 for refuse or unknown (or a --cert that is not a certificate), 2 for bad arguments or a file that cannot be read (named)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand status" -l initrd -d 'With --kexec: the initramfs to load with it (appraised at KEXEC_INITRAMFS_CHECK)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand status" -l cert -d 'With --kexec: a certificate whose key is in .ima, to check IMA signatures with (repeatable). Without it, on the live system, the kernel is asked to check them with the keys in the IMA keyring (KEYCTL_PKEY_VERIFY); the kernel-made .ima grants userspace only "view" of its keys, so there a signature is not checked and the prediction is unknown: give the certificates' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand status" -l json -d 'Print JSON: {release, checks: [{name, state, detail}], keyrings: [{name, serial, keys, members, role}], verdict, reasons, first_step}'
complete -c imactl -n "__fish_imactl_using_subcommand status" -l kernels -d 'List every installed kernel (the versions in /boot and /lib/modules; the image kdump would load for each, found as `imactl kernel-hook` finds it) and predict, with the running kernel\'s gates, whether kexec and kdump could load each today: one line "kernel VERSION IMAGE: load|refuse|unknown (reason)" per kernel. Exit status 0 when every one loads, 1 otherwise (or when none is found, or a --cert is not a certificate), 2 for bad arguments or a --cert that cannot be read'
complete -c imactl -n "__fish_imactl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l keys-dir -d 'Directory of certificates (PEM or DER) for the IMA keyring: every regular file in it whose name does not start with \'.\'' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l kernel-cert -d 'A further certificate, imported when it exists' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l policy -d 'The IMA policy file to load (not `-`: the boot step reads it at every boot)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l kernel -d 'Kernel to check the policy for (default: the running kernel)' -r -f -a "6.1\t''
6.12\t''
7.2\t''"
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l securityfs -d 'Where securityfs is mounted (default /sys/kernel/security, mounted if needed)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l state-dir -d 'Where the record of a load is kept for the rest of the boot' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l root -d 'Read /proc (the running programs, the kernel command line) and /sys (Secure Boot) under DIR instead of / for the lockout check (for tests)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l by-path -d 'Write the policy\'s path instead of its rules: the kernel reads and appraises the file (needed when the policy must be signed; chosen automatically when the loaded policy appraises POLICY_CHECK)'
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l force -d 'Load the policy even when programs this system runs now would be refused under it (the lockout check of `imactl policy load`; the finding is still reported, as a warning). Without it such a policy is not loaded while IMA appraisal enforces'
complete -c imactl -n "__fish_imactl_using_subcommand boot" -l json -d 'Print one JSON object: {version, command, keyring, keys, policy, verdict}; the policy object has a "lockout" object when the lockout check ran'
complete -c imactl -n "__fish_imactl_using_subcommand boot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and not __fish_seen_subcommand_from sign verify remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and not __fish_seen_subcommand_from sign verify remove help" -f -a "sign" -d 'Append a signature (PKCS#7, detached, no attributes, module_signature trailer)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and not __fish_seen_subcommand_from sign verify remove help" -f -a "verify" -d 'Check a file\'s appended signature against certificates (exit 0 valid, 1 not)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and not __fish_seen_subcommand_from sign verify remove help" -f -a "remove" -d 'Remove the appended signature (an error when there is none)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and not __fish_seen_subcommand_from sign verify remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from sign" -l key -d 'Private key: a PEM/DER file or a pkcs11: URI' -r
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from sign" -l cert -d 'The key\'s X.509 certificate (it names the signer; the kernel needs it in .ima); - reads it from standard input' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from sign" -l hash -d 'Digest algorithm: sha1, sha224, sha256, sha384 or sha512' -r
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from sign" -l out -d 'Write the signed file here instead of replacing FILE' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from verify" -l cert -d 'Certificates that may have signed (repeat the option or separate with commas); - reads one from standard input' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from remove" -l out -d 'Write the unsigned file here instead of replacing FILE' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Append a signature (PKCS#7, detached, no attributes, module_signature trailer)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a file\'s appended signature against certificates (exit 0 valid, 1 not)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove the appended signature (an error when there is none)'
complete -c imactl -n "__fish_imactl_using_subcommand modsig; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and not __fish_seen_subcommand_from add remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and not __fish_seen_subcommand_from add remove help" -f -a "add" -d 'After a kernel is installed: leave the image kexec and kdump load signed, or say why not'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and not __fish_seen_subcommand_from add remove help" -f -a "remove" -d 'After a kernel is removed: nothing to undo (no record is kept); warns when it is the running kernel. Exit status 0'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and not __fish_seen_subcommand_from add remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from add" -l entry-dir -d 'kernel-install\'s ENTRY_DIR ($BOOT/ENTRY-TOKEN/VERSION): its linux is a candidate' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from add" -l root -d 'Work on the system below DIR (paths in the configuration and arguments are taken below it; the kernel\'s IMA keyring is consulted only when DIR is /)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from add" -l config -d 'The configuration file (default: etc/imaevm/kernel-hook.conf below the root, which may be absent). A FILE named here must be there and parse: one that cannot be read is exit status 2, one that does not parse 1, and nothing is done' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from add" -l strict -d 'Exit 1 when the image is left without a valid signature (as strict = yes)'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from remove" -l root -d 'Work on the system below DIR' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from help" -f -a "add" -d 'After a kernel is installed: leave the image kexec and kdump load signed, or say why not'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from help" -f -a "remove" -d 'After a kernel is removed: nothing to undo (no record is kept); warns when it is the running kernel. Exit status 0'
complete -c imactl -n "__fish_imactl_using_subcommand kernel-hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l package -d 'Read the values from this package file instead of the rpm database' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l root -d 'Work on the system below DIR (rpm --root DIR; paths are taken below it)' -r -F
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l resign-with -d 'Sign with KEY (a file or a pkcs11: URI; password or PIN from EVMCTL_KEY_PASSWORD or a prompt) the files whose recorded value cannot be applied (none recorded, or not verifiable with the trusted keys) when their content is the package\'s (FILEDIGESTS). The key\'s certificate must be in /etc/keys/ima: the new value is checked with it' -r
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l hash -d 'The digest algorithm for --resign-with' -r
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l sigfiles -d 'The NAMEs are files; each one\'s value is in FILE.sig (what evmctl --sigfile writes)'
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l dry-run -d 'Say what would be done; change nothing'
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l config -d 'Include %config files'
complete -c imactl -n "__fish_imactl_using_subcommand restore" -l json -d 'Print JSON: {"files": [{"path", "action", "reason", "origin"}], "summary": {...}}'
complete -c imactl -n "__fish_imactl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "policy" -d 'Check, load and show IMA policies'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "key" -d 'Manage the keys in the keyring IMA (or EVM) uses'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "verify" -d 'Ask the kernel whether files\' IMA signatures verify with the keys it holds'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "status" -d 'Tell whether kexec is protected on this machine, and if not, why not'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "boot" -d 'The boot step: import the IMA certificates, then load the IMA policy'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "modsig" -d 'Appended signatures for kernel images and initramfs (the kernel module format)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "kernel-hook" -d 'Kernel updates: keep the image kexec and kdump load signed (kernel-install and Debian hooks)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "restore" -d 'Re-apply security.ima from the rpm database, a package file or .sig files'
complete -c imactl -n "__fish_imactl_using_subcommand help; and not __fish_seen_subcommand_from policy key verify status boot modsig kernel-hook restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "check" -d 'Check policy files against a kernel\'s rules; report every error and warning'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "load" -d 'Check a policy file, then write it to the kernel, one rule per write()'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "show" -d 'Print the policy the kernel has loaded, when the kernel allows reading it'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "import" -d 'Add X.509 certificates (PEM or DER) to the IMA keyring. Prints, per certificate, the new key\'s serial and the keyid IMA will match (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "list" -d 'List the keys in the keyring: serial, IMA keyid, algorithm and size, description'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "remove" -d 'Remove a key from the keyring, by serial or by IMA keyid (id:xxxxxxxx)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "ca" -d 'Make a local CA for IMA keys'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "new" -d 'Make an IMA signing key issued by a local CA'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "show" -d 'Show certificates and what the kernel will think of them'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from modsig" -f -a "sign" -d 'Append a signature (PKCS#7, detached, no attributes, module_signature trailer)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from modsig" -f -a "verify" -d 'Check a file\'s appended signature against certificates (exit 0 valid, 1 not)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from modsig" -f -a "remove" -d 'Remove the appended signature (an error when there is none)'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from kernel-hook" -f -a "add" -d 'After a kernel is installed: leave the image kexec and kdump load signed, or say why not'
complete -c imactl -n "__fish_imactl_using_subcommand help; and __fish_seen_subcommand_from kernel-hook" -f -a "remove" -d 'After a kernel is removed: nothing to undo (no record is kept); warns when it is the running kernel. Exit status 0'
