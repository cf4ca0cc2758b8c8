//! Splitting a file into PEM blocks (a key file may hold a key followed by a certificate).
//! Every intermediate copy (base64 text, decoded DER) is wiped when dropped: these are
//! private keys.

use zeroize::Zeroizing;

/// One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block.
pub(crate) struct PemBlock {
    pub label: String,
    /// Whether the block carries RFC 1421 headers (legacy OpenSSL encryption).
    pub has_headers: bool,
    pub der: Result<Zeroizing<Vec<u8>>, String>,
}

/// Whether `bytes` look like PEM text rather than DER.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block of `text`, in order. Text outside blocks is ignored, as OpenSSL does.
pub(crate) fn blocks(text: &[u8]) -> Vec<PemBlock> {
    // Borrowed when the file is valid UTF-8 (PEM always is); a lossy copy is wiped.
    let owned: Zeroizing<String>;
    let text: &str = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(_) => {
            owned = Zeroizing::new(String::from_utf8_lossy(text).into_owned());
            &owned
        }
    };
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body: Vec<&str> = Vec::new();
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim_end();
            if l == end {
                closed = true;
                break;
            }
            body.push(l);
        }
        let has_headers = body.iter().any(|l| l.contains(':'));
        let der = if !closed {
            Err(format!(
                "the PEM block '{label}' has no END line (truncated file?)"
            ))
        } else if has_headers {
            Err(format!(
                "the PEM block '{label}' uses legacy OpenSSL encryption headers"
            ))
        } else {
            let mut pem = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
            for l in &body {
                pem.push_str(l);
                pem.push('\n');
            }
            pem.push_str(&end);
            pem.push('\n');
            pem_rfc7468::decode_vec(pem.as_bytes())
                .map(|(_, der)| Zeroizing::new(der))
                .map_err(|e| format!("the PEM block '{label}' is not valid base64 ({e})"))
        };
        out.push(PemBlock {
            label: label.to_string(),
            has_headers,
            der,
        });
    }
    out
}
