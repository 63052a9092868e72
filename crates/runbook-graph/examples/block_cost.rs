use std::time::Instant;
fn main() {
    let kinds: [(&str, &str); 5] = [
        (
            "attr bash",
            "1. Restart worker 7:\n\n   ```bash {name=step-N timeout=30s}\n   kubectl rollout restart deployment/worker-7 -n \"$NAMESPACE\"\n   curl -s \"http://localhost:3000/health\" | jq '.checks.pool'\n   ```\n\n",
        ),
        (
            "bash",
            "Check the logs of `7`:\n\n```bash\ndocker-compose logs api --since 10m | grep -i \"error\\|timeout\" | tail -20\necho \"checked 7\"\n```\n\n",
        ),
        (
            "console+task",
            "```console\n$ kubectl get pods -n <namespace>\nNAME READY\nworker-7 1/1\n```\n\n- [ ] Confirm worker 7 is healthy\n\n",
        ),
        ("yaml", "```yaml\nspec:\n  replicas: 7\n```\n\n"),
        (
            "prose",
            "Some prose paragraph that introduces nothing in particular.\n\n",
        ),
    ];
    let only = std::env::var("KIND").ok();
    for (name, block) in kinds {
        if only.as_deref().is_some_and(|k| !name.starts_with(k)) {
            continue;
        }
        let n = 1500;
        let mut text = String::from("# T\n\n");
        for i in 0..n {
            text.push_str(&block.replace("step-N", &format!("step-{i}")));
        }
        let mut best = f64::MAX;
        for _ in 0..200 {
            let t = Instant::now();
            let d = runbook_syntax::parse("x.md", &text);
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(&d);
        }
        let mut walk = f64::MAX;
        for _ in 0..200 {
            let t = Instant::now();
            let c = pulldown_cmark::Parser::new_ext(&text, runbook_syntax::markdown_options())
                .into_offset_iter()
                .count();
            walk = walk.min(t.elapsed().as_secs_f64());
            std::hint::black_box(c);
        }
        println!(
            "{name:14} parse {:6.0} ns/block  walk {:6.0} ns/block  ours {:6.0}",
            best * 1e9 / n as f64,
            walk * 1e9 / n as f64,
            (best - walk) * 1e9 / n as f64
        );
    }
}
