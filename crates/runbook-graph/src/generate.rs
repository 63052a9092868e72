//! Generates large, realistic runbooks for benchmarks and stress tests.

/// A runbook of about `target_bytes` with `blocks` code blocks spread over
/// sections, list items, prose and checklists.
pub fn generate_runbook(target_bytes: usize, blocks: usize) -> String {
    let mut out = String::from(
        "+++\ntitle = \"Generated\"\n[vars.NAMESPACE]\ndefault = \"prod\"\n+++\n\n# Generated runbook\n\n",
    );
    let per_block = target_bytes.saturating_sub(out.len()) / blocks.max(1);
    let filler_word = "lorem ";
    for index in 0..blocks {
        if index % 10 == 0 {
            out.push_str(&format!("## Section {index}\n\nCheck the service before anything else, then follow the steps.\n\n"));
        }
        let start = out.len();
        match index % 4 {
            0 => out.push_str(&format!(
                "1. Restart worker {index}:\n\n   ```bash {{name=step-{index} timeout=30s}}\n   kubectl rollout restart deployment/worker-{index} -n \"$NAMESPACE\"\n   curl -s \"http://localhost:3000/health\" | jq '.checks.pool'\n   ```\n\n"
            )),
            1 => out.push_str(&format!(
                "Check the logs of `{index}`:\n\n```bash\ndocker-compose logs api --since 10m | grep -i \"error\\|timeout\" | tail -20\necho \"checked {index}\"\n```\n\n"
            )),
            2 => out.push_str(&format!(
                "```console\n$ kubectl get pods -n <namespace>\nNAME READY\nworker-{index} 1/1\n```\n\n- [ ] Confirm worker {index} is healthy\n\n"
            )),
            _ => out.push_str(&format!("```yaml\nspec:\n  replicas: {index}\n```\n\n")),
        }
        let written = out.len() - start;
        if written < per_block {
            let words = (per_block - written) / filler_word.len();
            out.push_str(&filler_word.repeat(words));
            out.push_str("\n\n");
        }
    }
    out
}
