# fish completion for evmctl
# Generated from src/cli/evmctl/opts.rs by `cargo run --example gen-docs`; do not edit.
complete -c evmctl -f
complete -c evmctl -n 'not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -a help -d 'Print the usage of a command.'
complete -c evmctl -n 'not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -a ima_sign -d 'Make file content signature.'
complete -c evmctl -n 'not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -a ima_verify -d 'Verify IMA signature (for debugging).'
complete -c evmctl -n 'not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -a ima_setxattr -d 'Set IMA signature from sigfile'
complete -c evmctl -n 'not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -a ima_hash -d 'Make file content hash.'
complete -c evmctl -n '__fish_seen_subcommand_from help' -a 'help ima_sign ima_verify ima_setxattr ima_hash'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign ima_verify ima_setxattr ima_hash' -F
complete -c evmctl -n '__fish_seen_subcommand_from ima_hash ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s a -l hashalgo -x -a 'md4 md5 sha1 rmd160 sha256 sha384 sha512 sha224 sm3 streebog256 streebog512' -d 'hash algorithm: md4, md5, sha1, sha224, sha256, sha384, sha512, rmd160, sm3, streebog256, streebog512'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign ima_verify ima_setxattr; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s f -l sigfile -d 'ima_sign: also write the value to FILE.sig'
complete -c evmctl -n '__fish_seen_subcommand_from ima_hash ima_sign ima_verify ima_setxattr; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -l xattr-user -d 'use user.ima instead of security.ima'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign ima_verify; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s k -l key -r -F -d 'signing: private key file'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -l keyid -x -d 'write this 32-bit keyid'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -l keyid-from-cert -r -F -d 'take the keyid from the Subject Key Identifier of this certificate'
complete -c evmctl -n '__fish_seen_subcommand_from ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s p -l pass -d 'password of an encrypted private key'
complete -c evmctl -n '__fish_seen_subcommand_from ima_hash ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s r -l recursive -d 'walk directories: every regular file, symbolic links never followed'
complete -c evmctl -n '__fish_seen_subcommand_from ima_hash ima_sign; or not __fish_seen_subcommand_from help ima_sign ima_verify ima_setxattr ima_hash' -s n -d 'print the value on standard output instead of setting the xattr'
complete -c evmctl -s v -d 'increase verbosity'
complete -c evmctl -s h -l help -d 'print usage and exit'
complete -c evmctl -l version -d 'print the version and exit'
