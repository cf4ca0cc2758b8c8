//! The shape of src/, checked so that it cannot drift back:
//! - no file over 600 lines, no function over 120 lines (tests excepted);
//! - the front ends (src/cli/) hold at most a quarter of the lines: the library decides,
//!   the front ends parse, call and print;
//! - no import cycle between files: an edge A -> B means that A names an item defined in B
//!   (through `crate::`, `super::`, `self::` or a child module; a `pub use` in a mod.rs is
//!   followed to the file that defines the item).
//!
//! (`unsafe` only in src/sys/ is tests/no_unsafe_outside_sys.rs.)

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 120;
const MAX_CLI_SHARE_PERCENT: usize = 25;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every .rs file under src/, as (path relative to src/, text).
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out
}

/// The text before the first `#[cfg(test)]` (tests sit at the end of a file), without
/// line comments.
fn code_of(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_file_is_over_600_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|(_, t)| t.lines().count() > MAX_FILE_LINES)
        .map(|(f, t)| format!("{f}: {} lines", t.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these files: {long:#?}");
}

#[test]
fn no_function_is_over_120_lines() {
    let mut long = Vec::new();
    for (file, text) in sources() {
        let code = code_of(&text);
        let lines: Vec<&str> = code.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "const fn ",
            ]
            .iter()
            .any(|p| t.starts_with(p));
            if !is_fn || t.ends_with(';') {
                continue;
            }
            let close = format!("{indent}}}");
            if let Some(end) = lines[i + 1..].iter().position(|m| *m == close) {
                if end + 2 > MAX_FN_LINES {
                    long.push(format!("{file}:{}: {} lines: {t}", i + 1, end + 2));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these functions: {long:#?}");
}

#[test]
fn the_front_ends_hold_at_most_a_quarter_of_the_lines() {
    let files = sources();
    let count = |pred: &dyn Fn(&str) -> bool| -> usize {
        files
            .iter()
            .filter(|(f, _)| pred(f))
            .map(|(_, t)| t.lines().count())
            .sum()
    };
    let cli = count(&|f| f.starts_with("cli/"));
    let all = count(&|_| true);
    assert!(
        cli * 100 <= all * MAX_CLI_SHARE_PERCENT,
        "src/cli holds {cli} of {all} lines ({:.1}%): move decisions into the library",
        cli as f64 * 100.0 / all as f64
    );
}

/// The module path of a file: `keyring/mod.rs` -> [keyring], `lib.rs` -> [].
fn module_of(file: &str) -> Vec<String> {
    let p = file.trim_end_matches(".rs");
    let p = p.strip_suffix("/mod").unwrap_or(p);
    if p == "lib" {
        return Vec::new();
    }
    p.split('/').map(str::to_string).collect()
}

struct Graph {
    files: BTreeMap<String, String>,
    /// (file of a module, name) -> (module path, original name) for its `pub use`s.
    reexports: HashMap<(String, String), (Vec<String>, String)>,
}

impl Graph {
    fn file_of(&self, module: &[String]) -> Option<String> {
        if module.is_empty() {
            return Some("lib.rs".into());
        }
        let m = module.join("/");
        [format!("{m}.rs"), format!("{m}/mod.rs")]
            .into_iter()
            .find(|c| self.files.contains_key(c))
    }

    /// The file that defines `path` (a module path then an item), following re-exports.
    fn resolve(&self, mut path: Vec<String>) -> Option<String> {
        for _ in 0..10 {
            let (k, file) = (0..=path.len())
                .rev()
                .find_map(|k| self.file_of(&path[..k]).map(|f| (k, f)))?;
            match path.get(k) {
                Some(item) if self.reexports.contains_key(&(file.clone(), item.clone())) => {
                    let (m, orig) = &self.reexports[&(file, item.clone())];
                    let mut next = m.clone();
                    next.push(orig.clone());
                    next.extend(path[k + 1..].iter().cloned());
                    path = next;
                }
                _ => return Some(file),
            }
        }
        None
    }
}

/// Splits `a::b::{c, d as e}` into the base path and (name, original) pairs.
fn use_items(spec: &str) -> (Vec<String>, Vec<(String, String)>) {
    let (base, items) = match spec.find("::{") {
        Some(i) => (&spec[..i], spec[i + 3..].trim_end_matches('}').to_string()),
        None => match spec.rfind("::") {
            Some(i) => (&spec[..i], spec[i + 2..].to_string()),
            None => (spec, String::new()),
        },
    };
    let names = items
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.contains('{') && *s != "*")
        .map(|s| match s.split_once(" as ") {
            Some((o, n)) => (n.trim().to_string(), o.trim().to_string()),
            None => (s.to_string(), s.to_string()),
        })
        .collect();
    (base.split("::").map(str::to_string).collect(), names)
}

/// Turns a path as written in `module` into an absolute module path.
fn absolute(module: &[String], parts: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match parts.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => module.to_vec(),
        Some("super") => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    let mut rest = &parts[1..];
    while rest.first().map(String::as_str) == Some("super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every `crate::a::b` / `super::x` / `self::y` path in `code`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for head in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(head) {
            let start = from + i;
            from = start + head.len();
            if code[..start].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let end = code[start..]
                .find(|c: char| !(is_ident(c) || c == ':'))
                .map_or(code.len(), |e| start + e);
            let parts: Vec<String> = code[start..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            out.push(parts);
        }
    }
    out
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    let mut g = Graph {
        files: files.clone(),
        reexports: HashMap::new(),
    };
    for (file, text) in &files {
        let module = module_of(file);
        for line in code_of(text).lines() {
            let Some(spec) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let (base, names) = use_items(spec.trim_end_matches(';'));
            let base = absolute(&module, &base).unwrap_or_else(|| {
                let mut m = module.clone();
                m.extend(base.iter().cloned());
                m
            });
            for (name, orig) in names {
                g.reexports
                    .insert((file.clone(), name), (base.clone(), orig));
            }
        }
    }
    let mut out = BTreeMap::new();
    for (file, text) in &files {
        let module = module_of(file);
        let facade = file.ends_with("mod.rs") || file == "lib.rs";
        let code: String = code_of(text)
            .lines()
            .filter(|l| !(facade && l.trim_start().starts_with("pub use ")))
            .collect::<Vec<_>>()
            .join("\n");
        let mut deps = BTreeSet::new();
        for p in paths_in(&code) {
            if let Some(f) = absolute(&module, &p).and_then(|a| g.resolve(a)) {
                deps.insert(f);
            }
        }
        // `use child::{...}` in a module file.
        for line in code.lines() {
            let Some(spec) = line.trim().strip_prefix("use ") else {
                continue;
            };
            let (base, names) = use_items(spec.trim_end_matches(';'));
            if matches!(
                base[0].as_str(),
                "std" | "core" | "crate" | "super" | "self"
            ) {
                continue;
            }
            let mut m = module.clone();
            m.extend(base.iter().cloned());
            if g.file_of(&m).is_none() {
                continue;
            }
            for (_, orig) in names {
                let mut p = m.clone();
                p.push(orig);
                if let Some(f) = g.resolve(p) {
                    deps.insert(f);
                }
            }
        }
        deps.remove(file);
        out.insert(file.clone(), deps);
    }
    out
}

/// Strongly connected components with more than one file.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w.as_str()) {
                let iw = s.index[w.as_str()];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_import_cycle_between_files() {
    let e = edges();
    assert!(
        e.values().map(BTreeSet::len).sum::<usize>() > 50,
        "the import graph looks empty: the checker is broken"
    );
    let found = cycles(&e);
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn the_cycle_checker_finds_a_cycle() {
    let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    e.insert("a.rs".into(), ["b.rs".to_string()].into());
    e.insert("b.rs".into(), ["c.rs".to_string()].into());
    e.insert("c.rs".into(), ["a.rs".to_string()].into());
    e.insert("d.rs".into(), ["a.rs".to_string()].into());
    assert_eq!(cycles(&e), vec![vec!["a.rs", "b.rs", "c.rs"]]);
    // And the real graph has the edges it must have.
    let real = edges();
    assert!(real["cli/evmctl/signing.rs"].contains("ops.rs"));
    assert!(real["verify.rs"].contains("verdict.rs"));
}
