use std::fmt;
use std::time::Instant;

/// Which of the step's output pipes a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

impl fmt::Display for OutputStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputStream::Stdout => "stdout",
            OutputStream::Stderr => "stderr",
        })
    }
}

/// Bytes a captured step wrote, delivered as soon as they were read.
///
/// Chunks follow pipe reads, not lines: a line may be split across chunks and a chunk may hold
/// many lines. `at` is when the bytes were read, so interleaving of the two streams can be
/// reconstructed by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    pub stream: OutputStream,
    pub bytes: Vec<u8>,
    pub at: Instant,
}
