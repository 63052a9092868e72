//! TEMPORARY (perf work): counts allocations per phase.
#![allow(unsafe_code)]
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn snapshot() -> (usize, usize, usize) {
    (ALLOCS.load(Relaxed), REALLOCS.load(Relaxed), BYTES.load(Relaxed))
}

fn main() {
    let text = runbook_graph::generate_runbook(5 * 1024 * 1024, 10_000);
    let a = snapshot();
    let document = runbook_syntax::parse("x.md", &text);
    let b = snapshot();
    let graph = runbook_graph::StepGraph::build(&document);
    let c = snapshot();
    let d0 = document.clone();
    let d = snapshot();
    let g0 = graph.clone();
    let e = snapshot();
    drop((d0, g0));
    println!("parse: {} allocs {} reallocs {} KB", b.0 - a.0, b.1 - a.1, (b.2 - a.2) / 1024);
    println!("graph: {} allocs {} reallocs {} KB", c.0 - b.0, c.1 - b.1, (c.2 - b.2) / 1024);
    println!("clone doc: {} allocs {} KB; clone graph: {} allocs {} KB", d.0 - c.0, (d.2 - c.2) / 1024, e.0 - d.0, (e.2 - d.2) / 1024);
    let f = snapshot();
    let scans: Vec<_> = graph.steps.iter().filter_map(|s| s.script.as_ref()).map(|s| runbook_syntax::shell_scan::scan_all(&s.text)).collect();
    let g = snapshot();
    println!("scan_all of {} scripts: {} allocs {} reallocs", scans.len(), g.0 - f.0, g.1 - f.1);
    println!("items {} steps {}", document.items.len(), graph.steps.len());
}
