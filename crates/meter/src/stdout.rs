//! Where commands write: stdout, failing instead of panicking, and noting when its reader went
//! away (`meter jobs list | head -1`) so that the command ends quietly, as a Unix tool does;
//! and stderr for notes, which a closed stderr does not stop.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status of a command whose reader went away: what a shell reports for a tool killed
/// by SIGPIPE (128 + 13), so that scripts see `meter … | head` as they see `cat … | head`.
pub const READER_GONE_STATUS: u8 = 141;

/// Set when a write to stdout found no reader: the error that follows is its consequence.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout found that its reader had gone away.
pub fn reader_gone() -> bool {
    READER_GONE.load(Ordering::Relaxed)
}

/// Notes a broken pipe on the way out.
fn noted<T>(result: io::Result<T>) -> io::Result<T> {
    if let Err(e) = &result {
        if e.kind() == io::ErrorKind::BrokenPipe {
            READER_GONE.store(true, Ordering::Relaxed);
        }
    }
    result
}

/// Stdout, buffered, for long output (a listing): flushed by [`Out::finish`], or when dropped.
pub struct Out(BufWriter<io::StdoutLock<'static>>);

impl Out {
    pub fn new() -> Out {
        Out(BufWriter::with_capacity(1 << 16, io::stdout().lock()))
    }

    /// Writes what is still buffered.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        noted(self.0.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        noted(self.0.write_all(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        noted(self.0.flush())
    }
}

/// Writes to stdout at once (what `out!` and `outln!` do).
pub fn print(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    noted(out.write_fmt(args).and_then(|()| out.flush()))
}

/// Writes a line to stderr with control characters escaped; a stderr nobody reads is ignored
/// (the work goes on, and stdout tells whether anyone still listens).
pub fn print_note(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    let _ = writeln!(io::stderr().lock(), "{}", crate::escape::printable_lines(&text));
}

/// Like `print!`, through [`print`]: an `io::Result` instead of a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::print(format_args!($($arg)*))
    };
}

/// Like `println!`, through [`print`]: an `io::Result` instead of a panic.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `eprintln!`, through [`print_note`]: escaped, and never a panic.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::stdout::print_note(format_args!($($arg)*))
    };
}

pub(crate) use {note, out, outln};
