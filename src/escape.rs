//! Text from untrusted data (file names in a measurement list, key descriptions, policy
//! text) made safe to print on a terminal: control characters and invisible characters are
//! written as escapes, so that nothing can move the cursor, change colours or hide itself.

use std::borrow::Cow;
use std::fmt::Write;

/// The name of an invisible or control character, or `None` for a visible one.
pub fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "a NUL byte",
        '\t' => "a tab",
        '\n' => "a line feed",
        '\r' => "a carriage return",
        '\x1b' => "an escape character",
        '\u{7f}' => "a DEL character",
        '\u{feff}' => "a byte order mark (U+FEFF)",
        '\u{200b}' => "a zero-width space (U+200B)",
        '\u{200c}' | '\u{200d}' => "a zero-width joiner (U+200C/U+200D)",
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            "a text direction mark"
        }
        '\u{2060}'..='\u{2064}' => "an invisible operator (U+2060-U+2064)",
        '\u{a0}' => "a no-break space (U+00A0)",
        '\u{ad}' => "a soft hyphen (U+00AD)",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}

/// `s` with every character [`invisible_name`] knows written as `\xNN` (ASCII) or
/// `\u{NNNN}`; when anything is escaped, backslashes are doubled too, so that the result
/// reads back unambiguously. Text with nothing to escape is returned as it is.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| invisible_name(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if invisible_name(c).is_some() {
            if (c as u32) < 0x80 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes that may not be UTF-8, escaped like [`terminal`]; an invalid byte is `\xNN`.
pub fn terminal_bytes(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.utf8_chunks() {
        out.push_str(&terminal(chunk.valid()));
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out
}

/// Multi-line text (a policy) escaped line by line: the line feeds stay.
pub fn terminal_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&terminal(line));
    }
    out
}

/// "holds a NUL byte, a byte order mark (U+FEFF)": the invisible characters of `s`, for
/// a diagnostic about a token that looks right but is not.
pub fn describe_invisible(s: &str) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    for c in s.chars() {
        if let Some(n) = invisible_name(c) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    (!names.is_empty()).then(|| format!("holds {}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_is_unchanged() {
        assert!(matches!(terminal("/usr/bin/ls é"), Cow::Borrowed(_)));
        assert!(matches!(terminal("a\\b"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_and_invisibles_are_escaped() {
        assert_eq!(terminal("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(terminal("\u{feff}BPRM_CHECK"), "\\u{feff}BPRM_CHECK");
        assert_eq!(terminal("x\0y\\"), "x\\x00y\\\\");
        assert_eq!(terminal("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(terminal_bytes(b"a\xffb\n"), "a\\xffb\\x0a");
        assert_eq!(terminal_lines("a\x07\nb"), "a\\x07\nb");
    }

    #[test]
    fn invisible_characters_are_named() {
        assert_eq!(
            describe_invisible("\u{feff}FILE\0").unwrap(),
            "holds a byte order mark (U+FEFF), a NUL byte"
        );
        assert_eq!(describe_invisible("FILE_CHECK"), None);
    }
}
