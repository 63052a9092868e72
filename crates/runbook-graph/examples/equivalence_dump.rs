//! TEMPORARY (perf work): hashes the full Debug output of parse + graph over a corpus,
//! so a rewrite can be checked for byte-identical behaviour against the original.
//! Usage: equivalence_dump OUT_FILE [NAME_TO_PRINT]
use runbook_graph::{dump, generate_runbook, StepGraph};
use runbook_syntax::shell_scan::{quote_context_at, scan_all};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

fn describe(name: &str, bytes: &[u8]) -> String {
    let document = runbook_syntax::parse_bytes(name, bytes);
    let graph = StepGraph::build(&document);
    let mut out = format!("{document:#?}\n{graph:#?}\n{}", dump(&document, &graph));
    for step in &graph.steps {
        if let Some(script) = &step.script {
            // Exercise the script mapping helpers at every offset.
            let mapped: Vec<usize> = (0..=script.text.len() + 2).filter(|o| *o > script.text.len() || script.text.is_char_boundary(*o)).map(|offset| script.source_offset(offset)).collect();
            out.push_str(&format!("{mapped:?}\n{}\n", script.is_blank()));
        }
    }
    let source = &document.source;
    out.push_str(&format!("{} {:?} {:?}\n", source.line_count(), source.location(source.text().len()), source.line_span(2)));
    out
}

fn describe_shell(text: &str) -> String {
    let mut out = format!("{:#?}\n", scan_all(text));
    for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
        out.push_str(&format!("{:?}", quote_context_at(text, offset)));
    }
    out
}

const PIECES: &[&str] = &[
    "```", "```bash", "```sh {name=a needs=b}", "```console", "```yaml", "```sql", "```python", "~~~", "\n", "\n\n", "\r\n",
    "- [ ] ", "- [x] ", "1. ", "2) ", "> ", "+++\ntitle = \"x\"\n+++\n", "---\ntitle: y\n---\n", "# ", "## ", "$ ", "# ",
    "root@host:~# ", "app=# ", ">>> ", "redis> ", "mysql> ", "PS C:\\> ", "[u@h dir]$ ", "~/x $ ", "/srv # ",
    "echo ", "kubectl delete pod ", "curl -X DELETE ", "rm -rf ", "docker compose down ", "tail -f x ", "psql ", "ssh host ",
    "\"", "'", "$(", ")", "`", "${X:-1}", "$HOME", "$1", "${2}", "{{name}}", "{{ token }}", "<namespace>", "<div>", "<<EOF\n",
    "EOF\n", "<<-'Q'\n", "Q\n", "\\\n", " | ", " && ", " ; ", "&\n", "export A=1\n", "read -p x v\n", "for i in 1 2; do\n",
    "done\n", "f() {\n", "}\n", "SELECT * FROM t", ";", "spec:\n", "  replicas: 3\n", "key: value\n", "0 4 * * * x\n",
    "✅ Done\n", "☐ todo\n", "→", "-->", "rate(x[5m])\n", "up{job=\"a\"}\n", "YOUR_TOKEN", "your-api-key", "{tenantId}",
    "pod-xxx-1", "<!-- expected output: ok -->\n", "<details>\n<summary>More</summary>\n", "</details>\n", "    ", "\t",
    "é", "🔲 ", "```bash\n", "```\n", "Some prose here. ", "`code` ", "```ls -la```", "[link](#x)", "| a | b |\n|---|---|\n",
    "{\"name\":\"x\",\"excludeFromRunAll\":\"true\"}", "{runner=\"psql\" timeout=5s}", "API_TOKEN", "=", "x", " ", "#!/bin/bash\n",
    "case $x in\n a) b ;;\nesac\n", "arr=(a b)\n", "$((1+2))", "$'a\\'b'", "<(ls)", "2>&1 ", "> /dev/null ", "find . -exec rm {} \\;\n",
];

fn fuzz_inputs(count: usize, max_pieces: u64, mut seed: u64) -> Vec<String> {
    let mut inputs = Vec::with_capacity(count);
    for _ in 0..count {
        let mut input = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        for _ in 0..(seed % max_pieces) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            input.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
        }
        inputs.push(input);
    }
    inputs
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out_path = &args[1];
    let print = args.get(2);
    let mut corpus: Vec<(String, Vec<u8>)> = Vec::new();
    let root = std::path::PathBuf::from(std::env::var("EQUIV_CORPUS").expect("EQUIV_CORPUS dir"));
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut entries: Vec<_> = entries.map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".md") || name.ends_with(".txt") || name.ends_with(".hbs") {
                corpus.push((path.strip_prefix(&root).unwrap_or(&path).display().to_string(), std::fs::read(&path).expect("readable")));
            }
        }
    }
    for (bytes, blocks) in [(5 * 1024 * 1024, 10_000), (200_000, 300), (50_000, 7), (3_000, 40)] {
        corpus.push((format!("generated-{bytes}-{blocks}"), generate_runbook(bytes, blocks).into_bytes()));
    }
    for (index, input) in fuzz_inputs(6_000, 60, 0x9e37_79b9_7f4a_7c15).into_iter().enumerate() {
        corpus.push((format!("fuzz-{index}"), input.into_bytes()));
    }
    for (index, input) in fuzz_inputs(300, 400, 0x1234_5678_9abc_def1).into_iter().enumerate() {
        corpus.push((format!("bigfuzz-{index}"), input.into_bytes()));
    }
    // Invalid UTF-8 and BOM variants.
    corpus.push(("bom".into(), b"\xef\xbb\xbf# T\r\n\r\n```bash\r\n\tcd /tmp && \\\r\n\tls\r\n```\r\n".to_vec()));
    corpus.push(("badutf8".into(), b"# ok\n\nbad \xc3\x28 byte\n```bash\necho \xff $X\n```\n".to_vec()));
    let mut out = std::fs::File::create(out_path).expect("create");
    for (name, bytes) in &corpus {
        let text = describe(name, bytes);
        if print.is_some_and(|p| p == name) {
            println!("{text}");
        }
        writeln!(out, "{name} {:x}", hash(&text)).expect("write");
    }
    for (index, input) in fuzz_inputs(3_000, 30, 0x5555_1234_8765_4321).into_iter().enumerate() {
        let name = format!("shell-{index}");
        let text = describe_shell(&input);
        if print.is_some_and(|p| p == &name) {
            println!("{input:?}\n{text}");
        }
        writeln!(out, "{name} {:x}", hash(&text)).expect("write");
    }
}
