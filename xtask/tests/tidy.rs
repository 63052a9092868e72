//! Repository hygiene checked as a plain test.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn architecture_md_maps_every_crate() {
    let architecture =
        std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
    for entry in std::fs::read_dir(root().join("crates"))
        .expect("crates dir")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            architecture.contains(&format!("{name}/")),
            "ARCHITECTURE.md code map does not mention crates/{name}/"
        );
    }
}

#[test]
fn every_crate_root_has_a_doc_comment() {
    for entry in std::fs::read_dir(root().join("crates"))
        .expect("crates dir")
        .flatten()
    {
        for root_file in ["src/lib.rs", "src/main.rs"] {
            let path = entry.path().join(root_file);
            if let Ok(text) = std::fs::read_to_string(&path) {
                assert!(
                    text.trim_start().starts_with("//!"),
                    "{} must start with a `//!` doc comment saying what the crate is for",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn libraries_do_not_print() {
    // The executor emits events and the CLI renders them; libraries never write to the terminal.
    for library in [
        "runbook-syntax",
        "runbook-graph",
        "runbook-exec",
        "runbook-redact",
        "runbook-timeline",
        "runbook-lint",
    ] {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(library).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable");
            let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
            for needle in ["println!(", "eprintln!(", "print!(", "eprint!("] {
                assert!(
                    !code.contains(needle),
                    "{} uses {needle} outside tests",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn readme_test_command_is_what_ci_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    let command = "cargo test --workspace --locked";
    assert!(readme.contains(command), "README must give `{command}`");
    assert!(
        ci.lines().any(|line| line.trim() == command),
        ".ci/run must run `{command}`"
    );
}
