//! Byte formats: `security.ima` values and signature headers. Pure encode/decode, no I/O.

pub mod ima;

pub use ima::{FormatError, ImaValue, SignatureBody, SignatureV2, XattrType};
