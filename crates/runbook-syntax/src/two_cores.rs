//! Work split over two threads when the machine has a second core.

/// Whether the machine lets this process run two threads at once. Asked
/// once: the standard library reads the cgroup files on every call, which
/// costs more than a small parse.
pub fn second_core_available() -> bool {
    static SECOND_CORE: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        std::thread::available_parallelism().map_or(1, usize::from) >= 2
    });
    *SECOND_CORE
}

/// Vectors at least this long are dropped in two halves on two threads:
/// below it, starting a thread costs about what it saves.
const PARALLEL_DROP: usize = 2048;

/// For the `Drop` of each holder of `shared`: when it is the last, empties
/// the vector, the second half dropped on another thread when there are many.
/// A large document's items each own several allocations, and freeing them
/// takes as long as a good part of the parse.
pub fn drop_shared_in_halves<T: Send>(shared: &mut std::sync::Arc<Vec<T>>) {
    let Some(values) = std::sync::Arc::get_mut(shared) else {
        return;
    };
    let mut values = std::mem::take(values);
    if values.len() < PARALLEL_DROP || !second_core_available() {
        return;
    }
    let later = values.split_off(values.len() / 2);
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("runbook-drop".to_string())
            .spawn_scoped(scope, move || drop(later));
        drop(values);
        // A thread that could not start dropped nothing: `later` went back with the error.
        if let Ok(thread) = spawned {
            let _ = thread.join();
        }
    });
}
