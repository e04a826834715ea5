//! Work over a big program's steps (or nodes, tasks, list entries), split across the
//! machine's cores. It lives here, in the bottom layer, so that the IR, the graph and the
//! exporters share one way of doing it.

/// Below this many items a thread costs more than it saves.
const PER_THREAD: usize = 256;

/// `work` on consecutive chunks of `items`, one chunk a core (at most 8), results in order.
/// Small inputs are done in one piece on the calling thread.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    if items.len() < 2 * PER_THREAD {
        return vec![work(items)];
    }
    // Asked once per process: the answer reads files (the cgroup's quota), and one command
    // splits several lists.
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let threads =
        *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)));
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads).max(PER_THREAD);
    let work = &work;
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks.map(|c| scope.spawn(move || work(c))).collect();
        let mut results = vec![work(first)];
        results.extend(
            others
                .into_iter()
                .map(|h| h.join().expect("a worker panicked")),
        );
        results
    })
}

/// Writes each of `items` as `write` makes it, separated by `separator`: made a chunk at a
/// time on every core ([`map_chunks`]) and written in order, the same bytes as making them
/// one after another. `item_bytes` is about how much one item makes, for buffers made once.
pub fn write_joined<T: Sync>(
    out: &mut impl std::io::Write,
    items: &[T],
    separator: &[u8],
    item_bytes: usize,
    write: impl Fn(&T, &mut Vec<u8>) + Sync,
) -> std::io::Result<()> {
    let chunks = map_chunks(items, |items| {
        let mut text = Vec::with_capacity(items.len() * (item_bytes + separator.len()));
        for item in items {
            text.extend_from_slice(separator);
            write(item, &mut text);
        }
        text
    });
    for (i, chunk) in chunks.iter().enumerate() {
        // Each chunk starts with a separator; the first item has none before it.
        out.write_all(if i == 0 {
            &chunk[separator.len().min(chunk.len())..]
        } else {
            chunk
        })?;
    }
    Ok(())
}
