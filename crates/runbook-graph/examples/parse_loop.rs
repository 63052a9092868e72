fn main() {
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let owned = text.clone();
        let t = std::time::Instant::now();
        let document = runbook_syntax::parse_owned("x.md", owned);
        best = best.min(t.elapsed().as_secs_f64());
        drop(document);
    }
    println!("parse best {:.3} ms", best * 1e3);
}
