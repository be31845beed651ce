//! The shape of the source tree: no import cycles between sibling modules of any crate, and no
//! source file over 500 lines without a one-line reason at its top (`// Longer than 500 lines:
//! ...`). Reads the files as text; needs nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;
const LONG_REASON: &str = "Longer than 500 lines:";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `src` folder of every crate of the workspace.
fn crate_sources() -> Vec<PathBuf> {
    let mut v = vec![root().join("src")];
    for e in fs::read_dir(root()).unwrap() {
        let dir = e.unwrap().path();
        if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
            v.push(dir.join("src"));
        }
    }
    v
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src`: `solver/units.rs` is `solver::units`, `solver/mod.rs`
/// is `solver`, `lib.rs` and `main.rs` are the crate root (empty).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and string contents (enough for `use` paths).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths named after `prefix` (`crate::` or `super::`): each path's first segment, and for a
/// braced group (`super::{a, b::c}`) each member's first segment.
fn targets(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let name: String = member
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// Items a `mod.rs` (or crate root) re-exports from its children: `pub use child::{A, B};`.
fn reexports(code: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in code.split(';') {
        let s = stmt.trim();
        let Some(path) = s.strip_prefix("pub use ") else {
            continue;
        };
        let Some((child, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            if !item.is_empty() {
                map.insert(item.to_string(), child.trim().to_string());
            }
        }
    }
    map
}

/// A cycle in a directed graph, if any.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|s| s == m).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n.as_str()) {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Edges between sibling modules: `crate::a` from module `b::...` is `b -> a` at the top level;
/// `super::x` from `p::c` is `p::c -> p::x` when `x` is a sibling module or an item `p`
/// re-exports from one. Parent-child references are not cycles (a parent re-exports its
/// children's items; a child uses its parent's).
fn sibling_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| (module_of(src, f), code(&fs::read_to_string(f).unwrap())))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &modules {
        let Some(top) = path.first() else { continue };
        for t in targets(text, "crate::") {
            if modules.contains_key(&vec![t.clone()]) && &t != top {
                edges.entry(top.clone()).or_default().insert(t);
            }
        }
        if path.len() >= 2 {
            let parent = &path[..path.len() - 1];
            let re = modules
                .get(parent)
                .map(|t| reexports(t))
                .unwrap_or_default();
            for t in targets(text, "super::") {
                let mut sibling = parent.to_vec();
                sibling.push(re.get(&t).cloned().unwrap_or(t));
                if modules.contains_key(&sibling) && &sibling != path {
                    edges
                        .entry(path.join("::"))
                        .or_default()
                        .insert(sibling.join("::"));
                }
            }
        }
    }
    edges
}

#[test]
fn no_import_cycles_between_sibling_modules() {
    for src in crate_sources() {
        let edges = sibling_edges(&src);
        assert!(
            !edges.is_empty() || src.ends_with("src"),
            "{}",
            src.display()
        );
        if let Some(c) = find_cycle(&edges) {
            panic!("import cycle in {}: {}", src.display(), c.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    e.entry("adc".into()).or_default().insert("shape".into());
    assert_eq!(find_cycle(&e), None);
    e.entry("shape".into()).or_default().insert("adc".into());
    assert!(find_cycle(&e).is_some());
    assert_eq!(
        targets("use crate::a::b; use super::{x, y::z};", "crate::"),
        vec!["a"]
    );
    assert_eq!(targets("use super::{x, y::z};", "super::"), vec!["x", "y"]);
}

#[test]
fn long_files_say_why() {
    for src in crate_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            let lines = text.lines().count();
            let head: Vec<&str> = text.lines().take(3).collect();
            assert!(
                lines <= MAX_LINES || head.iter().any(|l| l.contains(LONG_REASON)),
                "{} has {lines} lines: split it, or give a one-line reason at its top \
                 (`// {LONG_REASON} ...`)",
                f.display()
            );
        }
    }
}
