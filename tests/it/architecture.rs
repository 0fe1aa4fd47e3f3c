//! The dependency rules of `docs/architecture.md`, checked against the code: a module of
//! `src/` may use only modules of a lower layer, and the sandbox crate never depends on the
//! tool's crate (it must stay an independent reading of the API reference).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers of `src/`, bottom first. A module may use modules of lower layers only; modules
/// of one layer are siblings and never use each other. Keep in step with docs/architecture.md.
const LAYERS: &[&[&str]] = &[
    &["model", "writing", "progress"],
    &["source"],
    &["rules"],
    &["schema"],
    &["plan", "journal", "api"],
    &["auth"],
    &["submit", "report", "export", "synth", "doctor"],
    &["settings"],
    &["cli"],
    &["commands"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The crate's modules that `code` names: every `crate::x` path, including each item of a
/// `use crate::{x, y::z}` group. Comments are skipped, so a doc link does not count.
fn modules_named(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `nxsys_etl_crate::`, not ours
        }
        if let Some(group) = rest.strip_prefix('{') {
            named.extend(group_heads(group));
        } else {
            named.insert(ident(rest).to_string());
        }
    }
    named.remove("");
    named
}

/// The first identifier of each item of a `{a::b, c, d::{e, f}}` group (the text after its
/// `{`, which may span lines).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if at_item_start && !c.is_whitespace() => {
                heads.push(ident(&group[i..]).to_string());
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level module a file of `src/` belongs to (`src/plan/diff.rs` → `plan`).
fn module_of(file: &Path) -> String {
    let relative = file.strip_prefix(root().join("src")).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// Every use of a module of the same or a higher layer, as `file: module → used`.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, code) in files {
        let module = module_of(Path::new(file));
        let Some(own) = layer_of(&module) else {
            continue; // lib.rs and main.rs: the crate root and the binary, above every layer
        };
        for used in modules_named(code) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                Some(_) => found.push(format!(
                    "{file}: `{module}` uses `{used}`, which is not in a lower layer"
                )),
                None => found.push(format!(
                    "{file}: `{module}` uses `{used}`, a module with no layer in LAYERS"
                )),
            }
        }
    }
    found
}

#[test]
fn stage_modules_use_only_lower_layers() {
    let files: Vec<(String, String)> = rust_files(&root().join("src"))
        .into_iter()
        .map(|path| {
            let code = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), code)
        })
        .collect();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(file, _)| module_of(Path::new(file)))
        .collect();
    for module in &modules {
        let known = layer_of(module).is_some() || ["lib", "main"].contains(&&**module);
        assert!(
            known,
            "src/{module} has no layer: add it to LAYERS here and to docs/architecture.md"
        );
    }
    let found = violations(&files);
    assert!(
        found.is_empty(),
        "dependencies that run upwards (see docs/architecture.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_upward_uses_in_every_form() {
    let file = |module: &str, code: &str| {
        let path = root().join("src").join(module).join("x.rs");
        (path.display().to_string(), code.to_string())
    };
    let upward = [
        file("plan", "use crate::submit::Engine;"),
        file(
            "plan",
            "use crate::{model::Record, report::{RunReport, Row}};",
        ),
        file(
            "plan",
            "use crate::{\n    model::Record,\n    // a note\n    submit::Engine,\n};",
        ),
        file("source", "fn f() { let _ = crate::schema::load(); }"),
        file("api", "use crate::journal::Journal;"), // a sibling
    ];
    for case in &upward {
        assert_eq!(violations(std::slice::from_ref(case)).len(), 1, "{case:?}");
    }
    let fine = [
        file("plan", "use crate::{model::Record, schema::Mapping};"),
        file(
            "plan",
            "/// See [`crate::submit`].\nuse crate::plan::Action;",
        ),
        file(
            "report",
            "use nxsys_sandbox::start; use crate::journal::Journal;",
        ),
    ];
    for case in &fine {
        assert!(
            violations(std::slice::from_ref(case)).is_empty(),
            "{case:?}"
        );
    }
}

#[test]
fn the_sandbox_crate_does_not_depend_on_the_tool() {
    let sandbox = root().join("crates/sandbox");
    let manifest = std::fs::read_to_string(sandbox.join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) {
            assert!(
                !deps.contains_key("nxsys-etl"),
                "crates/sandbox/Cargo.toml [{section}] names nxsys-etl: the sandbox must stay \
                 independent of the tool it checks"
            );
        }
    }
    for file in rust_files(&sandbox) {
        let code = std::fs::read_to_string(&file).unwrap();
        assert!(
            !code.contains("nxsys_etl"),
            "{} names the nxsys_etl crate",
            file.display()
        );
    }
}

/// Every progress bar and spinner takes its look from `src/progress.rs`: one style everywhere.
#[test]
fn progress_bars_have_one_style() {
    let mut offenders = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("src/progress.rs")
            {
                let code = std::fs::read_to_string(&path).expect("readable");
                if code.contains("ProgressStyle::") || code.contains("progress_chars") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "progress styles outside src/progress.rs: {offenders:?}"
    );
}
