# bash completion for evmctl
# Generated from src/cli/evmctl/opts.rs by `cargo run --example gen-docs`; do not edit.
_evmctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i w opts
    if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD-1]}; fi
    # --opt=value: bash splits at '=' (COMP_WORDBREAKS)
    if [[ $cur == = ]]; then prev=${COMP_WORDS[COMP_CWORD-1]}; cur=;
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi
    # The command: the first word that is neither an option nor its value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -a|--hashalgo|-k|--key|--keyid|--keyid-from-cert|--engine|--provider|--hmackey|--inode|--uid|--gid|--mode|--generation|--ima|--selinux|--pcrs|-t|--type) ((i++)) ;;
            -*) ;;
            *) cmd=$w; break ;;
        esac
    done
    case $prev in
        -a|--hashalgo) COMPREPLY=($(compgen -W "md4 md5 sha1 rmd160 sha256 sha384 sha512 sha224 sm3 streebog256 streebog512 md_gost12_256 md_gost12_512" -- "$cur")); return ;;
        -k|--key|--keyid-from-cert|--hmackey|--pcrs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --keyid|--engine|--provider|--inode|--uid|--gid|--mode|--generation|--ima|--selinux|-t|--type) COMPREPLY=(); return ;;
    esac
    if [[ $cur == -* ]]; then
        case $cmd in
            help) opts="-v -h --help --version" ;;
            convert) opts="-1 --rsa -v -h --help --version" ;;
            import) opts="-1 --rsa -v -h --help --version" ;;
            sign) opts="-a --hashalgo -k --key --keyid --keyid-from-cert -p --pass --engine --provider -s --imasig -d --imahash -o --portable -i -u --uuid --smack --m32 --m64 --inode --uid --gid --mode --generation --ima --selinux --caps -1 --rsa -r --recursive -n -v -h --help --version" ;;
            verify) opts="-k --key -u --uuid --smack --m32 --m64 --inode --uid --gid --mode --generation --ima --selinux --caps -1 --rsa -v -h --help --version" ;;
            ima_measurement) opts="-k --key --ignore-violations --verify-sig --pcrs --verify-bank -v -h --help --version" ;;
            ima_boot_aggregate) opts="--pcrs --hwtpm -v -h --help --version" ;;
            ima_sign) opts="-a --hashalgo -f --sigfile --xattr-user -k --key --keyid --keyid-from-cert -p --pass --engine --provider -1 --rsa -r --recursive -n -v -h --help --version" ;;
            ima_verify) opts="-f --sigfile --xattr-user -k --key -1 --rsa -v -h --help --version" ;;
            ima_setxattr) opts="-f --sigfile --xattr-user --ignore-unsupported -v -h --help --version" ;;
            ima_clear) opts="--xattr-user -t --type -r --recursive -v -h --help --version" ;;
            ima_fix) opts="-t --type -r --recursive -v -h --help --version" ;;
            sign_hash) opts="-a --hashalgo -k --key --keyid --keyid-from-cert -p --pass --engine --provider --veritysig -v -h --help --version" ;;
            ima_hash) opts="-a --hashalgo --xattr-user -r --recursive -n -v -h --help --version" ;;
            hmac) opts="--hmackey -v -h --help --version" ;;
            *) opts="-a --hashalgo -f --sigfile --xattr-user -k --key --ignore-unsupported --keyid --keyid-from-cert -p --pass --engine --provider -s --imasig -d --imahash -o --portable -i --hmackey -u --uuid --smack --m32 --m64 --inode --uid --gid --mode --generation --ima --selinux --caps --ignore-violations --verify-sig --pcrs --verify-bank --hwtpm --veritysig -1 --rsa -t --type -r --recursive -n -v -h --help --version" ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $cmd in
        '') COMPREPLY=($(compgen -W "help convert import sign verify ima_measurement ima_boot_aggregate ima_sign ima_verify ima_setxattr ima_clear ima_fix sign_hash ima_hash hmac" -- "$cur")) ;;
        help) COMPREPLY=($(compgen -W "help convert import sign verify ima_measurement ima_boot_aggregate ima_sign ima_verify ima_setxattr ima_clear ima_fix sign_hash ima_hash hmac" -- "$cur")) ;;
        *) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _evmctl evmctl
