//! The layering, checked on the source: the domain (`crates/domain`) is pure
//! (it never names the engine, the store, the operations or SQLite, and
//! links SQLite only for its error type's optional variant), and no module of
//! the engine or the domain imports another in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src` of the engine (`"engine"`) or of the domain (`"domain"`).
fn src(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `ops/sync.rs` → `ops::sync`; `ops/mod.rs` → `ops`; `lib.rs` → ``.
fn module_of(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without comments, so a doc comment that mentions
/// `Engine` is not an import.
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Modules named after `crate::` in `text`, resolved to files: `domain` and
/// `ops` have children, everything else is one file.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let segs: Vec<&str> = rest
            .split("::")
            .take(2)
            .map(|s| {
                let end = s
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(s.len());
                &s[..end]
            })
            .collect();
        let two = segs.join("::");
        if modules.contains(&two) {
            out.insert(two);
        } else if let Some(first) = segs.first().filter(|f| modules.contains(**f)) {
            out.insert((*first).to_owned());
        }
    }
    out
}

fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(root, f)).collect();
    files
        .iter()
        .map(|f| {
            let m = module_of(root, f);
            let mut deps = imports(&code(f), &modules);
            deps.remove(&m);
            (m, deps)
        })
        .collect()
}

#[test]
fn domain_modules_name_neither_the_engine_nor_the_store() {
    let root = src("domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() >= 10, "domain modules found: {}", files.len());
    let forbidden = [
        "crate::engine",
        "crate::store",
        "crate::ops",
        "crate::sync",
        "crate::Engine",
        "Engine",
        "yichuang_engine",
        "rusqlite",
        "Connection",
    ];
    let mut found = Vec::new();
    for f in &files {
        let m = module_of(&root, f);
        let text = code(f);
        for word in forbidden {
            // The error type wraps the store's error, behind a feature.
            if m == "error" && word == "rusqlite" {
                continue;
            }
            let hit = text.match_indices(word).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + word.len()..].chars().next();
                let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !ident(before) && !ident(after)
            });
            if hit {
                found.push(format!("{m} names {word}"));
            }
        }
    }
    assert!(found.is_empty(), "the domain must stay pure: {found:#?}");
    // Its manifest links SQLite only for that variant (the county, which
    // links the domain, never links SQLite).
    let manifest = std::fs::read_to_string(root.join("../Cargo.toml")).expect("manifest");
    let rusqlite: Vec<&str> = manifest
        .lines()
        .filter(|l| l.starts_with("rusqlite"))
        .collect();
    assert_eq!(rusqlite.len(), 1, "{rusqlite:?}");
    assert!(rusqlite[0].contains("optional = true"), "{}", rusqlite[0]);
}

#[test]
fn the_check_sees_an_impure_module() {
    // The check above would catch a domain module that writes to the store.
    let modules: BTreeSet<String> = ["engine", "store", "domain::case"]
        .into_iter()
        .map(String::from)
        .collect();
    let deps = imports(
        "use crate::store::Write;\nfn f(e: &crate::engine::Engine) {}",
        &modules,
    );
    assert_eq!(
        deps,
        ["engine", "store"].into_iter().map(String::from).collect()
    );
}

/// The first circle found, as a path of modules.
fn circle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|s| s == m) {
            let mut c = stack[pos..].to_vec();
            c.push(m.to_owned());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_owned());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(c) = visit(m, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_another_in_a_circle() {
    for (krate, at_least) in [("engine", 20), ("domain", 10)] {
        let mut g = graph(&src(krate));
        // The crate root and the folder roots only declare and re-export.
        for root in ["", "ops"] {
            g.remove(root);
            for deps in g.values_mut() {
                deps.remove(root);
            }
        }
        assert!(g.len() >= at_least, "{krate} modules found: {}", g.len());
        assert_eq!(circle(&g), None, "import circle in the {krate}");
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circle(&g).map(|c| c.len()), Some(4));
}
