//! Asks the operator on the terminal: single keys for step actions,
//! dialoguer for text, choices and confirmations, a no-echo key loop for
//! secrets, `$VISUAL`/`$EDITOR` for multi-line edits.
//!
//! Ctrl-C at any prompt ends the run with its state saved: while a prompt
//! waits, the terminal delivers Ctrl-C as a key (see [`PromptTerminalMode`]),
//! and an interrupt recorded just before a prompt is taken before it shows.

use console::{Key, Style, Term};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};
use nix::sys::termios::{self, FlushArg, LocalFlags, SetArg, Termios};
use runbook_exec::{
    FailureAction, FailureView, Interrupter, JumpTarget, ManualAction, MarkRequest, PromptError,
    PromptResult, Prompter, StepAction, StepStatusLine, StepView, ValueRequest,
};
use runbook_syntax::INCIDENT_MARKS;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;

pub struct TerminalPrompter {
    /// Where prompts are drawn: stderr, or stdout when stderr is redirected.
    term: Term,
    theme: ColorfulTheme,
    interrupter: Interrupter,
    styles: PromptStyles,
}

struct PromptStyles {
    dim: Style,
    bold: Style,
    red: Style,
    yellow: Style,
}

const STEP_KEYS: &str = "Enter run · s skip · e edit · n note · j jump · l list · q quit · ? more";

// Written line by line: a `\` continuation would strip the first indent.
const STEP_HELP: &str = concat!(
    "  Enter/y  run the step            s  skip it\n",
    "  e        edit the command first  n  add a note to the timeline\n",
    "  j        jump to another step    l  list steps and their status\n",
    "  m        mark detected/mitigated/resolved…\n",
    "  q        quit (state is saved)   Ctrl-C at a prompt quits too",
);

const MANUAL_HELP: &str = concat!(
    "  Enter/d  done                    s  skip it\n",
    "  n        add a note              j  jump to another step\n",
    "  l        list steps              m  mark detected/mitigated/resolved…\n",
    "  q        quit (state is saved)   Ctrl-C at a prompt quits too",
);

const FAILURE_HELP: &str = concat!(
    "  r  run it again                  e  edit the command, then run it\n",
    "  s  skip it and go on             j  jump to another step\n",
    "  q  quit (state is saved)         Ctrl-C quits too",
);

impl TerminalPrompter {
    pub fn new(interrupter: Interrupter, color: bool) -> Self {
        let theme = if color {
            ColorfulTheme::default()
        } else {
            plain_theme()
        };
        let stderr = Term::stderr();
        // Keys are read from the terminal either way; prompts must land on one.
        let on_stderr = stderr.is_term() || !Term::stdout().is_term();
        let term = if on_stderr { stderr } else { Term::stdout() };
        // Styles follow the colour decision made for the stream they are written to.
        let make = |style: Style| match (color, on_stderr) {
            (false, _) => Style::new(),
            (true, true) => style.for_stderr(),
            (true, false) => style.for_stdout(),
        };
        TerminalPrompter {
            term,
            theme,
            interrupter,
            styles: PromptStyles {
                dim: make(Style::new().dim()),
                bold: make(Style::new().bold()),
                red: make(Style::new().red().bold()),
                yellow: make(Style::new().yellow()),
            },
        }
    }

    /// Fails when no answer can come, and when Ctrl-C was pressed since the last prompt.
    fn ready(&self) -> PromptResult<()> {
        if self.interrupter.take_pending_interrupt() {
            return Err(PromptError::Interrupted);
        }
        if !self.term.is_term() {
            return Err(PromptError::Unavailable(
                "the prompts have no terminal to show on (stdout and stderr are redirected)".into(),
            ));
        }
        Ok(())
    }

    /// Shows `prompt` and reads single keys until `pick` accepts one; any other key shows `help`.
    fn choose<T>(
        &self,
        prompt: &str,
        help: &str,
        pick: impl Fn(&Key) -> Option<(T, &'static str)>,
    ) -> PromptResult<T> {
        self.ready()?;
        let _mode = PromptTerminalMode::engage();
        loop {
            self.ready()?;
            let _ = self.term.write_str(prompt);
            let key = self.term.read_key_raw().map_err(map_io);
            let key = match key {
                Ok(Key::CtrlC) | Err(PromptError::Interrupted) => {
                    let _ = self.term.write_line("");
                    return Err(PromptError::Interrupted);
                }
                Ok(key) => key,
                Err(error) => {
                    let _ = self.term.write_line("");
                    return Err(error);
                }
            };
            match pick(&key) {
                Some((choice, label)) => {
                    let _ = self
                        .term
                        .write_line(&self.styles.dim.apply_to(label).to_string());
                    return Ok(choice);
                }
                None => {
                    let _ = self.term.write_line("");
                    self.say(help);
                }
            }
        }
    }

    /// Runs a dialoguer prompt: Ctrl-C quits, and the cursor is shown again whatever happens.
    fn dialog<T>(
        &self,
        prompt: impl FnOnce(&Term, &ColorfulTheme) -> dialoguer::Result<T>,
    ) -> PromptResult<T> {
        self.ready()?;
        let mode = PromptTerminalMode::engage();
        let answer = prompt(&self.term, &self.theme);
        drop(mode);
        let _ = self.term.show_cursor();
        let answer = answer.map_err(|dialoguer::Error::IO(error)| map_io(error));
        if answer.is_err() {
            let _ = self.term.write_line("");
        }
        let answer = answer?;
        if self.interrupter.take_pending_interrupt() {
            return Err(PromptError::Interrupted);
        }
        Ok(answer)
    }

    /// Reads a line without echoing it, one key at a time so Ctrl-C is seen.
    fn secret_line(&self, prompt: &str) -> PromptResult<String> {
        self.ready()?;
        let _mode = PromptTerminalMode::engage();
        let _ = self.term.write_str(&format!(
            "{} {} ",
            self.styles.bold.apply_to(prompt),
            self.styles.dim.apply_to("(hidden as you type) ›")
        ));
        let mut secret = String::new();
        loop {
            let key = match self.term.read_key_raw() {
                Ok(key) => key,
                Err(error) => {
                    let _ = self.term.write_line("");
                    return Err(map_io(error));
                }
            };
            if key == Key::CtrlC || self.interrupter.take_pending_interrupt() {
                let _ = self.term.write_line("");
                return Err(PromptError::Interrupted);
            }
            match key {
                Key::Enter => break,
                Key::Backspace => {
                    secret.pop();
                }
                // Ctrl-U, as in a shell: start over.
                Key::Char('\u{15}') => secret.clear(),
                Key::Char(c) if !c.is_control() => secret.push(c),
                _ => {}
            }
        }
        let _ = self.term.write_line("");
        Ok(secret)
    }

    /// Opens the command in `$VISUAL`/`$EDITOR` (run through `sh`, as git
    /// does). `None` when the editor failed or was interrupted.
    fn edit_in_editor(&self, command: &str) -> PromptResult<Option<String>> {
        self.ready()?;
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .filter_map(std::env::var_os)
            .find(|value| !value.is_empty())
            .map(|value| value.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vi".to_string());
        let file = ScratchFile::create(command).map_err(|error| {
            PromptError::Unavailable(format!("cannot write the command to edit: {error}"))
        })?;
        let _ = self.term.show_cursor();
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("runbook-edit")
            .arg(&file.path)
            .status();
        // Ctrl-C inside the editor belongs to the editor, not to the run.
        let _ = self.interrupter.take_pending_interrupt();
        let status = match status {
            Ok(status) => status,
            Err(error) => {
                self.say(&format!(
                    "  cannot start the editor `{editor}`: {error}; the command is unchanged"
                ));
                return Ok(None);
            }
        };
        if !status.success() {
            let how = match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with status {code}"),
                (None, Some(signal)) => format!("was stopped by signal {signal}"),
                (None, None) => "failed".to_string(),
            };
            self.say(&format!(
                "  the editor `{editor}` {how}; the command is unchanged"
            ));
            return Ok(None);
        }
        let edited = std::fs::read_to_string(&file.path).map_err(|error| {
            PromptError::Unavailable(format!("cannot read the edited command back: {error}"))
        })?;
        Ok(Some(edited))
    }

    fn say(&self, text: &str) {
        let _ = self.term.write_line(text);
    }
}

/// The terminal's mode while a prompt waits, restored when dropped (best
/// effort, with `stty` on stdin; keys are read from there).
///
/// - No echo: keys typed between two key reads (or pasted into a secret)
///   never show up by themselves; prompts draw what they accept.
/// - No signal keys: Ctrl-C always reaches the read as a key. As a SIGINT it
///   would only be recorded while the read blocked until the next key.
struct PromptTerminalMode {
    saved: Option<Termios>,
}

impl PromptTerminalMode {
    /// No echo and no signals while a prompt reads keys, so Ctrl-C arrives as a key; keys
    /// typed while a step ran are thrown away so they cannot answer this prompt.
    fn engage() -> Self {
        let stdin = std::io::stdin();
        let Ok(saved) = termios::tcgetattr(&stdin) else {
            return PromptTerminalMode { saved: None };
        };
        let _ = termios::tcflush(&stdin, FlushArg::TCIFLUSH);
        let mut quiet = saved.clone();
        quiet
            .local_flags
            .remove(LocalFlags::ECHO | LocalFlags::ISIG);
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
        PromptTerminalMode { saved: Some(saved) }
    }
}

impl Drop for PromptTerminalMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSANOW, saved);
        }
    }
}

/// A private temporary file holding a command while it is edited; removed when dropped.
struct ScratchFile {
    path: PathBuf,
}

impl ScratchFile {
    fn create(text: &str) -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let mut attempt = 0;
        let (path, mut file) = loop {
            let path = std::env::temp_dir().join(format!(
                "runbook-edit-{}-{nanos}-{attempt}.sh",
                std::process::id()
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => break (path, file),
                Err(error)
                    if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 =>
                {
                    attempt += 1
                }
                Err(error) => return Err(error),
            }
        };
        let scratch = ScratchFile { path };
        file.write_all(text.as_bytes())?;
        Ok(scratch)
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for TerminalPrompter {
    fn drop(&mut self) {
        // A prompt cut short must not leave the operator without a cursor.
        if self.term.is_term() {
            let _ = self.term.show_cursor();
        }
    }
}

fn plain_theme() -> ColorfulTheme {
    let plain = Style::new();
    ColorfulTheme {
        defaults_style: plain.clone(),
        prompt_style: plain.clone(),
        prompt_prefix: console::style("?".to_string()),
        prompt_suffix: console::style("›".to_string()),
        success_prefix: console::style("✔".to_string()),
        success_suffix: console::style("·".to_string()),
        error_prefix: console::style("✘".to_string()),
        error_style: plain.clone(),
        hint_style: plain.clone(),
        values_style: plain.clone(),
        active_item_style: plain.clone(),
        inactive_item_style: plain.clone(),
        active_item_prefix: console::style("❯".to_string()),
        inactive_item_prefix: console::style(" ".to_string()),
        checked_item_prefix: console::style("✔".to_string()),
        unchecked_item_prefix: console::style("⬚".to_string()),
        picked_item_prefix: console::style("❯".to_string()),
        unpicked_item_prefix: console::style(" ".to_string()),
    }
}

fn map_io(error: std::io::Error) -> PromptError {
    match error.kind() {
        std::io::ErrorKind::Interrupted => PromptError::Interrupted,
        std::io::ErrorKind::UnexpectedEof => {
            PromptError::Unavailable("the terminal closed (end of input)".into())
        }
        _ => PromptError::Unavailable(format!("cannot read from the terminal: {error}")),
    }
}

/// The edited text as the engine compares it: unchanged edits are the
/// original exactly, and every command ends with a newline.
fn normalise_edit(original: &str, edited: &str) -> Option<String> {
    if edited.trim().is_empty() {
        return None;
    }
    if edited.trim_end() == original.trim_end() {
        return Some(original.to_string());
    }
    Some(format!("{}\n", edited.trim_end_matches(['\n', '\r'])))
}

impl Prompter for TerminalPrompter {
    fn step_action(&mut self, _step: &StepView) -> PromptResult<StepAction> {
        let prompt = format!(
            "{} {} ",
            self.styles.bold.apply_to("run this step?"),
            self.styles.dim.apply_to(format!("[{STEP_KEYS}]"))
        );
        self.choose(&prompt, STEP_HELP, |key| {
            Some(match key {
                Key::Enter | Key::Char('y' | 'Y') => (StepAction::Run, "run"),
                Key::Char('s') => (StepAction::Skip, "skip"),
                Key::Char('e') => (StepAction::Edit, "edit"),
                Key::Char('n') => (StepAction::Note, "note"),
                Key::Char('j') => (StepAction::Jump, "jump"),
                Key::Char('l') => (StepAction::List, "list"),
                Key::Char('m') => (StepAction::Mark, "mark"),
                Key::Char('q') => (StepAction::Quit, "quit"),
                _ => return None,
            })
        })
    }

    fn manual_action(&mut self, _step: &StepView) -> PromptResult<ManualAction> {
        let prompt = format!(
            "{} {} ",
            self.styles.bold.apply_to("done?"),
            self.styles
                .dim
                .apply_to("[Enter/d done · s skip · n note · j jump · l list · q quit · ? more]")
        );
        self.choose(&prompt, MANUAL_HELP, |key| {
            Some(match key {
                Key::Enter | Key::Char('d' | 'y' | 'Y') => (ManualAction::Done, "done"),
                Key::Char('s') => (ManualAction::Skip, "skip"),
                Key::Char('n') => (ManualAction::Note, "note"),
                Key::Char('j') => (ManualAction::Jump, "jump"),
                Key::Char('l') => (ManualAction::List, "list"),
                Key::Char('m') => (ManualAction::Mark, "mark"),
                Key::Char('q') => (ManualAction::Quit, "quit"),
                _ => return None,
            })
        })
    }

    fn failure_action(&mut self, failure: &FailureView) -> PromptResult<FailureAction> {
        let what = match (failure.result, failure.exit_code) {
            ("failed", Some(code)) => format!("`{}` failed with exit code {code}", failure.id),
            ("interrupted", _) => format!("`{}` was interrupted", failure.id),
            ("timed-out", _) => format!("`{}` timed out", failure.id),
            (result, _) => format!("`{}` {result}", failure.id),
        };
        let again = if failure.result == "interrupted" {
            " · Ctrl-C quit"
        } else {
            ""
        };
        // Enter deliberately does nothing here: a habitual Enter must not re-run a failed step.
        let prompt = format!(
            "{} {} ",
            self.styles.red.apply_to(format!("✗ {what}:")),
            self.styles.dim.apply_to(format!(
                "[r retry · e edit · s skip · j jump · q quit{again}]"
            ))
        );
        self.choose(&prompt, FAILURE_HELP, |key| {
            Some(match key {
                Key::Char('r') => (FailureAction::Retry, "retry"),
                Key::Char('e') => (FailureAction::Edit, "edit"),
                Key::Char('s') => (FailureAction::Skip, "skip"),
                Key::Char('j') => (FailureAction::Jump, "jump"),
                Key::Char('q') => (FailureAction::Quit, "quit"),
                _ => return None,
            })
        })
    }

    fn confirm(&mut self, question: &str) -> PromptResult<bool> {
        self.dialog(|term, theme| {
            Confirm::with_theme(theme)
                .with_prompt(question)
                .default(false)
                .interact_on(term)
        })
    }

    fn typed_confirmation(&mut self, step: &StepView, accepted: &[String]) -> PromptResult<bool> {
        let prompt = format!(
            "{} — type `{}` or `yes` to run it (anything else cancels)",
            self.styles.red.apply_to("destructive step"),
            step.id
        );
        let typed: String = self.dialog(|term, theme| {
            Input::with_theme(theme)
                .with_prompt(prompt)
                .allow_empty(true)
                .report(false)
                .interact_text_on(term)
        })?;
        let matched = accepted.iter().any(|answer| answer == typed.trim());
        if !matched {
            self.say(
                &self
                    .styles
                    .yellow
                    .apply_to("  not confirmed; the step did not run")
                    .to_string(),
            );
        }
        Ok(matched)
    }

    fn value(&mut self, request: &ValueRequest) -> PromptResult<String> {
        let prompt = format!(
            "{} ({}, needed by {})",
            request.prompt, request.name, request.step_id
        );
        if !request.choices.is_empty() {
            let default = request
                .default
                .as_ref()
                .and_then(|d| request.choices.iter().position(|c| c == d))
                .unwrap_or(0);
            // A value is required: Esc does nothing here, Ctrl-C quits.
            let index = self.dialog(|term, theme| {
                Select::with_theme(theme)
                    .with_prompt(prompt)
                    .items(&request.choices)
                    .default(default)
                    .interact_on(term)
            })?;
            return Ok(request.choices[index].clone());
        }
        let pattern = request
            .pattern
            .as_ref()
            .and_then(|p| regex::Regex::new(&format!("^(?:{p})$")).ok());
        if request.secret {
            loop {
                let value = self.secret_line(&prompt)?;
                if value.is_empty() {
                    self.say("  a value is needed (Ctrl-C quits)");
                    continue;
                }
                match &pattern {
                    Some(re) if !re.is_match(&value) => self.say(&format!(
                        "  does not match the pattern {}",
                        request.pattern.as_deref().unwrap_or("")
                    )),
                    _ => return Ok(value),
                }
            }
        }
        self.dialog(|term, theme| {
            let mut input = Input::<String>::with_theme(theme).with_prompt(prompt);
            if let Some(default) = &request.default {
                input = input.default(default.clone());
            }
            if let Some(re) = pattern {
                let shown = request.pattern.clone().unwrap_or_default();
                input = input.validate_with(move |value: &String| {
                    if re.is_match(value) {
                        Ok(())
                    } else {
                        Err(format!("must match {shown}"))
                    }
                });
            }
            input.interact_text_on(term)
        })
    }

    fn edit_command(&mut self, _step: &StepView, command: &str) -> PromptResult<Option<String>> {
        let has_editor = ["VISUAL", "EDITOR"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
        if has_editor || command.trim_end().contains('\n') {
            let edited = self.edit_in_editor(command)?;
            return Ok(edited.and_then(|edited| normalise_edit(command, &edited)));
        }
        let edited: String = self.dialog(|term, theme| {
            Input::with_theme(theme)
                .with_prompt("edit the command (Enter to keep it)")
                .with_initial_text(command.trim_end())
                .allow_empty(true)
                .interact_text_on(term)
        })?;
        Ok(normalise_edit(command, &edited))
    }

    fn note(&mut self) -> PromptResult<Option<String>> {
        let text: String = self.dialog(|term, theme| {
            Input::with_theme(theme)
                .with_prompt("note for the timeline")
                .allow_empty(true)
                .interact_text_on(term)
        })?;
        Ok((!text.trim().is_empty()).then(|| text.trim().to_string()))
    }

    fn jump(&mut self, targets: &[JumpTarget]) -> PromptResult<Option<usize>> {
        let items: Vec<String> = targets
            .iter()
            .map(|t| {
                format!(
                    "{:>3}. {:<28} {:<8} {} — {}",
                    t.position + 1,
                    t.id,
                    t.status,
                    t.title,
                    t.heading
                )
            })
            .collect();
        let current = targets
            .iter()
            .position(|t| t.status == "current")
            .unwrap_or(0);
        self.dialog(|term, theme| {
            Select::with_theme(theme)
                .with_prompt("jump to (↑/↓, Enter; Esc stays here)")
                .items(&items)
                .default(current)
                .max_length(15)
                .interact_on_opt(term)
        })
        .map(|choice| choice.map(|index| targets[index].position))
    }

    fn mark(&mut self) -> PromptResult<Option<MarkRequest>> {
        let Some(index) = self.dialog(|term, theme| {
            Select::with_theme(theme)
                .with_prompt("mark which incident timestamp? (Esc cancels)")
                .items(INCIDENT_MARKS)
                .default(1)
                .interact_on_opt(term)
        })?
        else {
            return Ok(None);
        };
        let at: String = self.dialog(|term, theme| {
            Input::with_theme(theme)
                .with_prompt("when? (Enter = now; 14:05 = today UTC; -10m; or RFC 3339)")
                .allow_empty(true)
                .validate_with(|text: &String| {
                    if text.trim().is_empty() {
                        Ok(())
                    } else {
                        crate::time_input::parse_time(text, jiff::Timestamp::now()).map(|_| ())
                    }
                })
                .interact_text_on(term)
        })?;
        Ok(Some(MarkRequest {
            which: INCIDENT_MARKS[index].to_string(),
            at: (!at.trim().is_empty()).then(|| at.trim().to_string()),
        }))
    }

    fn show_list(&mut self, lines: &[StepStatusLine]) {
        for line in lines {
            let marker = if line.current { "▶" } else { " " };
            self.say(&format!(
                "{marker}{:>3}. {:<8} {:<28} {}",
                line.position,
                line.status,
                line.id,
                self.styles.dim.apply_to(&line.title)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_edit;

    #[test]
    fn an_edit_that_changes_nothing_is_the_original_exactly() {
        assert_eq!(
            normalise_edit("echo one\n", "echo one"),
            Some("echo one\n".to_string())
        );
        assert_eq!(
            normalise_edit("echo one\n", "echo one\n\n"),
            Some("echo one\n".to_string())
        );
    }

    #[test]
    fn an_edit_ends_with_one_newline_and_empty_means_cancelled() {
        assert_eq!(
            normalise_edit("echo one\n", "echo two"),
            Some("echo two\n".to_string())
        );
        assert_eq!(
            normalise_edit("echo one\n", "echo two\r\n\n"),
            Some("echo two\n".to_string())
        );
        assert_eq!(normalise_edit("echo one\n", "  \n"), None);
    }
}
