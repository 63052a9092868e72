use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;
use ulid::Ulid;

use crate::error::TimelineError;
use crate::event::{Event, EventDraft, SCHEMA_VERSION, to_millis};
use crate::state_dir::sync_dir;

/// Appends events to one `timeline.jsonl`, safely alongside other writers of the same file.
///
/// Each append takes an exclusive lock on the file, finds the last sequence number (re-reading
/// the file's tail only if someone else wrote since our last append), and writes every new line
/// in one `write` on an `O_APPEND` descriptor. Lines are never rewritten.
///
/// Durability: [`append`](Self::append) and [`append_batch`](Self::append_batch) return once
/// their lines are on disk (`fdatasync`), except for lines that need no sync (`step.output`).
/// [`append_batch_deferred`](Self::append_batch_deferred) only writes: the lines survive a crash
/// of this process at once, a crash of the machine once the next synced append, [`sync`]
/// (Self::sync) or drop has synced the file.
#[derive(Debug)]
pub struct TimelineWriter {
    path: PathBuf,
    file: File,
    actor: String,
    last_seq: u64,
    /// File length right after our last successful append; `None` forces a tail scan.
    known_len: Option<u64>,
    /// Lines were written since the last `fdatasync`.
    unsynced: bool,
}

/// Whether an append waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncMode {
    /// Sync when any of the events needs it.
    AsNeeded,
    /// Leave syncing to a later append, [`TimelineWriter::sync`] or drop.
    Deferred,
}

/// Lines are scanned from the end in windows of this size, doubled until a line with a
/// sequence number is found.
const TAIL_WINDOW: u64 = 64 * 1024;

impl TimelineWriter {
    /// Opens `path` for appending, creating it (and syncing its directory) if missing.
    /// `actor` is recorded on every event whose draft names none.
    pub fn open(path: impl Into<PathBuf>, actor: impl Into<String>) -> Result<Self, TimelineError> {
        let path = path.into();
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| TimelineError::io("open timeline", &path, e))?;
        if !existed && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            sync_dir(dir)?;
        }
        Ok(Self {
            path,
            file,
            actor: actor.into(),
            last_seq: 0,
            known_len: None,
            unsynced: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Appends one event and returns it as written.
    pub fn append(&mut self, draft: impl Into<EventDraft>) -> Result<Event, TimelineError> {
        let mut events = self.append_batch([draft.into()])?;
        Ok(events.remove(0))
    }

    /// Appends several events with consecutive sequence numbers in one write and at most one
    /// fsync (e.g. `step.finished` followed by the next `step.started`).
    pub fn append_batch(
        &mut self,
        drafts: impl IntoIterator<Item = EventDraft>,
    ) -> Result<Vec<Event>, TimelineError> {
        self.append_with(drafts, SyncMode::AsNeeded)
    }

    /// Appends several events in one write without waiting for the disk. For events that a
    /// synced append follows within moments (`step.finished` of an unattended run, synced with
    /// the next `step.started`), so each step costs one `fdatasync` instead of two.
    pub fn append_batch_deferred(
        &mut self,
        drafts: impl IntoIterator<Item = EventDraft>,
    ) -> Result<Vec<Event>, TimelineError> {
        self.append_with(drafts, SyncMode::Deferred)
    }

    /// Makes every line written so far durable; does nothing when all of them already are.
    pub fn sync(&mut self) -> Result<(), TimelineError> {
        if self.unsynced {
            self.file
                .sync_data()
                .map_err(|source| TimelineError::NotDurable {
                    path: self.path.clone(),
                    source,
                })?;
            self.unsynced = false;
        }
        Ok(())
    }

    fn append_with(
        &mut self,
        drafts: impl IntoIterator<Item = EventDraft>,
        mode: SyncMode,
    ) -> Result<Vec<Event>, TimelineError> {
        let drafts: Vec<EventDraft> = drafts.into_iter().collect();
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        self.file
            .lock()
            .map_err(|e| TimelineError::io("lock timeline", &self.path, e))?;
        let appended = self.append_locked(drafts, mode);
        let unlocked = self
            .file
            .unlock()
            .map_err(|e| TimelineError::io("unlock timeline", &self.path, e));
        let events = appended?;
        unlocked?;
        Ok(events)
    }

    fn append_locked(
        &mut self,
        drafts: Vec<EventDraft>,
        mode: SyncMode,
    ) -> Result<Vec<Event>, TimelineError> {
        let len = self
            .file
            .metadata()
            .map_err(|e| TimelineError::io("inspect timeline", &self.path, e))?
            .len();
        let mut needs_newline = false;
        if self.known_len != Some(len) {
            let tail = scan_tail(&self.file, len)
                .map_err(|e| TimelineError::io("read timeline", &self.path, e))?;
            self.last_seq = tail.last_seq;
            needs_newline = !tail.ends_with_newline;
        }

        let recorded_at = to_millis(Timestamp::now());
        let needs_sync =
            mode == SyncMode::AsNeeded && drafts.iter().any(|draft| draft.kind.needs_sync());
        let mut buffer = Vec::new();
        if needs_newline {
            // A crash left a torn line; start ours on a fresh line so it stays readable.
            buffer.push(b'\n');
        }
        let mut events = Vec::with_capacity(drafts.len());
        for (offset, draft) in (1u64..).zip(drafts) {
            let event = Event {
                v: SCHEMA_VERSION,
                seq: self.last_seq + offset,
                id: Ulid::new(),
                ts: draft.ts.map_or(recorded_at, to_millis),
                recorded_at,
                actor: draft.actor.unwrap_or_else(|| self.actor.clone()),
                step: draft.step,
                kind: draft.kind,
                supersedes: draft.supersedes,
            };
            serde_json::to_writer(&mut buffer, &event).map_err(|source| {
                TimelineError::Serialize {
                    what: "timeline event",
                    source,
                }
            })?;
            buffer.push(b'\n');
            events.push(event);
        }

        if let Err(error) = self.file.write_all(&buffer) {
            // Drop a partial line so the file stays clean; we hold the lock, so nobody else
            // appended after it. Best effort: if this fails too, readers skip the torn line.
            let _ = self.file.set_len(len);
            self.known_len = None;
            return Err(TimelineError::io("append to timeline", &self.path, error));
        }
        self.known_len = None;
        self.unsynced = true;
        if needs_sync {
            self.sync()?;
        }
        self.last_seq += events.len() as u64;
        self.known_len = Some(len + buffer.len() as u64);
        Ok(events)
    }
}

/// Lines appended with a deferred sync must not stay in the page cache only because the run
/// ended (or failed) before the next synced append. Best effort: there is no one left to tell.
impl Drop for TimelineWriter {
    fn drop(&mut self) {
        let _ = self.sync();
    }
}

struct TailInfo {
    last_seq: u64,
    ends_with_newline: bool,
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

/// Finds the sequence number of the last readable line and whether the file ends cleanly.
/// An unterminated last line counts only if it is a complete event, as the reader does.
fn scan_tail(file: &File, len: u64) -> std::io::Result<TailInfo> {
    if len == 0 {
        return Ok(TailInfo {
            last_seq: 0,
            ends_with_newline: true,
        });
    }
    let mut window = TAIL_WINDOW.min(len);
    loop {
        let start = len - window;
        let mut bytes = vec![0u8; window as usize];
        file.read_exact_at(&mut bytes, start)?;
        let ends_with_newline = bytes.last() == Some(&b'\n');
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
        if start > 0 {
            // The first piece may be the end of a longer line that began before the window.
            lines.remove(0);
        }
        if let Some(last_seq) = lines
            .iter()
            .rev()
            .find_map(|line| serde_json::from_slice::<SeqOnly>(line).ok())
            .map(|found| found.seq)
        {
            return Ok(TailInfo {
                last_seq,
                ends_with_newline,
            });
        }
        if start == 0 {
            return Ok(TailInfo {
                last_seq: 0,
                ends_with_newline,
            });
        }
        window = (window * 2).min(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Note, StepOutput};

    fn note(text: &str) -> EventDraft {
        EventDraft::new(Note {
            text: text.to_owned(),
        })
    }

    #[test]
    fn deferred_lines_are_written_at_once_and_numbered_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("timeline.jsonl");
        let mut writer = TimelineWriter::open(&path, "automation").expect("open");
        writer.append(note("synced")).expect("append");
        assert!(!writer.unsynced, "a synced append leaves nothing to sync");
        let deferred = writer
            .append_batch_deferred([
                EventDraft::new(StepOutput {
                    tail: String::new(),
                    log: "steps/001-a.log".to_owned(),
                    bytes: 0,
                    redactions: 0,
                })
                .step("a"),
                note("deferred"),
            ])
            .expect("deferred");
        assert_eq!(deferred.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        assert!(writer.unsynced);
        // Written, not held in memory: another reader sees the lines before any sync.
        let (read, warnings) = crate::read_timeline(&path).expect("read");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(read.len(), 3);
        // The next synced append syncs them along with its own line.
        assert_eq!(writer.append(note("next")).expect("append").seq, 4);
        assert!(!writer.unsynced);
        writer
            .append_batch_deferred([note("last")])
            .expect("deferred");
        writer.sync().expect("sync");
        assert!(!writer.unsynced);
    }

    #[test]
    fn a_deferred_write_that_fails_is_reported_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("timeline.jsonl");
        std::os::unix::fs::symlink("/dev/full", &path).expect("symlink");
        let mut writer = TimelineWriter::open(&path, "automation").expect("open /dev/full");
        let error = writer
            .append_batch_deferred([note("lost?")])
            .expect_err("disk is full");
        assert!(
            error.to_string().contains("No space left on device"),
            "{error}"
        );
    }
}
