//! Tidy checks: properties of the source tree that no compiler checks, run
//! as plain tests by `cargo test --workspace`.

use crate::workspace_root;
use std::path::{Path, PathBuf};

/// Rust files under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The crates under `crates/`, by directory name.
fn crate_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("crates/ is readable")
        .flatten()
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A file's code before its unit tests (`#[cfg(test)]`), which may print.
fn code_before_tests(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match text.find("#[cfg(test)]") {
        Some(tests) => text[..tests].to_string(),
        None => text,
    }
}

/// `(file, line number, line)` of each line of code containing one of `needles`.
fn offending_lines(files: &[PathBuf], needles: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        for (index, line) in code_before_tests(file).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|needle| code.contains(needle.as_str())) {
                found.push(format!("{}:{}: {}", file.display(), index + 1, line.trim()));
            }
        }
    }
    found
}

/// Macro calls spelled so this file does not match itself.
fn macro_calls(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| format!("{name}!(")).collect()
}

#[test]
fn libraries_do_not_print() {
    // The binary, the test doubles and these dev tasks talk to the terminal; libraries emit
    // events and diagnostics instead.
    let talkers = ["runbook-cli", "runbook-sandbox"];
    let files: Vec<PathBuf> = crate_names()
        .iter()
        .filter(|name| !talkers.contains(&name.as_str()))
        .flat_map(|name| rust_files(&workspace_root().join("crates").join(name).join("src")))
        .collect();
    assert!(files.len() > 20, "found only {} library files", files.len());
    let found = offending_lines(
        &files,
        &macro_calls(&["println", "eprintln", "print", "eprint", "dbg"]),
    );
    assert!(found.is_empty(), "libraries print:\n{}", found.join("\n"));
}

#[test]
fn nothing_unfinished_is_left_in_the_code() {
    let mut files = rust_files(&workspace_root().join("xtask/src"));
    for name in crate_names() {
        files.extend(rust_files(
            &workspace_root().join("crates").join(name).join("src"),
        ));
    }
    let found = offending_lines(&files, &macro_calls(&["todo", "unimplemented", "dbg"]));
    assert!(found.is_empty(), "unfinished code:\n{}", found.join("\n"));
}

#[test]
fn every_crate_is_in_the_code_map() {
    let architecture = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md is readable");
    let missing: Vec<String> = crate_names()
        .into_iter()
        .filter(|name| !architecture.contains(&format!("  {name}/")))
        .collect();
    assert!(
        missing.is_empty(),
        "crates missing from ARCHITECTURE.md's code map: {missing:?}"
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    let dir = std::env::temp_dir().join(format!("runbook-tidy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary dir");
    let file = dir.join("sample.rs");
    let call = macro_calls(&["println"]).remove(0);
    std::fs::write(
        &file,
        format!(
            "fn a() {{ {call}\"x\"); }}\n// {call}\n#[cfg(test)]\nfn b() {{ {call}\"y\"); }}\n"
        ),
    )
    .expect("sample written");
    let found = offending_lines(std::slice::from_ref(&file), &[call]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(":1:"));
}
