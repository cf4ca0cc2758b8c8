//! Checks on a record's template data (docs/formats.md "IMA measurement list"): every
//! template but the legacy `ima` is a sequence of `u32 length || bytes` fields, and the
//! templates the kernel defines have a fixed number of fields. Data that the kernel could
//! not have written is an error naming the record, never skipped.

use crate::format::ImaValue;

/// The fields of the templates the kernel defines (security/integrity/ima/ima_template.c).
fn field_count(template: &str) -> Option<usize> {
    Some(match template {
        "ima-ng" | "ima-ngv2" => 2,
        "ima-sig" | "ima-sigv2" | "ima-buf" => 3,
        "ima-modsig" => 5,
        "evm-sig" => 9,
        _ => return None,
    })
}

/// Whether field `i` of `template` holds a signature value (`security.ima` bytes).
fn is_signature_field(template: &str, i: usize) -> bool {
    matches!(
        (template, i),
        ("ima-sig" | "ima-sigv2" | "ima-modsig", 2) | ("evm-sig", 2)
    )
}

/// Splits ima-ng style template data into fields; a length past the end is an error.
pub fn split_fields(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let n = out.len() + 1;
        let Some(len) = rest.get(..4) else {
            return Err(format!(
                "field {n}: {} bytes left, too few for a length",
                rest.len()
            ));
        };
        let len = u32::from_ne_bytes(len.try_into().unwrap()) as usize;
        let Some(body) = rest.get(4..).and_then(|r| r.get(..len)) else {
            return Err(format!(
                "field {n}: length {len} runs past the record ({} bytes left)",
                rest.len() - 4
            ));
        };
        out.push(body);
        rest = &rest[4 + len..];
    }
    Ok(out)
}

/// Checks one record's template name and data.
pub fn check(template: &str, data: &[u8]) -> Result<(), String> {
    if template.is_empty() {
        return Err("empty template name".into());
    }
    if template == "ima" {
        return Ok(());
    }
    if data.is_empty() {
        return Err(format!("template {template}: no template data"));
    }
    let fields = split_fields(data).map_err(|e| format!("template {template}: {e}"))?;
    if let Some(want) = field_count(template) {
        if fields.len() != want {
            return Err(format!(
                "template {template}: {} fields, the template has {want}",
                fields.len()
            ));
        }
    }
    for (i, f) in fields.iter().enumerate() {
        // An empty signature field means the file had no signature.
        if is_signature_field(template, i) && !f.is_empty() {
            check_signature(template, f)?;
        }
    }
    Ok(())
}

/// A signature field must hold exactly one well-formed signature value.
fn check_signature(template: &str, f: &[u8]) -> Result<(), String> {
    // ima-modsig and evm-sig fields may hold other xattr types; only type 0x03 has a
    // length that can disagree with its field.
    if f[0] != 0x03 {
        return Ok(());
    }
    ImaValue::parse(f)
        .map(|_| ())
        .map_err(|e| format!("template {template}: signature field: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(out: &mut Vec<u8>, f: &[u8]) {
        out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
        out.extend_from_slice(f);
    }

    fn ng() -> Vec<u8> {
        let mut d = Vec::new();
        let mut dng = b"sha256:\0".to_vec();
        dng.extend([7u8; 32]);
        field(&mut d, &dng);
        field(&mut d, b"/bin/true\0");
        d
    }

    #[test]
    fn well_formed_data_passes() {
        assert_eq!(check("ima-ng", &ng()), Ok(()));
        let mut sig = ng();
        field(&mut sig, b"");
        assert_eq!(check("ima-sig", &sig), Ok(()));
        // Unknown templates: any number of well-formed fields.
        assert_eq!(check("custom", &ng()), Ok(()));
    }

    #[test]
    fn malformed_data_is_refused() {
        assert!(check("", &ng())
            .unwrap_err()
            .contains("empty template name"));
        assert!(check("ima-ng", &[])
            .unwrap_err()
            .contains("no template data"));
        let mut extra = ng();
        field(&mut extra, b"x");
        assert!(check("ima-ng", &extra)
            .unwrap_err()
            .contains("3 fields, the template has 2"));
        let mut past = ng();
        past.extend_from_slice(&100u32.to_ne_bytes());
        past.extend_from_slice(b"short");
        assert!(check("custom", &past)
            .unwrap_err()
            .contains("runs past the record"));
        // A v2 signature whose declared length (0x0100) exceeds its field.
        let mut long_sig = ng();
        let mut s = vec![3, 2, 4, 1, 2, 3, 4, 1, 0];
        s.extend([0u8; 10]);
        field(&mut long_sig, &s);
        assert!(check("ima-sig", &long_sig)
            .unwrap_err()
            .contains("signature field"));
    }
}
