//! An environment's output: what its processes write to stdout and
//! stderr (one pipe, so the order holds), split into each invocation's
//! log for `LogType: Tail` and appended to the function's log file, where
//! CloudWatch Logs would have it on AWS.
//!
//! Ballast's Python bootstrap writes [`END_MARKER`] and the request id
//! once a handler's output is flushed, which tells the reader that the
//! invocation's log is whole; the marker never reaches a log.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ballast_core::lambda::invoke::LOG_TAIL_BYTES;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The line that ends an invocation's output (followed by its id).
pub(crate) const END_MARKER: &str = "\u{1}ballast-invocation-end ";

/// The most of an invocation's log kept in memory. Only its last
/// [`LOG_TAIL_BYTES`] are ever shown (`LogType: Tail`), and a function that
/// prints without end must not fill Ballast's memory; the log file keeps
/// everything.
const KEPT_BYTES: usize = 64 * 1024;

/// The most output read as one piece: a longer line is read in pieces, so
/// a function that never prints a newline is held to this much too.
const PIECE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Default)]
struct Book {
    /// The log of the invocation running now (its end, when it is long).
    current: String,
    /// The last invocation whose end marker was read.
    ended: Option<String>,
}

impl Book {
    /// Appends `text` to the current log, dropping its start once it
    /// passes [`KEPT_BYTES`] (down to the tail, cut at a character).
    fn append(&mut self, text: &str) {
        self.current.push_str(text);
        if self.current.len() > KEPT_BYTES {
            let mut start = self.current.len() - LOG_TAIL_BYTES;
            while !self.current.is_char_boundary(start) {
                start -= 1;
            }
            self.current.drain(..start);
        }
    }
}

/// One environment's log, fed by a reader thread.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    book: Mutex<Book>,
    changed: Notify,
}

impl Logs {
    /// Reads `pipe` on a thread of its own until every writer closed it,
    /// appending each line to the current invocation's log and to `file`.
    pub fn follow(self: &Arc<Self>, pipe: std::io::PipeReader, mut file: Option<File>) {
        let logs = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("lambda-logs".to_owned())
            .spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut line = Vec::new();
                while reader
                    .by_ref()
                    .take(PIECE_BYTES)
                    .read_until(b'\n', &mut line)
                    .is_ok_and(|n| n > 0)
                {
                    let text = String::from_utf8_lossy(&line);
                    if let Some(id) = text.strip_prefix(END_MARKER) {
                        logs.book().ended = Some(id.trim_end().to_owned());
                    } else {
                        if let Some(file) = file.as_mut() {
                            let _ = file.write_all(&line);
                        }
                        logs.book().append(&text);
                    }
                    line.clear();
                    logs.changed.notify_waiters();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "a function's output is not collected");
        }
    }

    /// Starts an invocation's log with the platform's `START` line.
    pub fn begin(&self, request_id: &str) {
        let mut book = self.book();
        book.current = format!("START RequestId: {request_id} Version: $LATEST\n");
        book.ended = None;
    }

    /// Waits (up to `limit`) for the runtime's end marker of `request_id`.
    pub async fn wait_for_end(&self, request_id: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            if self.book().ended.as_deref() == Some(request_id) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return;
            }
        }
    }

    /// Ends the invocation's log with the platform's `END` and `REPORT`
    /// lines and returns it.
    pub fn finish(&self, request_id: &str, duration: Duration, memory_mb: i32) -> String {
        let mut book = self.book();
        let millis = duration.as_secs_f64() * 1000.0;
        book.current.push_str(&format!(
            "END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {millis:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory_mb} MB\n",
            millis.ceil()
        ));
        std::mem::take(&mut book.current)
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_invocations_log_is_its_lines_between_start_and_report() {
        let logs = Arc::new(Logs::default());
        let (reader, mut writer) = std::io::pipe().expect("a pipe");
        logs.follow(reader, None);
        logs.begin("r-1");
        writer
            .write_all(format!("hello\n{END_MARKER}r-1\n").as_bytes())
            .expect("written");
        logs.wait_for_end("r-1", Duration::from_secs(5)).await;
        let log = logs.finish("r-1", Duration::from_millis(12), 128);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines[0], "START RequestId: r-1 Version: $LATEST");
        assert_eq!(lines[1], "hello");
        assert_eq!(lines[2], "END RequestId: r-1");
        assert!(lines[3].starts_with("REPORT RequestId: r-1\tDuration: 12.00 ms"));
        assert!(!log.contains("ballast-invocation-end"));
    }

    #[tokio::test]
    async fn endless_output_is_kept_to_its_tail_in_memory_and_whole_in_the_file() {
        let logs = Arc::new(Logs::default());
        let (reader, mut writer) = std::io::pipe().expect("a pipe");
        let path = std::env::temp_dir().join(format!("ballast-logs-{}", std::process::id()));
        let file = File::create(&path).expect("a log file");
        logs.follow(reader, Some(file));
        logs.begin("r-1");
        // A megabyte of lines, then a megabyte with no newline at all.
        let lines = "é line of output\n".repeat(60_000);
        let endless = "x".repeat(1 << 20);
        let mut written = 0;
        for piece in [lines.as_str(), endless.as_str(), "\nlast words\n"] {
            writer.write_all(piece.as_bytes()).expect("written");
            written += piece.len();
            assert!(
                logs.book().current.len() <= KEPT_BYTES + PIECE_BYTES as usize,
                "the log in memory is bounded"
            );
        }
        writer
            .write_all(format!("{END_MARKER}r-1\n").as_bytes())
            .expect("written");
        logs.wait_for_end("r-1", Duration::from_secs(5)).await;
        let log = logs.finish("r-1", Duration::from_millis(12), 128);
        assert!(log.len() <= KEPT_BYTES + 512, "{} bytes kept", log.len());
        assert!(log.contains("xxxx\nlast words\nEND RequestId: r-1\n"));
        let saved = std::fs::read(&path).expect("the log file");
        let _ = std::fs::remove_file(&path);
        assert_eq!(saved.len(), written, "the file has every byte");
    }
}
