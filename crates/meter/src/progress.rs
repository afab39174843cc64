//! A progress bar on a terminal for long work; nothing when output is not a terminal.

use billing::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A byte-count bar drawn on stderr.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar labelled `what`, shown only when stderr is a terminal and `quiet` is false.
    pub fn new(what: &str, quiet: bool) -> Bar {
        Bar::styled(what, quiet, "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
    }

    /// A bar counting records rather than bytes.
    pub fn records(what: &str, quiet: bool) -> Bar {
        Bar::styled(what, quiet, "{msg} [{bar:40}] {human_pos}/{human_len} records ({per_sec}, {eta})")
    }

    /// A bar counting `unit` (customers).
    pub fn counting(what: &str, unit: &str, quiet: bool) -> Bar {
        Bar::styled(what, quiet, &format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{elapsed}})"))
    }

    /// A bar labelled `what` drawn with `template`, unless `quiet` or stderr is not a terminal.
    fn styled(what: &str, quiet: bool, template: &str) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(template)
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what.to_owned());
        Bar(Some(bar))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn at(&self, done: u64) {
        if let Some(b) = &self.0 {
            b.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
