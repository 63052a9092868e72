//! Counts the allocations of a bare pulldown-cmark walk, of parsing and of
//! building the graph of the benchmark's 5 MB runbook:
//! `cargo run --release -p runbook-graph --example alloc_count`.
//! For finding where a parse allocates, run it under `valgrind --tool=dhat`.
// A counting global allocator is the one place this workspace needs `unsafe`:
// it forwards every call unchanged to the system allocator.
#![allow(unsafe_code)]
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(n, Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: Counting = Counting;
fn snap() -> (usize, usize) {
    (ALLOCS.load(Relaxed), BYTES.load(Relaxed))
}
fn main() {
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    let a = snap();
    let n = pulldown_cmark::Parser::new_ext(&text, runbook_syntax::markdown_options())
        .into_offset_iter()
        .count();
    let b = snap();
    let d = runbook_syntax::parse("x.md", &text);
    let c = snap();
    let g = runbook_graph::StepGraph::build(&d);
    let e = snap();
    println!(
        "walk: {} allocs {} KB ({n} events)",
        b.0 - a.0,
        (b.1 - a.1) / 1024
    );
    println!(
        "parse: {} allocs {} KB, {} items",
        c.0 - b.0,
        (c.1 - b.1) / 1024,
        d.items.len()
    );
    println!(
        "graph: {} allocs {} KB, {} steps",
        e.0 - c.0,
        (e.1 - c.1) / 1024,
        g.steps.len()
    );
}
