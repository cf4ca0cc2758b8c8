//! getopt_long-compatible parsing of the evmctl command line, driven by `opts::OPTIONS`:
//! options may come before or after the command (argv is permuted), long options may be
//! abbreviated, optional values must be attached (`-pPASS`, `--pass=PASS`), and `--` ends
//! the options. Errors are worded as glibc's getopt words them.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use super::opts::{self, HasArg, OptId};

/// One option occurrence, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub id: OptId,
    pub value: Option<OsString>,
}

/// The command line split into options and operands.
#[derive(Debug, Default)]
pub struct Parsed {
    pub options: Vec<Occurrence>,
    /// Non-option arguments, in order: the command, then its operands.
    pub operands: Vec<OsString>,
}

/// A getopt error; the text is what glibc prints after "evmctl: ".
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

pub fn parse(args: &[OsString]) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_bytes();
        i += 1;
        if arg == b"--" {
            out.operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix(b"--") {
            let (name, attached) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
                None => (long, None),
            };
            let name_s = String::from_utf8_lossy(name).into_owned();
            let def = match opts::by_long(&name_s) {
                Ok(Some(d)) => d,
                Ok(None) => {
                    return Err(ParseError(format!(
                        "unrecognized option '{}'",
                        String::from_utf8_lossy(arg)
                    )))
                }
                Err(cands) => {
                    let list: Vec<String> = cands.iter().map(|c| format!("'--{c}'")).collect();
                    return Err(ParseError(format!(
                        "option '--{name_s}' is ambiguous; possibilities: {}",
                        list.join(" ")
                    )));
                }
            };
            let long_name = def.long.unwrap_or_default();
            let value = match (def.has_arg, attached) {
                (HasArg::No, Some(_)) => {
                    return Err(ParseError(format!(
                        "option '--{long_name}' doesn't allow an argument"
                    )))
                }
                (HasArg::No, None) => None,
                (_, Some(v)) => Some(OsString::from_vec(v.to_vec())),
                (HasArg::Optional, None) => None,
                (HasArg::Required, None) => {
                    if i < args.len() {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        return Err(ParseError(format!(
                            "option '--{long_name}' requires an argument"
                        )));
                    }
                }
            };
            out.options.push(Occurrence { id: def.id, value });
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            let mut j = 1;
            while j < arg.len() {
                let c = arg[j] as char;
                j += 1;
                let Some(def) = opts::by_short(c) else {
                    return Err(ParseError(format!("invalid option -- '{c}'")));
                };
                let rest = &arg[j..];
                let value = match def.has_arg {
                    HasArg::No => None,
                    HasArg::Optional => {
                        j = arg.len();
                        (!rest.is_empty()).then(|| OsString::from_vec(rest.to_vec()))
                    }
                    HasArg::Required => {
                        j = arg.len();
                        if !rest.is_empty() {
                            Some(OsString::from_vec(rest.to_vec()))
                        } else if i < args.len() {
                            i += 1;
                            Some(args[i - 1].clone())
                        } else {
                            return Err(ParseError(format!(
                                "option requires an argument -- '{c}'"
                            )));
                        }
                    }
                };
                out.options.push(Occurrence { id: def.id, value });
            }
            continue;
        }
        out.operands.push(args[i - 1].clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Parsed, ParseError> {
        let v: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse(&v)
    }

    #[test]
    fn options_anywhere_and_values() {
        let r = p(&[
            "ima_sign", "--key", "k.pem", "f", "-a", "sha1", "-nv", "--pass=x",
        ])
        .unwrap();
        assert_eq!(
            r.operands,
            vec![OsString::from("ima_sign"), OsString::from("f")]
        );
        let ids: Vec<OptId> = r.options.iter().map(|o| o.id).collect();
        assert_eq!(
            ids,
            vec![
                OptId::Key,
                OptId::HashAlgo,
                OptId::NoXattr,
                OptId::Verbose,
                OptId::Pass
            ]
        );
        assert_eq!(r.options[4].value, Some(OsString::from("x")));
    }

    #[test]
    fn optional_values_must_be_attached() {
        let r = p(&["-p", "secret", "ima_sign"]).unwrap();
        assert_eq!(r.options[0].value, None);
        assert_eq!(r.operands[0], OsString::from("secret"));
        let r = p(&["-psecret", "-kkey.pem"]).unwrap();
        assert_eq!(r.options[0].value, Some(OsString::from("secret")));
        assert_eq!(r.options[1].value, Some(OsString::from("key.pem")));
    }

    #[test]
    fn abbreviations_and_errors_like_getopt() {
        let r = p(&["--sig", "--keyid-f", "c.pem"]).unwrap();
        assert_eq!(r.options[0].id, OptId::SigFile);
        assert_eq!(r.options[1].id, OptId::KeyidFromCert);
        assert_eq!(p(&["--foo"]).unwrap_err().0, "unrecognized option '--foo'");
        assert_eq!(p(&["-z"]).unwrap_err().0, "invalid option -- 'z'");
        assert_eq!(
            p(&["ima_sign", "-k"]).unwrap_err().0,
            "option requires an argument -- 'k'"
        );
        assert!(p(&["--ke", "x"]).unwrap_err().0.contains("ambiguous"));
        assert_eq!(
            p(&["--sigfile=x"]).unwrap_err().0,
            "option '--sigfile' doesn't allow an argument"
        );
        let r = p(&["--", "-n"]).unwrap();
        assert_eq!(r.operands, vec![OsString::from("-n")]);
    }
}
