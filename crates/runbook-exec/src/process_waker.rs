use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use signal_hook::SigId;
use signal_hook::consts::SIGCHLD;

/// Wakes a supervising thread blocked in `poll`: written to when a child process changes state
/// (SIGCHLD, through signal-hook's self-pipe registration, so the signal handler only writes a
/// byte) and when an [`crate::Interrupter`] is triggered.
///
/// Both ends are non-blocking: a full socket already guarantees a pending wake-up, so writers
/// may drop bytes, and the reader empties it without blocking.
#[derive(Debug)]
pub(crate) struct StepWaker {
    reader: UnixStream,
    writer: Arc<UnixStream>,
    sigchld_registration: SigId,
}

impl StepWaker {
    pub(crate) fn new() -> io::Result<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        let sigchld_registration =
            signal_hook::low_level::pipe::register(SIGCHLD, writer.try_clone()?)?;
        Ok(StepWaker {
            reader,
            writer: Arc::new(writer),
            sigchld_registration,
        })
    }

    /// The end an [`crate::Interrupter`] writes to.
    pub(crate) fn writer(&self) -> Arc<UnixStream> {
        Arc::clone(&self.writer)
    }

    pub(crate) fn wake(writer: &UnixStream) {
        // `WouldBlock` means the socket is full, so a wake-up is pending anyway.
        let _ = (&*writer).write(&[1]);
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.reader.as_fd()
    }

    /// Consumes pending wake-ups.
    pub(crate) fn drain(&self) {
        let mut buffer = [0u8; 256];
        while matches!((&self.reader).read(&mut buffer), Ok(read) if read > 0) {}
    }
}

impl Drop for StepWaker {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.sigchld_registration);
    }
}
