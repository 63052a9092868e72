//! Asks the operator on the terminal: single keys for step actions,
//! dialoguer for text, secrets (no echo), choices and confirmations.

use console::{Key, Style, Term};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Editor, Input, Password, Select};
use runbook_exec::{
    FailureAction, FailureView, Interrupter, JumpTarget, ManualAction, MarkRequest, PromptError, PromptResult, Prompter, StepAction,
    StepStatusLine, StepView, ValueRequest,
};
use runbook_syntax::INCIDENT_MARKS;

pub struct TerminalPrompter {
    term: Term,
    theme: ColorfulTheme,
    interrupter: Interrupter,
    dim: Style,
}

const STEP_HELP: &str = "\
  Enter/y  run the step            s  skip it
  e        edit the command first  n  add a note to the timeline
  j        jump to another step    l  list steps and their status
  m        mark detected/mitigated/resolved…
  q        quit (state is saved; `runbook resume` continues)
  ?        this help               Ctrl-C at a prompt quits too";

impl TerminalPrompter {
    pub fn new(interrupter: Interrupter, color: bool) -> Self {
        let theme = if color { ColorfulTheme::default() } else { plain_theme() };
        TerminalPrompter { term: Term::stderr(), theme, interrupter, dim: if color { Style::new().dim() } else { Style::new() } }
    }

    /// Reads one key. Ctrl-C (as a key in raw mode, or a pending SIGINT) is an interrupt.
    fn key(&self, prompt: &str) -> PromptResult<Key> {
        if self.interrupter.take_pending_interrupt() {
            return Err(PromptError::Interrupted);
        }
        let _ = self.term.write_str(prompt);
        let key = self.term.read_key().map_err(map_io)?;
        let _ = self.term.write_line("");
        match key {
            Key::CtrlC => Err(PromptError::Interrupted),
            key => Ok(key),
        }
    }

    fn say(&self, text: &str) {
        let _ = self.term.write_line(text);
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
    if error.kind() == std::io::ErrorKind::Interrupted {
        PromptError::Interrupted
    } else {
        PromptError::Unavailable(error.to_string())
    }
}

fn map_dialoguer(error: dialoguer::Error) -> PromptError {
    match error {
        dialoguer::Error::IO(error) => map_io(error),
    }
}

impl Prompter for TerminalPrompter {
    fn step_action(&mut self, _step: &StepView) -> PromptResult<StepAction> {
        loop {
            let key = self.key("run this step? [Enter/y run · s skip · e edit · n note · j jump · l list · m mark · q quit · ? help] ")?;
            return Ok(match key {
                Key::Enter | Key::Char('y') | Key::Char('Y') => StepAction::Run,
                Key::Char('s') => StepAction::Skip,
                Key::Char('e') => StepAction::Edit,
                Key::Char('n') => StepAction::Note,
                Key::Char('j') => StepAction::Jump,
                Key::Char('l') => StepAction::List,
                Key::Char('m') => StepAction::Mark,
                Key::Char('q') => StepAction::Quit,
                _ => {
                    self.say(STEP_HELP);
                    continue;
                }
            });
        }
    }

    fn manual_action(&mut self, _step: &StepView) -> PromptResult<ManualAction> {
        loop {
            let key = self.key("done? [Enter/d done · s skip · n note · j jump · l list · m mark · q quit · ? help] ")?;
            return Ok(match key {
                Key::Enter | Key::Char('d') | Key::Char('y') => ManualAction::Done,
                Key::Char('s') => ManualAction::Skip,
                Key::Char('n') => ManualAction::Note,
                Key::Char('j') => ManualAction::Jump,
                Key::Char('l') => ManualAction::List,
                Key::Char('m') => ManualAction::Mark,
                Key::Char('q') => ManualAction::Quit,
                _ => {
                    self.say("  Enter/d  done   s  skip   n  note   j  jump   l  list   m  mark   q  quit (state saved)");
                    continue;
                }
            });
        }
    }

    fn failure_action(&mut self, failure: &FailureView) -> PromptResult<FailureAction> {
        let _ = failure;
        loop {
            let key = self.key("step did not succeed: [r retry · e edit · s skip · j jump · q quit] ")?;
            return Ok(match key {
                Key::Char('r') | Key::Enter => FailureAction::Retry,
                Key::Char('e') => FailureAction::Edit,
                Key::Char('s') => FailureAction::Skip,
                Key::Char('j') => FailureAction::Jump,
                Key::Char('q') => FailureAction::Quit,
                _ => {
                    self.say("  r  run it again   e  edit the command, then run   s  skip and go on   j  jump   q  quit (state saved)");
                    continue;
                }
            });
        }
    }

    fn confirm(&mut self, question: &str) -> PromptResult<bool> {
        Confirm::with_theme(&self.theme).with_prompt(question).default(false).interact_on(&self.term).map_err(map_dialoguer)
    }

    fn typed_confirmation(&mut self, step: &StepView, accepted: &[String]) -> PromptResult<bool> {
        let prompt = format!("destructive step — type `{}` or `yes` to run it (anything else cancels)", step.id);
        let typed: String = Input::with_theme(&self.theme).with_prompt(prompt).allow_empty(true).interact_text_on(&self.term).map_err(map_dialoguer)?;
        let matched = accepted.iter().any(|answer| answer == typed.trim());
        if !matched {
            self.say("  not confirmed; the step did not run");
        }
        Ok(matched)
    }

    fn value(&mut self, request: &ValueRequest) -> PromptResult<String> {
        let prompt = format!("{} ({}, needed by {})", request.prompt, request.name, request.step_id);
        if !request.choices.is_empty() {
            let default = request.default.as_ref().and_then(|d| request.choices.iter().position(|c| c == d)).unwrap_or(0);
            let index = Select::with_theme(&self.theme)
                .with_prompt(prompt)
                .items(&request.choices)
                .default(default)
                .interact_on_opt(&self.term)
                .map_err(map_dialoguer)?
                .ok_or(PromptError::Interrupted)?;
            return Ok(request.choices[index].clone());
        }
        let pattern = request.pattern.as_ref().and_then(|p| regex::Regex::new(&format!("^(?:{p})$")).ok());
        if request.secret {
            loop {
                let value = Password::with_theme(&self.theme).with_prompt(&prompt).allow_empty_password(false).interact_on(&self.term).map_err(map_dialoguer)?;
                match &pattern {
                    Some(re) if !re.is_match(&value) => self.say(&format!("  does not match the pattern {}", request.pattern.as_deref().unwrap_or(""))),
                    _ => return Ok(value),
                }
            }
        }
        let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
        if let Some(default) = &request.default {
            input = input.default(default.clone());
        }
        if let Some(re) = pattern {
            let shown = request.pattern.clone().unwrap_or_default();
            input = input.validate_with(move |value: &String| if re.is_match(value) { Ok(()) } else { Err(format!("must match {shown}")) });
        }
        input.interact_text_on(&self.term).map_err(map_dialoguer)
    }

    fn edit_command(&mut self, _step: &StepView, command: &str) -> PromptResult<Option<String>> {
        let has_editor = std::env::var_os("VISUAL").or_else(|| std::env::var_os("EDITOR")).is_some();
        if has_editor || command.trim_end().contains('\n') {
            let edited = Editor::new().extension(".sh").edit(command).map_err(map_dialoguer)?;
            return Ok(edited.filter(|text| !text.trim().is_empty()));
        }
        let edited: String = Input::with_theme(&self.theme)
            .with_prompt("edit the command (Enter to run it)")
            .with_initial_text(command.trim_end())
            .allow_empty(true)
            .interact_text_on(&self.term)
            .map_err(map_dialoguer)?;
        Ok((!edited.trim().is_empty()).then(|| format!("{edited}\n")))
    }

    fn note(&mut self) -> PromptResult<Option<String>> {
        let text: String = Input::with_theme(&self.theme).with_prompt("note for the timeline").allow_empty(true).interact_text_on(&self.term).map_err(map_dialoguer)?;
        Ok((!text.trim().is_empty()).then(|| text.trim().to_string()))
    }

    fn jump(&mut self, targets: &[JumpTarget]) -> PromptResult<Option<usize>> {
        let items: Vec<String> =
            targets.iter().map(|t| format!("{:>3}. {:<28} {:<8} {} — {}", t.position + 1, t.id, t.status, t.title, t.heading)).collect();
        let current = targets.iter().position(|t| t.status == "current").unwrap_or(0);
        let choice = Select::with_theme(&self.theme)
            .with_prompt("jump to (Esc to stay)")
            .items(&items)
            .default(current)
            .max_length(15)
            .interact_on_opt(&self.term)
            .map_err(map_dialoguer)?;
        Ok(choice.map(|index| targets[index].position))
    }

    fn mark(&mut self) -> PromptResult<Option<MarkRequest>> {
        let Some(index) = Select::with_theme(&self.theme)
            .with_prompt("mark which incident timestamp? (Esc to cancel)")
            .items(INCIDENT_MARKS)
            .default(1)
            .interact_on_opt(&self.term)
            .map_err(map_dialoguer)?
        else {
            return Ok(None);
        };
        let at: String = Input::with_theme(&self.theme)
            .with_prompt("when? (Enter = now; 14:05 = today UTC; -10m; or RFC 3339)")
            .allow_empty(true)
            .validate_with(|text: &String| {
                if text.trim().is_empty() { Ok(()) } else { crate::time_input::parse_time(text, jiff::Timestamp::now()).map(|_| ()) }
            })
            .interact_text_on(&self.term)
            .map_err(map_dialoguer)?;
        Ok(Some(MarkRequest { which: INCIDENT_MARKS[index].to_string(), at: (!at.trim().is_empty()).then(|| at.trim().to_string()) }))
    }

    fn show_list(&mut self, lines: &[StepStatusLine]) {
        for line in lines {
            let marker = if line.current { "▶" } else { " " };
            self.say(&format!("{marker}{:>3}. {:<8} {:<28} {}", line.position, line.status, line.id, self.dim.apply_to(&line.title)));
        }
    }
}
