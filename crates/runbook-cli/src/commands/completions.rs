//! Shell completions: clap's static scripts plus a small wrapper that asks
//! `runbook __complete` for the step ids and section titles of the runbook
//! on the command line when completing `--from`, `--only` and `--section`.

use crate::cli::{Cli, CompleteArgs, CompleteWhat, CompletionShell, CompletionsArgs, ManArgs};
use crate::loaded_runbook::LoadedRunbook;
use crate::usage_error;
use clap::CommandFactory;
use clap_complete::Shell;
use std::process::ExitCode;

const BASH_DYNAMIC: &str = r#"
# Step ids and section titles of the runbook on the command line.
_runbook_dynamic() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" file="" word kind
    case "$prev" in
        --from|--only|--section)
            for word in "${COMP_WORDS[@]:2}"; do
                case "$word" in -*) ;; *.md|*.markdown|*.txt) file="$word"; break ;; esac
            done
            if [[ -n "$file" ]]; then
                kind=steps; [[ "$prev" == --section ]] && kind=sections
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$(runbook __complete "$kind" "$file" 2>/dev/null)" -- "$cur"))
                return 0
            fi ;;
    esac
    _runbook "$@"
}
complete -F _runbook_dynamic -o bashdefault -o default runbook
"#;

const ZSH_DYNAMIC: &str = r#"
# Step ids and section titles of the runbook on the command line.
_runbook_dynamic() {
    local prev=${words[CURRENT-1]} file kind
    if [[ $prev == (--from|--only|--section) ]]; then
        file=${${(M)words:#*.(md|markdown|txt)}[1]}
        if [[ -n $file ]]; then
            kind=steps; [[ $prev == --section ]] && kind=sections
            local -a values
            values=("${(@f)$(runbook __complete $kind $file 2>/dev/null)}")
            compadd -a values
            return
        fi
    fi
    _runbook "$@"
}
compdef _runbook_dynamic runbook
"#;

const FISH_DYNAMIC: &str = r#"
# Step ids and section titles of the runbook on the command line.
function __runbook_file
    commandline -opc | string match -r '.*\.(md|markdown|txt)$' | head -n 1
end
complete -c runbook -n '__fish_seen_subcommand_from run resume' -l from -l only -x -a '(runbook __complete steps (__runbook_file) 2>/dev/null)'
complete -c runbook -n '__fish_seen_subcommand_from run resume' -l section -x -a '(runbook __complete sections (__runbook_file) 2>/dev/null)'
"#;

pub fn run(args: &CompletionsArgs) -> Result<(), ExitCode> {
    let (shell, dynamic) = match args.shell {
        CompletionShell::Bash => (Shell::Bash, BASH_DYNAMIC),
        CompletionShell::Zsh => (Shell::Zsh, ZSH_DYNAMIC),
        CompletionShell::Fish => (Shell::Fish, FISH_DYNAMIC),
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "runbook", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if args.shell == CompletionShell::Zsh {
        // The generated zsh script registers itself when autoloaded; ours takes over.
        script = script.replace("compdef _runbook runbook", "");
    }
    print!("{script}{dynamic}");
    Ok(())
}

/// Prints one step id or section title per line; nothing when the file cannot be read.
pub fn complete(args: &CompleteArgs) -> Result<(), ExitCode> {
    let Ok(runbook) = LoadedRunbook::load(&args.file) else {
        return Ok(());
    };
    let values = match args.what {
        CompleteWhat::Steps => runbook
            .graph
            .order
            .iter()
            .map(|&index| runbook.graph.steps[index].id.to_string())
            .collect(),
        CompleteWhat::Sections => runbook.graph.section_titles(),
    };
    for value in values {
        println!("{value}");
    }
    Ok(())
}

/// Writes `runbook.1` and one page per subcommand (`runbook-run.1`, …).
pub fn man(args: &ManArgs) -> Result<(), ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|error| usage_error(&format!("cannot create {}: {error}", args.dir.display())))?;
    let command = Cli::command();
    let mut pages = vec![("runbook".to_string(), command.clone())];
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        pages.push((
            format!("runbook-{}", sub.get_name()),
            sub.clone().name(format!("runbook-{}", sub.get_name())),
        ));
    }
    for (name, page) in pages {
        let mut out = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut out)
            .map_err(|error| usage_error(&error.to_string()))?;
        let path = args.dir.join(format!("{name}.1"));
        std::fs::write(&path, out)
            .map_err(|error| usage_error(&format!("cannot write {}: {error}", path.display())))?;
        println!("{}", path.display());
    }
    Ok(())
}
