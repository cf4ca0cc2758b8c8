//! The evmctl front end: upstream evmctl's command line, messages, output streams and exit
//! codes, on top of the library.
//!
//! argv is parsed by [`parse`] (getopt_long rules) from the table in [`opts`], resolved
//! once into a typed request per command by [`args`], and dispatched on the command's id.
//! Exit codes: 0 success, 1 a failed verification or a bad option, 125 any other error.

pub mod args;
mod files;
mod import;
mod log;
mod lowargs;
mod measurement;
pub mod opts;
mod output;
mod parity;
pub mod parse;
mod progress;
mod request;
mod signing;
mod verifying;

use std::ffi::OsString;

pub use import::{import, ImportOutcome};
pub use opts::{EXIT_ERROR, EXIT_FAIL, EXIT_OK};
pub use output::LOG_INFO;
pub use request::ImportRequest;

use output::print_refusal;
use request::Request;

/// Runs evmctl with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    run(&args)
}

/// Runs evmctl with `args` (without the program name).
pub fn run(args: &[OsString]) -> i32 {
    let parsed = match parse::parse(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("evmctl: {}", e.0);
            return EXIT_FAIL;
        }
    };
    let request = match args::resolve(parsed.options, parsed.operands) {
        Ok(r) => r,
        Err(r) => return print_refusal(r),
    };
    match request {
        Request::Usage => {
            print!("{}", files::usage());
            EXIT_OK
        }
        Request::Version => {
            println!("evmctl {}", env!("CARGO_PKG_VERSION"));
            EXIT_OK
        }
        Request::Help(name) => files::help(name.as_deref()),
        Request::ImaHash(r) => signing::ima_hash(r),
        Request::ImaSign(r) => signing::ima_sign(r),
        Request::Sign(r) => signing::sign_evm(r),
        Request::ImaVerify(r) => verifying::ima_verify(r),
        Request::Verify(r) => verifying::verify_evm(r),
        Request::ImaSetxattr(r) => files::ima_setxattr(r),
        Request::ImaClear(r) => files::ima_clear(r),
        Request::ImaFix(r) => files::ima_fix(r),
        Request::Convert(r) => files::convert(r),
        Request::Import(r) => import::cmd_import(r),
        Request::ImaMeasurement(r) => measurement::ima_measurement(r),
        Request::ImaBootAggregate(r) => measurement::ima_boot_aggregate(r),
        Request::Hmac(r) => parity::hmac(r),
        Request::SignHash(r) if r.verity => parity::sign_hash_verity(r),
        Request::SignHash(r) => signing::sign_hash(r),
        Request::Unknown(name) => {
            println!("Invalid command: {name}");
            EXIT_ERROR
        }
    }
}
