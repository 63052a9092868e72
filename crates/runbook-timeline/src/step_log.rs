use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::TimelineError;
use crate::event::StepOutput;
use crate::state_dir::STEPS_DIR;

/// Size of the output tail kept in memory and recorded in `step.output`.
pub const OUTPUT_TAIL_BYTES: usize = 4096;

/// Once this much more has been written, the kernel is asked to start writing the log to disk;
/// see [`StepLog::start_writeback`].
const WRITEBACK_WINDOW: u64 = 8 * 1024 * 1024;

/// A step's full output log, `steps/<NNN>-<step-id>.log`, plus a bounded in-memory tail for the
/// `step.output` event. The bytes must already be redacted.
///
/// The file is created with the first output: a step that prints nothing has no log file (its
/// `step.output` says `bytes: 0`). Creating a file is a change to the directory that the next
/// fsync of the timeline must commit to the file system's journal as well, which would cost every
/// silent step a good part of a millisecond on a disk.
#[derive(Debug)]
pub struct StepLog {
    /// `None` until the first output.
    file: Option<BufWriter<File>>,
    path: PathBuf,
    relative_path: String,
    tail: VecDeque<u8>,
    bytes: u64,
    /// Where the last writeback request started, and how far it reached.
    writeback: (u64, u64),
}

impl StepLog {
    /// The log under `run_dir/steps/`, created (or, for a repeated index, appended to) when the
    /// step first prints.
    pub fn create(run_dir: &Path, index: usize, step_id: &str) -> Result<Self, TimelineError> {
        let file_name = format!("{index:03}-{}.log", file_safe(step_id));
        let path = run_dir.join(STEPS_DIR).join(&file_name);
        Ok(Self {
            file: None,
            path,
            relative_path: format!("{STEPS_DIR}/{file_name}"),
            tail: VecDeque::with_capacity(OUTPUT_TAIL_BYTES),
            bytes: 0,
            writeback: (0, 0),
        })
    }

    /// The highest index of the logs under `run_dir/steps/`, 0 when there are none. A resumed
    /// run numbers its logs on from there: silent steps have no log file, so counting the files
    /// would reuse numbers.
    pub fn highest_index(run_dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(run_dir.join(STEPS_DIR)) else {
            return 0;
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let digits =
                    name.len() - name.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                name[..digits].parse::<usize>().ok()
            })
            .max()
            .unwrap_or(0)
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), TimelineError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::new(open_log(&self.path)?)),
        };
        file.write_all(bytes)
            .map_err(|e| TimelineError::io("write step log", &self.path, e))?;
        self.bytes += bytes.len() as u64;
        let keep = &bytes[bytes.len().saturating_sub(OUTPUT_TAIL_BYTES)..];
        let overflow = (self.tail.len() + keep.len()).saturating_sub(OUTPUT_TAIL_BYTES);
        self.tail.drain(..overflow);
        self.tail.extend(keep);
        if self.bytes - self.writeback.1 >= WRITEBACK_WINDOW {
            self.start_writeback()?;
        }
        Ok(())
    }

    /// Asks the kernel to start writing what was logged to disk now, while the step runs, so
    /// that the sync in [`finish`](Self::finish) has little left to wait for: a step printing a
    /// gigabyte would otherwise wait a second or more for the disk after it ended. The advice
    /// (`POSIX_FADV_DONTNEED`) also drops pages already written from the page cache, which a log
    /// read by nobody for now need not fill. Best effort: without it, `finish` writes it all.
    fn start_writeback(&mut self) -> Result<(), TimelineError> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        file.flush()
            .map_err(|e| TimelineError::io("write step log", &self.path, e))?;
        // Back to the previous request's start: its pages were still being written then, and are
        // clean (so can be dropped) now.
        let (previous_start, previous_end) = self.writeback;
        #[cfg(target_os = "linux")]
        {
            use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};
            let length = self.bytes - previous_start;
            let _ = posix_fadvise(
                file.get_ref(),
                i64::try_from(previous_start).unwrap_or(i64::MAX),
                i64::try_from(length).unwrap_or(0),
                PosixFadviseAdvice::POSIX_FADV_DONTNEED,
            );
        }
        self.writeback = (previous_end, self.bytes);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Path relative to the run directory, as recorded in `step.output`.
    pub fn relative_path(&self) -> &str {
        &self.relative_path
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// The last [`OUTPUT_TAIL_BYTES`] bytes written.
    pub fn tail(&self) -> Vec<u8> {
        self.tail.iter().copied().collect()
    }

    /// The tail as text: a character cut by the tail's start is dropped, invalid UTF-8 replaced.
    pub fn tail_text(&self) -> String {
        let tail = self.tail();
        let cut = if self.bytes > tail.len() as u64 {
            tail.iter()
                .take(3)
                .take_while(|&&byte| byte & 0b1100_0000 == 0b1000_0000)
                .count()
        } else {
            0
        };
        String::from_utf8_lossy(&tail[cut..]).into_owned()
    }

    /// Flushes and fsyncs the log, if the step printed anything; returns the `step.output` data
    /// for it.
    pub fn finish(mut self, redactions: u64) -> Result<StepOutput, TimelineError> {
        if let Some(file) = &mut self.file {
            file.flush()
                .map_err(|e| TimelineError::io("write step log", &self.path, e))?;
            file.get_ref()
                .sync_data()
                .map_err(|e| TimelineError::io("sync step log", &self.path, e))?;
        }
        Ok(StepOutput {
            tail: self.tail_text(),
            log: self.relative_path.clone(),
            bytes: self.bytes,
            redactions,
        })
    }
}

fn open_log(path: &Path) -> Result<File, TimelineError> {
    if let Some(steps) = path.parent() {
        std::fs::create_dir_all(steps)
            .map_err(|e| TimelineError::io("create step log directory", steps, e))?;
    }
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| TimelineError::io("create step log", path, e))
}

/// Step ids come from headings; keep file names portable and free of path separators.
fn file_safe(step_id: &str) -> String {
    let safe: String = step_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "step".to_owned()
    } else {
        safe.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_prints_nothing_leaves_no_file() {
        let run = tempfile::tempdir().expect("tempdir");
        let mut log = StepLog::create(run.path(), 1, "quiet").expect("create");
        log.write(b"").expect("write nothing");
        let output = log.finish(0).expect("finish");
        assert_eq!(output.bytes, 0);
        assert!(!run.path().join(&output.log).exists());
        assert!(!run.path().join(STEPS_DIR).exists());
    }

    #[test]
    fn the_highest_index_is_read_off_the_log_names() {
        let run = tempfile::tempdir().expect("tempdir");
        assert_eq!(StepLog::highest_index(run.path()), 0);
        for (index, id) in [(2, "a"), (10, "b"), (7, "c")] {
            let mut log = StepLog::create(run.path(), index, id).expect("create");
            log.write(b"x").expect("write");
            log.finish(0).expect("finish");
        }
        std::fs::write(run.path().join(STEPS_DIR).join("notes.txt"), "").expect("stray file");
        assert_eq!(StepLog::highest_index(run.path()), 10);
    }

    #[test]
    fn writes_full_log_and_keeps_bounded_tail() {
        let run = tempfile::tempdir().expect("tempdir");
        let mut log = StepLog::create(run.path(), 3, "restart api/../x").expect("create");
        assert_eq!(log.relative_path(), "steps/003-restart-api-..-x.log");
        let mut expected = Vec::new();
        for i in 0..2000u32 {
            let line = format!("line {i}\n");
            log.write(line.as_bytes()).expect("write");
            expected.extend_from_slice(line.as_bytes());
        }
        assert_eq!(log.tail().len(), OUTPUT_TAIL_BYTES);
        assert!(expected.ends_with(&log.tail()));
        let path = log.path().to_owned();
        let output = log.finish(2).expect("finish");
        assert_eq!(std::fs::read(&path).expect("read"), expected);
        assert_eq!(output.bytes, expected.len() as u64);
        assert_eq!(output.redactions, 2);
        assert_eq!(output.log, "steps/003-restart-api-..-x.log");
        assert!(output.tail.ends_with("line 1999\n"));
    }

    #[test]
    fn a_log_larger_than_the_writeback_window_is_complete() {
        let run = tempfile::tempdir().expect("tempdir");
        let mut log = StepLog::create(run.path(), 4, "big").expect("create");
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
        let chunks = (2 * WRITEBACK_WINDOW as usize + 100_000) / chunk.len();
        for _ in 0..chunks {
            log.write(&chunk).expect("write");
        }
        assert!(log.writeback.1 >= WRITEBACK_WINDOW, "writeback was started");
        let path = log.path().to_owned();
        let output = log.finish(0).expect("finish");
        let written = std::fs::read(&path).expect("read");
        assert_eq!(written.len(), chunks * chunk.len());
        assert_eq!(output.bytes, written.len() as u64);
        assert!(
            written
                .chunks(chunk.len())
                .all(|piece| piece == chunk.as_slice())
        );
    }

    #[test]
    fn tail_text_drops_character_cut_at_the_start() {
        let run = tempfile::tempdir().expect("tempdir");
        let mut log = StepLog::create(run.path(), 1, "unicode").expect("create");
        // 'é' is two bytes; make the tail start on its second byte.
        log.write("é".as_bytes()).expect("write");
        log.write(&vec![b'a'; OUTPUT_TAIL_BYTES - 1])
            .expect("write");
        let text = log.tail_text();
        assert_eq!(text.len(), OUTPUT_TAIL_BYTES - 1);
        assert!(!text.contains('\u{FFFD}'));
    }

    #[test]
    fn invalid_utf8_output_is_kept_in_log_and_replaced_in_tail() {
        let run = tempfile::tempdir().expect("tempdir");
        let mut log = StepLog::create(run.path(), 2, "bin").expect("create");
        log.write(b"ok \xff\xfe end").expect("write");
        assert_eq!(log.tail_text(), "ok \u{FFFD}\u{FFFD} end");
        let path = log.path().to_owned();
        log.finish(0).expect("finish");
        assert_eq!(std::fs::read(path).expect("read"), b"ok \xff\xfe end");
    }
}
