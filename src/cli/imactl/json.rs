//! The one shape of imactl's JSON output: with --json every run prints exactly one object
//! on one line, with `"version"` (of this schema), `"command"` (e.g. "policy check"), the
//! command's results, and, when the run failed before it had results, an `"error"` object
//! `{"code", "message"}`. Human messages still go to stderr.

use std::io::Write;

use serde_json::{Map, Value};

/// The schema version; it changes only when a field changes meaning or disappears.
pub const VERSION: u32 = 1;

/// `body` (an object) with the version and command fields added.
pub fn envelope(command: &str, body: Value) -> Value {
    let mut map = match body {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("results".into(), other);
            m
        }
    };
    map.insert("version".into(), VERSION.into());
    map.insert("command".into(), command.into());
    Value::Object(map)
}

/// The object of a run that failed before it had results.
pub fn error(command: &str, code: &str, message: &str) -> Value {
    envelope(
        command,
        serde_json::json!({ "error": { "code": code, "message": message } }),
    )
}

/// Prints one object on one line; false when stdout is gone.
pub fn print(doc: &Value) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{doc}").and_then(|()| out.flush()).is_ok()
}
