//! Splitting a file into PEM blocks (a key file may hold a key followed by a certificate).

/// One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block.
pub(crate) struct PemBlock {
    pub label: String,
    /// Whether the block carries RFC 1421 headers (legacy OpenSSL encryption).
    pub has_headers: bool,
    pub der: Result<Vec<u8>, String>,
}

/// Whether `bytes` look like PEM text rather than DER.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block of `text`, in order. Text outside blocks is ignored, as OpenSSL does.
pub(crate) fn blocks(text: &[u8]) -> Vec<PemBlock> {
    let text = String::from_utf8_lossy(text);
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
        let mut body = Vec::new();
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim_end();
            if l == end {
                closed = true;
                break;
            }
            body.push(l.to_string());
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
            let mut pem = format!("-----BEGIN {label}-----\n");
            for l in &body {
                pem.push_str(l);
                pem.push('\n');
            }
            pem.push_str(&end);
            pem.push('\n');
            pem_rfc7468::decode_vec(pem.as_bytes())
                .map(|(_, der)| der)
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
