//! Signing with a key held in a PKCS#11 token (an HSM, a smart card, SoftHSM): the key
//! never leaves the token; the token signs the digest.
//!
//! The key is named by an RFC 7512 URI ([`uri`]). The module (the token's PKCS#11
//! library) is, in order: the URI's `module-path`, the URI's `module-name` looked up in the
//! system's module directories, the caller's default (evmctl and imactl take it from
//! `EVMCTL_PKCS11_MODULE`), and finally p11-kit's proxy, which loads every module the
//! system has registered.
//!
//! RSA signs with CKM_RSA_PKCS over the DigestInfo of the hash followed by the digest: the
//! same bytes a file key gives (PKCS#1 v1.5 is deterministic). ECDSA signs with CKM_ECDSA
//! over the digest; the token's r||s is re-encoded as the DER ECDSA-Sig-Value IMA stores.
//! Every signature is checked with the token's public key before it is returned.

pub mod uri;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::hash::HashAlgo;
use crate::keys::{Certificate, KeyAlgorithm, PublicKey, SignError};
use crate::sign::{KeyidSource, Signer};
pub use uri::{is_pkcs11_uri, Pkcs11Uri, UriError};

mod der;

/// Where p11-kit's proxy module is looked for when no module is named (Debian, Fedora, and
/// the dynamic loader's own search as the last resort).
pub const P11_KIT_PROXY: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so",
    "/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so",
    "/usr/lib64/p11-kit-proxy.so",
    "/usr/lib/p11-kit-proxy.so",
    "p11-kit-proxy.so",
];

/// Directories searched for a URI's `module-name` (as `NAME.so` or `libNAME.so`).
const MODULE_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib/aarch64-linux-gnu/pkcs11",
    "/usr/lib64/pkcs11",
    "/usr/lib/pkcs11",
    "/usr/lib/softhsm",
    "/usr/lib64/softhsm",
];

/// Why a token key could not be used.
#[derive(Debug)]
pub enum Pkcs11Error {
    Uri(UriError),
    /// The module could not be loaded or initialised.
    Module {
        module: String,
        detail: String,
    },
    /// No token, or more than one, matches the URI.
    Token(String),
    /// The token needs a PIN and none was given.
    PinRequired {
        token: String,
    },
    /// The token refused the PIN.
    PinIncorrect {
        token: String,
    },
    /// No private key, or more than one, matches the URI.
    Object(String),
    /// The key's public half could not be found or read (needed for the keyid and the check).
    PublicKey(String),
    /// A call into the token failed.
    Call(String, CkError),
}

impl fmt::Display for Pkcs11Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkcs11Error::Uri(e) => e.fmt(f),
            Pkcs11Error::Module { module, detail } => {
                write!(f, "cannot load the PKCS#11 module {module}: {detail}")
            }
            Pkcs11Error::Token(m) | Pkcs11Error::Object(m) | Pkcs11Error::PublicKey(m) => {
                f.write_str(m)
            }
            Pkcs11Error::PinRequired { token } => write!(f, "token '{token}' needs a PIN"),
            Pkcs11Error::PinIncorrect { token } => {
                write!(f, "token '{token}' refused the PIN (PIN incorrect)")
            }
            Pkcs11Error::Call(what, e) => write!(f, "{what}: {}", short_error(e)),
        }
    }
}

impl std::error::Error for Pkcs11Error {}

/// The token's error code without the specification's paragraph of explanation.
fn short_error(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, func) => format!("{func} failed: {rv:?}"),
        other => other.to_string(),
    }
}

fn ck(what: &str) -> impl FnOnce(CkError) -> Pkcs11Error + '_ {
    move |e| Pkcs11Error::Call(what.to_string(), e)
}

/// The module files to try for `uri`, in order; `default` is the caller's configured one.
pub fn module_candidates(uri: &Pkcs11Uri, default: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = &uri.module_path {
        return vec![p.clone()];
    }
    if let Some(name) = &uri.module_name {
        let mut v = Vec::new();
        for dir in MODULE_DIRS {
            for file in [format!("{name}.so"), format!("lib{name}.so")] {
                let p = Path::new(dir).join(file);
                if p.exists() {
                    v.push(p);
                }
            }
        }
        return v;
    }
    if let Some(d) = default {
        return vec![d.to_path_buf()];
    }
    P11_KIT_PROXY
        .iter()
        .map(PathBuf::from)
        .filter(|p| !p.is_absolute() || p.exists())
        .collect()
}

fn load_module(uri: &Pkcs11Uri, default: Option<&Path>) -> Result<Pkcs11, Pkcs11Error> {
    let candidates = module_candidates(uri, default);
    let Some(first) = candidates.first() else {
        let module = match &uri.module_name {
            Some(n) => format!("named '{n}'"),
            None => "(p11-kit-proxy.so)".into(),
        };
        return Err(Pkcs11Error::Module {
            module,
            detail: "not found (name it with module-path= in the URI or EVMCTL_PKCS11_MODULE)"
                .into(),
        });
    };
    let mut last = None;
    let mut refused = None;
    for path in &candidates {
        // A module named by a path must be a regular file before the loader sees it:
        // dlopen(3) blocks forever on a FIFO and reads a device without end. (A bare name
        // is searched for by the loader in the library directories.)
        if path.as_os_str().as_encoded_bytes().contains(&b'/') {
            if let Err(e) = crate::input::open_file(path, crate::input::Access::Read) {
                refused.get_or_insert(Pkcs11Error::Module {
                    module: path.display().to_string(),
                    detail: e.to_string(),
                });
                continue;
            }
        }
        match Pkcs11::new(path) {
            Ok(ctx) => {
                match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                    Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {
                        return Ok(ctx)
                    }
                    Err(e) => {
                        return Err(Pkcs11Error::Module {
                            module: path.display().to_string(),
                            detail: short_error(&e),
                        })
                    }
                }
            }
            Err(e) => last = Some((path, e)),
        }
    }
    let Some((path, e)) = last else {
        return Err(refused.expect("every candidate was refused or failed"));
    };
    Err(Pkcs11Error::Module {
        module: if candidates.len() == 1 {
            first.display().to_string()
        } else {
            path.display().to_string()
        },
        detail: e.to_string(),
    })
}

/// The slots whose token the URI selects.
fn matching_slots(ctx: &Pkcs11, uri: &Pkcs11Uri) -> Result<Vec<(Slot, String)>, Pkcs11Error> {
    let eq =
        |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have.trim_end());
    let mut found = Vec::new();
    for slot in ctx
        .get_slots_with_initialized_token()
        .map_err(ck("listing the token slots"))?
    {
        if uri.slot_id.is_some_and(|id| id != slot.id()) {
            continue;
        }
        let si = ctx
            .get_slot_info(slot)
            .map_err(ck("reading slot information"))?;
        let ti = ctx
            .get_token_info(slot)
            .map_err(ck("reading token information"))?;
        if eq(&uri.token, ti.label())
            && eq(&uri.manufacturer, ti.manufacturer_id())
            && eq(&uri.serial, ti.serial_number())
            && eq(&uri.model, ti.model())
            && eq(&uri.slot_description, si.slot_description())
            && eq(&uri.slot_manufacturer, si.manufacturer_id())
        {
            found.push((slot, ti.label().trim_end().to_string()));
        }
    }
    Ok(found)
}

/// A private key in a PKCS#11 token, ready to sign.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    public: PublicKey,
    keyid: KeyidSource,
    token: String,
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("token", &self.token)
            .field("algorithm", &self.public.algorithm())
            .field("keyid", &self.keyid)
            .finish()
    }
}

impl Pkcs11Signer {
    /// Opens the key `uri_text` names. `pin` (the caller's --pass or environment) wins over
    /// the URI's pin-value and pin-source; `explicit` is a keyid the caller chose
    /// (--keyid, --keyid-from-cert), otherwise the token's certificate for the key gives
    /// its SKID, otherwise the keyid is computed from the public key.
    pub fn open(
        uri_text: &str,
        pin: Option<&str>,
        default_module: Option<&Path>,
        explicit: Option<KeyidSource>,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let uri = Pkcs11Uri::parse(uri_text).map_err(Pkcs11Error::Uri)?;
        // type=public selects the private key with the same id or label, as libp11's
        // engine does (upstream's tests and scripts written for that engine sign so).
        if let Some(t) = uri
            .object_type
            .filter(|t| !matches!(t, uri::ObjectType::Private | uri::ObjectType::Public))
        {
            return Err(Pkcs11Error::Object(format!(
                "the URI names a {t:?} object: signing needs type=private, type=public (the \
                 private key with the same id or label) or no type"
            )));
        }
        let ctx = load_module(&uri, default_module)?;
        let slots = matching_slots(&ctx, &uri)?;
        let (slot, token) = match slots.as_slice() {
            [one] => one.clone(),
            [] => return Err(Pkcs11Error::Token("no token matches the URI".into())),
            many => {
                let names: Vec<&str> = many.iter().map(|(_, l)| l.as_str()).collect();
                return Err(Pkcs11Error::Token(format!(
                    "{} tokens match the URI ({}): add token=LABEL",
                    many.len(),
                    names.join(", ")
                )));
            }
        };
        let session = ctx.open_ro_session(slot).map_err(ck("opening a session"))?;
        let file_pin = match (&uri.pin_source, pin, &uri.pin_value) {
            (Some(p), None, None) => Some(read_pin_file(p)?),
            _ => None,
        };
        let pin = pin.or(uri.pin_value.as_deref()).or(file_pin.as_deref());
        login(&ctx, slot, &session, &token, pin)?;
        let key = find_private_key(&session, &uri)?;
        let public = public_key(&session, key)?;
        let keyid = match explicit {
            Some(k) => k,
            None => match certificate_for(&session, key, &public)? {
                Some(k) => KeyidSource::AppendedCert(k),
                None => KeyidSource::Computed(public.computed_keyid()),
            },
        };
        Ok(Pkcs11Signer {
            session: Mutex::new(session),
            key,
            public,
            keyid,
            token,
        })
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub fn keyid_source(&self) -> &KeyidSource {
        &self.keyid
    }

    /// The token's label.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn backend(&self, detail: String) -> SignError {
        SignError::Backend {
            algorithm: self.public.algorithm(),
            detail,
        }
    }
}

fn read_pin_file(p: &Path) -> Result<String, Pkcs11Error> {
    let text = crate::input::read_input_string(p, crate::input::InputKind::Key).map_err(|e| {
        Pkcs11Error::Token(format!(
            "{}: cannot read the PIN (pin-source): {e}",
            p.display()
        ))
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn login(
    ctx: &Pkcs11,
    slot: Slot,
    session: &Session,
    token: &str,
    pin: Option<&str>,
) -> Result<(), Pkcs11Error> {
    let needs = ctx
        .get_token_info(slot)
        .map_err(ck("reading token information"))?
        .login_required();
    if !needs {
        return Ok(());
    }
    let Some(pin) = pin else {
        return Err(Pkcs11Error::PinRequired {
            token: token.into(),
        });
    };
    match session.login(UserType::User, Some(&AuthPin::from(pin))) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(Pkcs11Error::PinIncorrect {
            token: token.into(),
        }),
        Err(e) => Err(ck("logging in")(e)),
    }
}

fn find_private_key(session: &Session, uri: &Pkcs11Uri) -> Result<ObjectHandle, Pkcs11Error> {
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    if let Some(label) = &uri.object {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    let found = session
        .find_objects(&template)
        .map_err(ck("searching the token"))?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Pkcs11Error::Object(
            "no private key in the token matches the URI (check object= and id=, and that the \
             PIN was given: private objects are invisible before login)"
                .into(),
        )),
        many => Err(Pkcs11Error::Object(format!(
            "{} private keys match the URI: add object=LABEL or id=ID",
            many.len()
        ))),
    }
}

fn attr_bytes(attrs: &[Attribute], want: AttributeType) -> Option<Vec<u8>> {
    attrs.iter().find_map(|a| match (a, want) {
        (Attribute::Modulus(v), AttributeType::Modulus)
        | (Attribute::PublicExponent(v), AttributeType::PublicExponent)
        | (Attribute::EcParams(v), AttributeType::EcParams)
        | (Attribute::EcPoint(v), AttributeType::EcPoint)
        | (Attribute::Id(v), AttributeType::Id)
        | (Attribute::Value(v), AttributeType::Value) => Some(v.clone()),
        _ => None,
    })
}

/// The key's public half: from the public key object with the same CKA_ID, else from the
/// RSA private key's own modulus and exponent.
fn public_key(session: &Session, key: ObjectHandle) -> Result<PublicKey, Pkcs11Error> {
    let read = |h, t: &[AttributeType]| {
        session
            .get_attributes(h, t)
            .map_err(ck("reading key attributes"))
    };
    let attrs = read(key, &[AttributeType::KeyType, AttributeType::Id])?;
    let key_type = attrs.iter().find_map(|a| match a {
        Attribute::KeyType(t) => Some(*t),
        _ => None,
    });
    let wanted = match key_type {
        Some(t) if t == KeyType::RSA => [AttributeType::Modulus, AttributeType::PublicExponent],
        Some(t) if t == KeyType::EC => [AttributeType::EcParams, AttributeType::EcPoint],
        other => {
            return Err(Pkcs11Error::Object(format!(
                "the key is of type {other:?}: RSA and EC keys can sign IMA signatures"
            )))
        }
    };
    let mut sources = Vec::new();
    if let Some(id) = attr_bytes(&attrs, AttributeType::Id) {
        let template = [Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::Id(id)];
        sources.extend(
            session
                .find_objects(&template)
                .map_err(ck("searching the token"))?,
        );
    }
    sources.push(key);
    for h in sources {
        let a = read(h, &wanted)?;
        if let (Some(x), Some(y)) = (attr_bytes(&a, wanted[0]), attr_bytes(&a, wanted[1])) {
            let spki = if wanted[0] == AttributeType::Modulus {
                der::rsa_spki(&x, &y)
            } else {
                der::ec_spki(&x, &y)
            };
            return spki
                .and_then(|d| PublicKey::from_spki_der(&d))
                .map_err(|e| Pkcs11Error::PublicKey(format!("the token's public key: {e}")));
        }
    }
    // Last, a certificate with the same CKA_ID (tokens often hold the key and its
    // certificate only; EC private keys do not carry their point).
    if let Some(id) = attr_bytes(&attrs, AttributeType::Id) {
        for der in certificates_with_id(session, id)? {
            if let Ok(c) = Certificate::from_der(Path::new("(token certificate)"), der) {
                if let Ok(k) = c.public_key() {
                    return Ok(k);
                }
            }
        }
    }
    Err(Pkcs11Error::PublicKey(
        "the token holds no public key for this private key (import the public key or the \
         certificate with the same id)"
            .into(),
    ))
}

/// The DER of every certificate object with this CKA_ID.
fn certificates_with_id(session: &Session, id: Vec<u8>) -> Result<Vec<Vec<u8>>, Pkcs11Error> {
    let template = [
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::Id(id),
    ];
    let mut out = Vec::new();
    for h in session
        .find_objects(&template)
        .map_err(ck("searching the token"))?
    {
        let v = session
            .get_attributes(h, &[AttributeType::Value])
            .map_err(ck("reading a certificate"))?;
        out.extend(attr_bytes(&v, AttributeType::Value));
    }
    Ok(out)
}

/// The SKID keyid of a certificate in the token with the key's CKA_ID, when that
/// certificate is for this key.
fn certificate_for(
    session: &Session,
    key: ObjectHandle,
    public: &PublicKey,
) -> Result<Option<[u8; 4]>, Pkcs11Error> {
    let attrs = session
        .get_attributes(key, &[AttributeType::Id])
        .map_err(ck("reading key attributes"))?;
    let Some(id) = attr_bytes(&attrs, AttributeType::Id) else {
        return Ok(None);
    };
    for der in certificates_with_id(session, id)? {
        let Ok(cert) = Certificate::from_der(Path::new("(token certificate)"), der) else {
            continue;
        };
        if cert.computed_keyid() == public.computed_keyid() {
            return Ok(cert.skid_keyid());
        }
    }
    Ok(None)
}

impl Signer for Pkcs11Signer {
    fn keyid(&self) -> [u8; 4] {
        self.keyid.keyid()
    }

    fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        if digest.len() != algo.digest_len() {
            return Err(SignError::DigestLength {
                algo,
                expected: algo.digest_len(),
                got: digest.len(),
            });
        }
        let session = self
            .session
            .lock()
            .map_err(|_| self.backend("the token session was poisoned".into()))?;
        let sig = match self.public {
            PublicKey::Rsa(_) => {
                let mut input = algo.digest_info_prefix();
                input.extend_from_slice(digest);
                session.sign(&Mechanism::RsaPkcs, self.key, &input)
            }
            _ => session
                .sign(&Mechanism::Ecdsa, self.key, digest)
                .map(|rs| der::ecdsa_sig_value(&rs)),
        }
        .map_err(|e| self.backend(format!("the token could not sign: {}", short_error(&e))))?;
        drop(session);
        if !self.public.verify_digest(algo, digest, &sig) {
            return Err(
                self.backend("the token's signature does not verify with its public key".into())
            );
        }
        Ok(sig)
    }

    fn sign_v1(&self, _algo: HashAlgo, _digest: &[u8], _ts: u32) -> Result<Vec<u8>, SignError> {
        Err(self
            .backend("legacy v1 signatures are made with key files only, not PKCS#11 keys".into()))
    }
}
