#!/usr/bin/env bash
# Writes a few valid inputs per target into fuzz/corpus/<target>/ as starting points for
# the fuzzer (run.sh calls it when a corpus directory is missing). Made with our own evmctl
# and the test keys in tests/data/keys; the minimized corpora committed in fuzz/corpus/
# grew from these.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin evmctl
evmctl=$PWD/target/debug/evmctl
keys=$PWD/tests/data/keys
c=$PWD/fuzz/corpus
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$c"/{ima_value,evm_value,v1_signature,sig_file,private_key,certificate,public_key,policy,measurement_list,event_log,proc_keys,pcrs_file,evmctl_argv,template_data,pkcs11_uri,cert_extensions,modsig_trailer,status_facts}
echo data > "$w/f"
for k in rsa2048.pk8.pem p256.pk8.pem; do
  "$evmctl" ima_sign --sigfile --key "$keys/$k" "$w/f" >/dev/null 2>&1
  cp "$w/f.sig" "$c/ima_value/sig-$k"; cp "$w/f.sig" "$c/sig_file/sig-$k"
  cp "$w/f.sig" "$c/evm_value/sig-$k"
done
printf '\x04\x04%s' "$(head -c 32 /dev/zero | tr '\0' 'a')" > "$c/ima_value/hash-sha256"
printf '\x01%s' "$(head -c 20 /dev/zero | tr '\0' 'b')" > "$c/ima_value/hash-sha1"
tail -c +3 tests/data/v1/data.sha256.sig > "$c/v1_signature/sha256" 2>/dev/null || true
tail -c +3 tests/data/v1/data.sha1.sig > "$c/v1_signature/sha1" 2>/dev/null || true
for f in rsa2048.pk8.pem rsa2048.pk1.pem rsa2048.pk8.der p256.pk8.pem p256.sec1.pem rsa2048.enc.pem rsa2048.key-crt.pem; do
  cp "$keys/$f" "$c/private_key/$f"
done
for f in rsa2048.crt.pem rsa2048.crt.der rsa2048-skid.crt.pem p256.crt.pem p256-noskid.crt.der; do
  cp "$keys/$f" "$c/certificate/$f"
done
# Issue 24: certificates with the extensions key show reads; files with an appended
# signature; pkcs11: URIs of every attribute form.
for f in rsa2048.crt.pem rsa2048-skid.crt.pem p256.crt.pem p256-noskid.crt.der rsa10240.crt.der; do
  cp "$keys/$f" "$c/cert_extensions/$f"
done
cargo build --quiet --bin imactl
printf 'kernel image' > "$w/m"
"$PWD/target/debug/imactl" modsig sign --key "$keys/rsa2048.pk8.pem" --cert "$keys/rsa2048.crt.pem" --out "$c/modsig_trailer/rsa-sha256" "$w/m" >/dev/null
"$PWD/target/debug/imactl" modsig sign --hash sha512 --key "$keys/p256.pk8.pem" --cert "$keys/p256.crt.pem" --out "$c/modsig_trailer/p256-sha512" "$w/m" >/dev/null
printf '%s' 'pkcs11:token=My%20Token;object=ima%3bkey;id=%01%a2;type=private?pin-value=12%2634&module-path=/usr/lib/softhsm/libsofthsm2.so' > "$c/pkcs11_uri/full"
printf '%s' 'pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=1234;token=imaevm;slot-id=7;type=public?pin-source=/run/pin&module-name=softhsm2' > "$c/pkcs11_uri/token-attrs"
printf '%s' 'pkcs11:object=rsa' > "$c/pkcs11_uri/short"
openssl pkey -pubin -in "$keys/rsa2048.pub.pem" -outform DER -out "$c/public_key/rsa2048.der"
openssl x509 -in "$keys/p256.crt.pem" -pubkey -noout | openssl pkey -pubin -outform DER -out "$c/public_key/p256.der"
cp tests/vm/*.policy "$c/policy/"
printf 'measure func=BPRM_CHECK\nappraise func=MODULE_CHECK appraise_type=imasig|modsig\ndont_measure fsmagic=0x9fa0\nmeasure func=KEY_CHECK keyrings=.ima|.evm template=ima-buf\nappraise func=FILE_CHECK fowner>1000 obj_type=foo_t appraise_algos=sha256,sha512\nmeasure func=FILE_CHECK mask=^MAY_READ uid<1000 pcr=11\n' > "$c/policy/mixed"
python3 - "$c" <<'PY'
import hashlib, struct, sys
c = sys.argv[1]
def field(b): return struct.pack("=I", len(b)) + b
def rec(name, data, pcr=10):
    return struct.pack("=I", pcr) + hashlib.sha1(data).digest() + field(name.encode()) + field(data)
def ng(path):
    return field(b"sha256:\0" + hashlib.sha256(path.encode()).digest()) + field(path.encode() + b"\0")
sig = open(f"{c}/ima_value/sig-rsa2048.pk8.pem", "rb").read()
lst = rec("ima-ng", ng("/bin/a")) + rec("ima-sig", ng("/bin/b") + field(sig)) + rec("ima-buf", ng("kexec-cmdline") + field(b"root=/dev/sda"))
open(f"{c}/measurement_list/ng-sig-buf", "wb").write(lst)
legacy = struct.pack("=I", 10) + b"\0" * 20 + field(b"ima") + b"d" * 20 + field(b"boot_aggregate")
open(f"{c}/measurement_list/legacy", "wb").write(legacy)
open(f"{c}/template_data/ng", "wb").write(ng("/bin/a"))
open(f"{c}/template_data/sig", "wb").write(ng("/bin/b") + field(sig))
log = b""
for i in range(4):
    data = b"e" * (i + 1)
    log += struct.pack("=II", i, 7) + hashlib.sha1(data).digest() + struct.pack("=I", len(data)) + data
open(f"{c}/event_log/four", "wb").write(log)
open(f"{c}/pcrs_file/sha1", "w").write("".join(f"PCR-{i:02}: {'ab'*20}\n" for i in range(24)))
open(f"{c}/pcrs_file/sha256-spaced", "w").write("".join(f"PCR-{i:02}: {' '.join(['cd']*32)}\n" for i in range(24)))
open(f"{c}/proc_keys/sample", "w").write(
    "1a2b3c4d I--Q---     1 perm 3f010000     0     0 keyring   _ima: 1\n"
    "0e3f9a10 I------     1 perm 1f030000     0     0 asymmetric imaevm: signing key: 3adff6c6: X509.rsa 3adff6c6 []\n")
argvs = [
    ["ima_sign", "--key", "k.pem", "-a", "sha256", "f"],
    ["ima_verify", "--key", "a.der,b.der", "--sigfile", "f"],
    ["-v", "ima_measurement", "--pcrs", "sha256,p", "--verify-sig", "list"],
    ["sign", "--imasig", "--portable", "--uuid=abc", "-k", "k", "f"],
    ["ima_hash", "-r", "--xattr-user", "dir"],
    ["ima_boot_aggregate", "--pcrs", "sha1,x", "--pcrs", "sha256,y"],
    ["import", "--rsa", "k.pub", "@u"],
]
for i, a in enumerate(argvs):
    open(f"{c}/evmctl_argv/{i}", "wb").write(b"\0".join(x.encode() for x in a))
PY
