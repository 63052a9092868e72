//! Data-driven tests: every `test_data/*.md` is parsed and built, and the
//! dump is compared with the reviewed snapshot next to it
//! (`test_data/snapshots/`). Update with `cargo insta review`.

use runbook_graph::{StepGraph, dump};
use runbook_syntax::parse_bytes;

#[test]
fn fixtures() {
    insta::glob!("../test_data", "*.md", |path| {
        let bytes = std::fs::read(path).expect("fixture readable");
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let document = parse_bytes(&name, &bytes);
        let graph = StepGraph::build(&document);
        insta::assert_snapshot!(dump(&document, &graph));
    });
}
