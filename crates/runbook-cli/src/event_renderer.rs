//! Renders executor events on the terminal: each step's heading, prose,
//! command and flags; live output with an elapsed-time line; results.

use console::{Style, Term};
use runbook_exec::{
    Event, EventSink, OutputStream, RunStatus, SinkError, StepResult, StepView, humanize,
};
use std::io::Write;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

struct Styles {
    bold: Style,
    dim: Style,
    red: Style,
    green: Style,
    yellow: Style,
    cyan: Style,
    magenta: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        let make = |style: Style| if color { style } else { Style::new() };
        Styles {
            bold: make(Style::new().bold()),
            dim: make(Style::new().dim()),
            red: make(Style::new().red().bold()),
            green: make(Style::new().green()),
            yellow: make(Style::new().yellow()),
            cyan: make(Style::new().cyan()),
            magenta: make(Style::new().magenta()),
        }
    }
}

/// How often the elapsed-time line is redrawn.
const TICK: Duration = Duration::from_millis(250);
/// The elapsed-time line appears only after the step has been quiet this long.
const QUIET_BEFORE_TICKING: Duration = Duration::from_millis(800);

/// The "⏱ 3.2s" line, redrawn while a captured step is quiet.
struct Ticker {
    /// Dropping it stops the thread at once (no waiting out a tick).
    stop: mpsc::Sender<()>,
    handle: std::thread::JoinHandle<()>,
}

pub struct EventRenderer {
    out: Term,
    styles: Styles,
    /// Draw the elapsed-time line (only on a terminal).
    live: bool,
    /// Held while writing so output and the ticker line do not interleave.
    screen: Arc<Mutex<ScreenState>>,
    ticker: Option<Ticker>,
    run_hint: String,
    unattended: bool,
    /// The step being offered runs on the terminal itself (an editor, a
    /// REPL): nothing may be drawn over it.
    step_owns_terminal: bool,
}

#[derive(Default)]
struct ScreenState {
    ticker_visible: bool,
    last_output: Option<Instant>,
    started: Option<Instant>,
    at_line_start: bool,
}

impl EventRenderer {
    pub fn new(color: bool, live: bool, run_hint: String, unattended: bool) -> Self {
        EventRenderer {
            out: Term::stdout(),
            styles: Styles::new(color),
            live,
            screen: Arc::new(Mutex::new(ScreenState {
                at_line_start: true,
                ..ScreenState::default()
            })),
            ticker: None,
            run_hint,
            unattended,
            step_owns_terminal: false,
        }
    }

    fn line(&self, text: impl AsRef<str>) {
        let mut screen = self.screen.lock().unwrap_or_else(|e| e.into_inner());
        clear_ticker(&self.out, &mut screen);
        let _ = self.out.write_line(text.as_ref());
    }

    fn start_ticker(&mut self) {
        self.stop_ticker();
        {
            let mut screen = self.screen.lock().unwrap_or_else(|e| e.into_inner());
            screen.started = Some(Instant::now());
            screen.last_output = None;
            screen.at_line_start = true;
        }
        if !self.live || self.step_owns_terminal {
            return;
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let screen = Arc::clone(&self.screen);
        let out = self.out.clone();
        let dim = self.styles.dim.clone();
        let handle = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                let mut state = screen.lock().unwrap_or_else(|e| e.into_inner());
                let quiet = state
                    .last_output
                    .is_none_or(|at| at.elapsed() > QUIET_BEFORE_TICKING);
                // Only on an empty line: a half-written output line is never overdrawn.
                if quiet && state.at_line_start {
                    let elapsed = state.started.map(|s| s.elapsed()).unwrap_or_default();
                    // One row only: a wrapped line could not be cleared in place.
                    let width = out
                        .size_checked()
                        .map(|(_, cols)| usize::from(cols))
                        .unwrap_or(80);
                    let _ = out.clear_line();
                    let _ = write!(&out, "{}", dim.apply_to(ticker_text(elapsed, width)));
                    let _ = out.flush();
                    state.ticker_visible = true;
                }
            }
        });
        self.ticker = Some(Ticker { stop, handle });
    }

    fn stop_ticker(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            drop(ticker.stop);
            let _ = ticker.handle.join();
        }
        let mut screen = self.screen.lock().unwrap_or_else(|e| e.into_inner());
        clear_ticker(&self.out, &mut screen);
        if !screen.at_line_start {
            let _ = self.out.write_line("");
            screen.at_line_start = true;
        }
    }

    fn announce(&self, view: &StepView) {
        let s = &self.styles;
        let heading = view.heading_path.join(" › ");
        let kind = if view.kind == "shell" {
            String::new()
        } else {
            format!(" [{}]", view.kind)
        };
        self.line("");
        self.line(format!(
            "{}{}",
            s.cyan.apply_to(format!(
                "── step {}/{} · {}",
                view.position, view.total, view.id
            )),
            s.dim.apply_to(format!(
                "{}{kind}",
                if heading.is_empty() {
                    String::new()
                } else {
                    format!(" · {heading}")
                }
            ))
        ));
        // A step without prose is titled by its first command line; do not print it twice.
        let first_command_line = view
            .display_command
            .as_deref()
            .and_then(|command| command.lines().next())
            .map(str::trim);
        if first_command_line != Some(view.title.trim()) {
            self.line(s.bold.apply_to(&view.title).to_string());
        }
        if let Some(instruction) = &view.instruction
            && instruction.trim() != view.title.trim()
        {
            for text in instruction.lines() {
                self.line(format!("  {text}"));
            }
        }
        for (language, text) in &view.context {
            self.line(
                s.dim
                    .apply_to(format!("  ┌ {language} (shown, not run)"))
                    .to_string(),
            );
            for text in text.lines() {
                self.line(s.dim.apply_to(format!("  │ {text}")).to_string());
            }
        }
        if let Some(command) = &view.display_command {
            for text in command.trim_end().lines() {
                self.line(format!(
                    "  {} {}",
                    s.dim.apply_to("$"),
                    s.bold.apply_to(text)
                ));
            }
        }
        if !view.variables.is_empty() {
            let shown: Vec<String> = view
                .variables
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            self.line(
                s.dim
                    .apply_to(format!("  with {}", shown.join(" ")))
                    .to_string(),
            );
        }
        if let Some(expected) = &view.expected_output {
            self.line(s.dim.apply_to("  expected output:").to_string());
            for text in expected.lines().take(8) {
                self.line(s.dim.apply_to(format!("  │ {text}")).to_string());
            }
        }
        if !view.session_input.is_empty() {
            self.line(
                s.dim
                    .apply_to("  then type inside the session:")
                    .to_string(),
            );
            for text in &view.session_input {
                self.line(format!("  {} {text}", s.dim.apply_to(">")));
            }
        }
        if !view.destructive.is_empty() {
            self.line(
                s.red
                    .apply_to(format!("  ⚠ destructive: {}", view.destructive.join(", ")))
                    .to_string(),
            );
        }
        if !view.endless.is_empty() {
            let until = view
                .timeout
                .map(|t| format!("stops after {}", humanize(t)))
                .unwrap_or_else(|| "runs until you press Ctrl-C".into());
            self.line(
                s.yellow
                    .apply_to(format!(
                        "  ∞ never ends by itself ({}): {until}",
                        view.endless.join(", ")
                    ))
                    .to_string(),
            );
        }
        if !view.interactive.is_empty() {
            self.line(
                s.yellow
                    .apply_to(format!(
                        "  ⌨ interactive: {} — it gets the terminal",
                        view.interactive.join(", ")
                    ))
                    .to_string(),
            );
        }
        if view.retries > 0 {
            self.line(
                s.dim
                    .apply_to(format!("  retries up to {} times", view.retries))
                    .to_string(),
            );
        }
    }

    fn output(&self, stream: OutputStream, bytes: &[u8]) {
        let mut screen = self.screen.lock().unwrap_or_else(|e| e.into_inner());
        clear_ticker(&self.out, &mut screen);
        screen.last_output = Some(Instant::now());
        screen.at_line_start = bytes.last() == Some(&b'\n');
        match stream {
            OutputStream::Stdout => {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(bytes);
                let _ = stdout.flush();
            }
            OutputStream::Stderr => {
                // Keep step stderr on our stdout so it stays in order with stdout.
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(bytes);
                let _ = stdout.flush();
            }
        }
    }
}

/// The elapsed-time line, cut to fit one terminal row.
fn ticker_text(elapsed: Duration, width: usize) -> String {
    let full = format!("  ⏱ {} · Ctrl-C stops the step", humanize(elapsed));
    let short = format!("  ⏱ {}", humanize(elapsed));
    let fits = |text: &str| text.chars().count() < width;
    if fits(&full) {
        full
    } else if fits(&short) {
        short
    } else {
        String::new()
    }
}

fn clear_ticker(out: &Term, screen: &mut ScreenState) {
    if screen.ticker_visible {
        let _ = out.clear_line();
        screen.ticker_visible = false;
    }
}

impl Drop for EventRenderer {
    fn drop(&mut self) {
        self.stop_ticker();
    }
}

impl EventSink for EventRenderer {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        match event {
            Event::StepFinished { .. } | Event::RunPaused { .. } | Event::RunFinished { .. } => {
                self.stop_ticker()
            }
            Event::StepStarted { attempt, .. } => {
                if *attempt > 1 {
                    self.line(
                        self.styles
                            .dim
                            .apply_to(format!("  retry {attempt}…"))
                            .to_string(),
                    );
                }
                self.start_ticker();
                return Ok(());
            }
            _ => {}
        }
        let s = &self.styles;
        match event {
            Event::RunStarted {
                title,
                steps,
                resumed,
                ..
            } => {
                let verb = if *resumed { "resuming" } else { "running" };
                let mode = if self.unattended { ", unattended" } else { "" };
                let plural = if *steps == 1 { "" } else { "s" };
                self.line(format!(
                    "{} {}",
                    s.bold.apply_to(format!("▶ {title}")),
                    s.dim
                        .apply_to(format!("— {verb}, {steps} step{plural}{mode}"))
                ));
            }
            Event::StepAnnounced { view } => {
                self.step_owns_terminal = !view.interactive.is_empty() || view.kind == "session";
                self.announce(view);
            }
            Event::InputProvided {
                name,
                secret,
                source,
                value,
            } => {
                let shown = if *secret {
                    "••••••".to_string()
                } else {
                    value.clone().unwrap_or_default()
                };
                self.line(
                    s.dim
                        .apply_to(format!("  {name}={shown} (from {})", source.as_str()))
                        .to_string(),
                );
            }
            Event::StepStarted { .. } => {}
            Event::Output { stream, bytes, .. } => self.output(*stream, bytes),
            Event::StepEdited { edited, .. } => {
                self.line(
                    s.yellow
                        .apply_to("  edited (the original stays in the timeline); it now runs:")
                        .to_string(),
                );
                for text in edited.trim_end().lines() {
                    self.line(format!(
                        "  {} {}",
                        s.dim.apply_to("$"),
                        s.bold.apply_to(text)
                    ));
                }
            }
            Event::StepFinished {
                result,
                exit_code,
                duration,
                detail,
                ..
            } => {
                let took = humanize(*duration);
                match result {
                    StepResult::Ok => {
                        self.line(s.green.apply_to(format!("  ✓ ok ({took})")).to_string())
                    }
                    other => {
                        let code = exit_code
                            .map(|c| format!(", exit code {c}"))
                            .unwrap_or_default();
                        let detail = detail
                            .as_ref()
                            .map(|d| format!(" — {d}"))
                            .unwrap_or_default();
                        self.line(
                            s.red
                                .apply_to(format!("  ✗ {}{code} ({took}){detail}", other.as_str()))
                                .to_string(),
                        );
                        // No tail here: the output's last lines are right above, every
                        // chunk was rendered as it came (or went to the terminal itself).
                    }
                }
            }
            Event::StepSkipped { reason, .. } => {
                self.line(s.dim.apply_to(format!("  ↷ skipped: {reason}")).to_string())
            }
            Event::ManualConfirmed { unattended, .. } => {
                let how = if *unattended {
                    "done (unattended)"
                } else {
                    "done"
                };
                self.line(s.green.apply_to(format!("  ✓ {how}")).to_string());
            }
            Event::PromptAnswered { .. } => {}
            Event::Note { .. } => self.line(s.magenta.apply_to("  ✎ note recorded").to_string()),
            Event::Marked { which, at } => {
                let when = at.clone().unwrap_or_else(|| "now".into());
                self.line(
                    s.magenta
                        .apply_to(format!("  ⚑ marked {which} ({when})"))
                        .to_string(),
                );
            }
            Event::Warning { message } => {
                self.line(s.yellow.apply_to(format!("warning: {message}")).to_string())
            }
            Event::RunPaused { reason } => {
                self.line("");
                self.line(
                    s.yellow
                        .apply_to(format!(
                            "⏸ paused ({reason}); state saved. {}",
                            self.run_hint
                        ))
                        .to_string(),
                );
            }
            Event::RunFinished {
                status,
                ok,
                failed,
                skipped,
                not_run,
            } => {
                self.line("");
                let summary =
                    format!("{ok} ok, {failed} failed, {skipped} skipped, {not_run} not run");
                let line = match status {
                    RunStatus::Ok => s
                        .green
                        .apply_to(format!("✓ finished: {summary}"))
                        .to_string(),
                    _ => s
                        .red
                        .apply_to(format!("✗ {}: {summary}", run_status_word(*status)))
                        .to_string(),
                };
                self.line(line);
                self.line(s.dim.apply_to(&self.run_hint).to_string());
            }
        }
        Ok(())
    }
}

fn run_status_word(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Ok => "finished",
        RunStatus::Failed => "failed",
        RunStatus::Paused => "paused",
        RunStatus::Interrupted => "interrupted",
        RunStatus::Aborted => "aborted",
    }
}

#[cfg(test)]
mod tests {
    use super::ticker_text;
    use std::time::Duration;

    #[test]
    fn the_elapsed_time_line_always_fits_one_row() {
        let elapsed = Duration::from_millis(83_400);
        assert_eq!(
            ticker_text(elapsed, 120),
            "  ⏱ 1m23s · Ctrl-C stops the step"
        );
        assert_eq!(ticker_text(elapsed, 20), "  ⏱ 1m23s");
        assert_eq!(ticker_text(elapsed, 8), "");
        for width in 0..60 {
            assert!(
                ticker_text(elapsed, width).chars().count() < width.max(1),
                "too wide for {width} columns"
            );
        }
    }
}
