use runbook_syntax::FrontMatter;

/// The shell a runbook's steps run in, from front matter `shell`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShellDialect {
    Bash,
    /// POSIX `sh` (dash, ash…).
    Sh,
    Zsh,
    /// A shell we cannot check, e.g. `fish`.
    Other(String),
}

impl ShellDialect {
    pub fn of(front_matter: &FrontMatter) -> ShellDialect {
        let Some(shell) = front_matter.shell.as_deref() else {
            return ShellDialect::Bash;
        };
        let mut words = shell
            .split_whitespace()
            .map(|word| word.rsplit('/').next().unwrap_or(word));
        let mut program = words.next().unwrap_or("bash");
        // `/usr/bin/env bash`: the shell is the program env starts.
        if program == "env" {
            program = words
                .find(|word| !word.starts_with('-') && !word.contains('='))
                .unwrap_or("bash");
        }
        match program {
            "" | "bash" => ShellDialect::Bash,
            "sh" | "dash" | "ash" | "posix" => ShellDialect::Sh,
            "zsh" => ShellDialect::Zsh,
            other => ShellDialect::Other(other.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ShellDialect::Bash => "bash",
            ShellDialect::Sh => "sh",
            ShellDialect::Zsh => "zsh",
            ShellDialect::Other(name) => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect(shell: Option<&str>) -> ShellDialect {
        ShellDialect::of(&FrontMatter {
            shell: shell.map(str::to_string),
            ..FrontMatter::default()
        })
    }

    #[test]
    fn front_matter_shell_names() {
        assert_eq!(dialect(None), ShellDialect::Bash);
        assert_eq!(dialect(Some("/usr/bin/env bash")), ShellDialect::Bash);
        assert_eq!(dialect(Some("/bin/bash -eu")), ShellDialect::Bash);
        assert_eq!(dialect(Some("dash")), ShellDialect::Sh);
        assert_eq!(dialect(Some("zsh")), ShellDialect::Zsh);
        assert_eq!(dialect(Some("fish")), ShellDialect::Other("fish".into()));
    }
}
