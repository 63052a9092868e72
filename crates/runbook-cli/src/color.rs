//! Colour decisions honour `NO_COLOR` and `CLICOLOR_FORCE`.

use std::io::IsTerminal;

pub fn stdout_color() -> bool {
    decide(std::io::stdout().is_terminal())
}

pub fn stderr_color() -> bool {
    decide(std::io::stderr().is_terminal())
}

fn decide(is_terminal: bool) -> bool {
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|value| value != "0") {
        return true;
    }
    if std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()) {
        return false;
    }
    is_terminal
        && std::env::var("TERM")
            .map(|term| term != "dumb")
            .unwrap_or(true)
}

/// Applies the decision to the `console` crate so its styles follow it too.
pub fn configure() {
    console::set_colors_enabled(stdout_color());
    console::set_colors_enabled_stderr(stderr_color());
}
