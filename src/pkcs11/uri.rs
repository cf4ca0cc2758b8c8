//! PKCS#11 URIs (RFC 7512): which token and which object a `pkcs11:` key reference names.
//!
//! Path attributes (before `?`, separated by `;`) select the token and the object; query
//! attributes (after `?`, separated by `&`) carry the PIN and the module. Values are
//! percent-decoded; `id` is binary, every other value is text.

use std::fmt;
use std::path::PathBuf;

/// The scheme prefix of a PKCS#11 URI.
pub const SCHEME: &str = "pkcs11:";

/// True when `s` is a PKCS#11 URI rather than a file name.
pub fn is_pkcs11_uri(s: &str) -> bool {
    // Compared as bytes: a non-ASCII character across byte 7 ("pkcs11Ƌ...") is not a
    // char boundary to slice at (found by the pkcs11_uri fuzz target).
    s.as_bytes()
        .get(..SCHEME.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(SCHEME.as_bytes()))
}

/// The object class a URI's `type` attribute names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectType {
    Private,
    Public,
    Cert,
    SecretKey,
    Data,
}

/// A parsed PKCS#11 URI. Every field is a filter: `None` matches anything.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    pub token: Option<String>,
    pub manufacturer: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
    pub library_manufacturer: Option<String>,
    pub library_description: Option<String>,
    pub slot_id: Option<u64>,
    pub slot_description: Option<String>,
    pub slot_manufacturer: Option<String>,
    pub object: Option<String>,
    pub id: Option<Vec<u8>>,
    pub object_type: Option<ObjectType>,
    /// `pin-value`: the user PIN (a secret: never printed by `Debug`).
    pub pin_value: Option<String>,
    /// `pin-source`: a file holding the PIN (the only form this tool reads).
    pub pin_source: Option<PathBuf>,
    /// `module-name`: a module looked up in the system's PKCS#11 module directories.
    pub module_name: Option<String>,
    /// `module-path`: the module file itself.
    pub module_path: Option<PathBuf>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("token", &self.token)
            .field("serial", &self.serial)
            .field("slot_id", &self.slot_id)
            .field("object", &self.object)
            .field("id", &self.id)
            .field("object_type", &self.object_type)
            .field("pin_value", &self.pin_value.as_ref().map(|_| "(hidden)"))
            .field("module_name", &self.module_name)
            .field("module_path", &self.module_path)
            .finish()
    }
}

/// Why a PKCS#11 URI could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriError(pub String);

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid PKCS#11 URI: {}", self.0)
    }
}

impl std::error::Error for UriError {}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decodes `s` (RFC 3986 pct-encoded octets; other characters stay).
fn pct_decode(s: &str, attr: &str) -> Result<Vec<u8>, UriError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let pair = b
                .get(i + 1..i + 3)
                .and_then(|p| Some((hex_val(p[0])?, hex_val(p[1])?)));
            let Some((hi, lo)) = pair else {
                return Err(UriError(format!(
                    "attribute '{attr}': '%' must be followed by two hex digits"
                )));
            };
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn text(value: &str, attr: &str) -> Result<String, UriError> {
    String::from_utf8(pct_decode(value, attr)?)
        .map_err(|_| UriError(format!("attribute '{attr}' is not UTF-8 text")))
}

impl Pkcs11Uri {
    /// Parses `pkcs11:path-attributes[?query-attributes]`. Unknown attributes with a
    /// vendor prefix (`x-`) are ignored as RFC 7512 allows; other unknown ones are refused
    /// so that a typo cannot silently select another key.
    pub fn parse(uri: &str) -> Result<Pkcs11Uri, UriError> {
        if !is_pkcs11_uri(uri) {
            return Err(UriError(format!("'{uri}' does not start with {SCHEME}")));
        }
        let rest = &uri[SCHEME.len()..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut u = Pkcs11Uri::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (k, v) = attr
                .split_once('=')
                .ok_or_else(|| UriError(format!("path attribute '{attr}' has no '='")))?;
            u.path_attr(k, v)?;
        }
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (k, v) = attr
                .split_once('=')
                .ok_or_else(|| UriError(format!("query attribute '{attr}' has no '='")))?;
            u.query_attr(k, v)?;
        }
        Ok(u)
    }

    fn path_attr(&mut self, k: &str, v: &str) -> Result<(), UriError> {
        let once = |given: bool| -> Result<(), UriError> {
            match given {
                true => Err(UriError(format!("attribute '{k}' given twice"))),
                false => Ok(()),
            }
        };
        match k {
            "token" => {
                once(self.token.is_some())?;
                self.token = Some(text(v, k)?)
            }
            "manufacturer" => self.manufacturer = Some(text(v, k)?),
            "serial" => self.serial = Some(text(v, k)?),
            "model" => self.model = Some(text(v, k)?),
            "library-manufacturer" => self.library_manufacturer = Some(text(v, k)?),
            "library-description" => self.library_description = Some(text(v, k)?),
            "library-version" => {}
            "slot-description" => self.slot_description = Some(text(v, k)?),
            "slot-manufacturer" => self.slot_manufacturer = Some(text(v, k)?),
            "slot-id" => {
                let t = text(v, k)?;
                self.slot_id = Some(
                    t.parse()
                        .map_err(|_| UriError(format!("slot-id '{t}' is not a decimal number")))?,
                )
            }
            "object" => {
                once(self.object.is_some())?;
                self.object = Some(text(v, k)?)
            }
            "id" => {
                once(self.id.is_some())?;
                self.id = Some(pct_decode(v, k)?)
            }
            "type" => {
                self.object_type = Some(match text(v, k)?.as_str() {
                    "private" => ObjectType::Private,
                    "public" => ObjectType::Public,
                    "cert" => ObjectType::Cert,
                    "secret-key" => ObjectType::SecretKey,
                    "data" => ObjectType::Data,
                    other => {
                        return Err(UriError(format!(
                            "type '{other}' (private, public, cert, secret-key or data)"
                        )))
                    }
                })
            }
            _ if k.starts_with("x-") => {}
            _ => return Err(UriError(format!("unknown path attribute '{k}'"))),
        }
        Ok(())
    }

    fn query_attr(&mut self, k: &str, v: &str) -> Result<(), UriError> {
        match k {
            "pin-value" => self.pin_value = Some(text(v, k)?),
            "pin-source" => {
                let t = text(v, k)?;
                let path = t.strip_prefix("file:").unwrap_or(&t);
                self.pin_source = Some(PathBuf::from(path))
            }
            "module-name" => self.module_name = Some(text(v, k)?),
            "module-path" => self.module_path = Some(PathBuf::from(text(v, k)?)),
            _ if k.starts_with("x-") => {}
            _ => return Err(UriError(format!("unknown query attribute '{k}'"))),
        }
        Ok(())
    }

    /// The URI without its PIN, for messages.
    pub fn display_without_pin(uri: &str) -> String {
        match uri.split_once('?') {
            None => uri.to_string(),
            Some((path, query)) => {
                let q: Vec<&str> = query
                    .split('&')
                    .map(|a| {
                        if a.starts_with("pin-value=") {
                            "pin-value=(hidden)"
                        } else {
                            a
                        }
                    })
                    .collect();
                format!("{path}?{}", q.join("&"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multibyte_character_at_the_scheme_end_is_not_a_uri() {
        assert!(!is_pkcs11_uri("pkcs11\u{18b}odel=x"));
        assert!(!is_pkcs11_uri("pkcs1\u{18b}"));
        assert!(Pkcs11Uri::parse("pkcs11\u{18b}odel=x").is_err());
        assert!(is_pkcs11_uri("PKCS11:token=t"));
    }

    #[test]
    fn parses_path_and_query_attributes() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=My%20Token;object=ima%3bkey;id=%01%a2;type=private?pin-value=12%2634&module-path=/usr/lib/softhsm/libsofthsm2.so",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("My Token"));
        assert_eq!(u.object.as_deref(), Some("ima;key"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 0xa2][..]));
        assert_eq!(u.object_type, Some(ObjectType::Private));
        assert_eq!(u.pin_value.as_deref(), Some("12&34"));
        assert_eq!(
            u.module_path,
            Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert!(!format!("{u:?}").contains("12&34"));
    }

    #[test]
    fn refuses_what_could_select_the_wrong_key() {
        for bad in [
            "file.pem",
            "pkcs11:tokn=x",
            "pkcs11:id=%zz",
            "pkcs11:slot-id=one",
            "pkcs11:object=a;object=b",
            "pkcs11:type=secret",
            "pkcs11:token=a?pin=1",
            "pkcs11:token",
        ] {
            assert!(Pkcs11Uri::parse(bad).is_err(), "{bad}");
        }
        assert!(Pkcs11Uri::parse("PKCS11:x-vendor=1;token=t").is_ok());
        assert_eq!(Pkcs11Uri::parse("pkcs11:").unwrap(), Pkcs11Uri::default());
    }

    #[test]
    fn messages_hide_the_pin() {
        assert_eq!(
            Pkcs11Uri::display_without_pin("pkcs11:token=t?module-path=/m.so&pin-value=1234"),
            "pkcs11:token=t?module-path=/m.so&pin-value=(hidden)"
        );
    }
}
