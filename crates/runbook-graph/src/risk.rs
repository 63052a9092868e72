//! Risk flags: destructive commands, commands that never end by themselves,
//! and commands that need the real terminal.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use runbook_syntax::Span;
use runbook_syntax::shell_scan::{BorrowedCommand, BorrowedScan, BorrowedWord};
use serde::Serialize;
use std::sync::LazyLock;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RiskFlags {
    pub destructive: Vec<RiskReason>,
    pub endless: Vec<RiskReason>,
    pub interactive: Vec<RiskReason>,
}

/// Why a flag was raised: a short description and the command's span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskReason {
    pub what: String,
    /// Span in the step's script text.
    #[serde(skip)]
    pub script_span: Span,
    /// Span in the runbook source.
    pub span: Span,
}

impl RiskFlags {
    pub fn is_empty(&self) -> bool {
        self.destructive.is_empty() && self.endless.is_empty() && self.interactive.is_empty()
    }
}

/// A word of the step's scan, borrowed from its script.
type Word<'a> = BorrowedWord<'a>;

/// What the checks read of one command of the scan.
struct Command<'s, 'a> {
    words: &'s [Word<'a>],
    stdin_redirected: bool,
    piped_input: bool,
    background: bool,
}

impl<'s, 'a> Command<'s, 'a> {
    fn of(scan: &'s BorrowedScan<'a>, command: &BorrowedCommand) -> Self {
        Command {
            words: scan.words(command),
            stdin_redirected: command.stdin_redirected,
            piped_input: command.piped_input,
            background: command.background,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flag {
    Destructive,
    Endless,
    Interactive,
}

/// Programs that wrap another command: the wrapped command is what runs.
fn unwrap_prefix<'a>(argv: &'a [Word<'a>]) -> &'a [Word<'a>] {
    let mut rest = argv;
    loop {
        let Some(first) = rest.first() else {
            return rest;
        };
        let skip_flags_with_values =
            |rest: &'a [Word<'a>], with_value: &[&str]| -> &'a [Word<'a>] {
                let mut index = 1;
                while let Some(word) = rest.get(index) {
                    if !word.text.starts_with('-') {
                        break;
                    }
                    index += if with_value.contains(&word.text.as_ref()) {
                        2
                    } else {
                        1
                    };
                }
                &rest[index.min(rest.len())..]
            };
        rest = match &*first.text {
            "sudo" | "doas" => skip_flags_with_values(rest, &["-u", "-g", "-h", "-p", "-C"]),
            "nohup" | "time" | "exec" | "command" | "builtin" | "nice" | "ionice" | "stdbuf" => {
                skip_flags_with_values(rest, &["-n", "-c"])
            }
            "env" => {
                let mut index = 1;
                while let Some(word) = rest.get(index) {
                    if word.text.starts_with('-') || word.assignment().is_some() {
                        index += 1;
                    } else {
                        break;
                    }
                }
                &rest[index.min(rest.len())..]
            }
            "xargs" => {
                skip_flags_with_values(rest, &["-n", "-I", "-L", "-P", "-d", "-E", "-s", "-a"])
            }
            "timeout" => {
                let after_flags =
                    skip_flags_with_values(rest, &["-s", "-k", "--signal", "--kill-after"]);
                after_flags.get(1..).unwrap_or(&[])
            }
            _ => return rest,
        };
    }
}

fn has_flag(args: &[Word<'_>], short: char, long: &str) -> bool {
    args.iter().any(|word| {
        let text: &str = &word.text;
        text == long
            || text
                .strip_prefix(long)
                .is_some_and(|value| value.starts_with('='))
            || (text.starts_with('-')
                && !text.starts_with("--")
                && text.len() > 1
                && text[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && text[1..].contains(short))
    })
}

fn has_word(args: &[Word<'_>], wanted: &[&str]) -> bool {
    args.iter().any(|word| wanted.contains(&word.text.as_ref()))
}

/// Global options that take a value before a subcommand, e.g. `docker compose -f x.yml down`.
#[rustfmt::skip]
const OPTIONS_WITH_VALUES: &[&str] = &[
    "-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory", "-n", "--namespace",
    "--context", "--kubeconfig", "-c", "-H", "--host", "--org", "--region", "--profile",
];

/// Up to three words that are not options, e.g. the subcommands.
struct Subcommands<'a> {
    words: [&'a str; 3],
    len: usize,
}

impl<'a> Subcommands<'a> {
    fn of(args: &'a [Word<'a>]) -> Self {
        let mut out = Subcommands {
            words: [""; 3],
            len: 0,
        };
        let mut index = 0;
        while let Some(word) = args.get(index) {
            let text: &str = &word.text;
            if text.starts_with('-') {
                index += if OPTIONS_WITH_VALUES.contains(&text) {
                    2
                } else {
                    1
                };
                continue;
            }
            out.words[out.len] = text;
            out.len += 1;
            if out.len == 3 {
                break;
            }
            index += 1;
        }
        out
    }

    fn as_slice(&self) -> &[&'a str] {
        &self.words[..self.len]
    }
}

/// SQL and Redis that destroy data, found anywhere in a command's arguments
/// (e.g. `psql -c "DROP TABLE x"`), matched ignoring ASCII case.
const DESTRUCTIVE_TEXT: [(&str, &str); 8] = [
    ("DROP TABLE", "SQL DROP TABLE"),
    ("DROP DATABASE", "SQL DROP DATABASE"),
    ("DROP SCHEMA", "SQL DROP SCHEMA"),
    ("TRUNCATE ", "SQL TRUNCATE"),
    ("DELETE FROM", "SQL DELETE FROM"),
    ("PG_TERMINATE_BACKEND", "pg_terminate_backend"),
    ("FLUSHALL", "redis FLUSHALL"),
    ("FLUSHDB", "redis FLUSHDB"),
];

/// One pass over the arguments finds every needle of [`DESTRUCTIVE_TEXT`].
static DESTRUCTIVE_TEXT_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A handful of short needles: a full DFA is small and the fastest to run.
        .kind(Some(AhoCorasickKind::DFA))
        .build(DESTRUCTIVE_TEXT.map(|(needle, _)| needle))
        .expect("valid destructive text patterns")
});

/// Verbs that make any CLI's subcommand destructive (`turso db delete`).
const DELETING_VERBS: &[&str] = &[
    "delete",
    "destroy",
    "purge",
    "prune",
    "uninstall",
    "terminate",
    "wipe",
    "erase",
    "rb",
    "drop",
];

/// `/usr/bin/rm` → `rm`.
fn program_name<'w>(word: &'w Word<'_>) -> &'w str {
    let text: &str = &word.text;
    memchr::memrchr(b'/', text.as_bytes()).map_or(text, |slash| &text[slash + 1..])
}

/// Analyses every simple command of a step's scan.
pub fn assess(scan: &BorrowedScan<'_>, to_source: &dyn Fn(Span) -> Span) -> RiskFlags {
    let mut flags = RiskFlags::default();
    let mut push = |flag: Flag, what: String, span: Span| {
        let list = match flag {
            Flag::Destructive => &mut flags.destructive,
            Flag::Endless => &mut flags.endless,
            Flag::Interactive => &mut flags.interactive,
        };
        if !list.iter().any(|reason| reason.what == what) {
            list.push(RiskReason {
                what,
                script_span: span,
                span: to_source(span),
            });
        }
    };
    // Buffers reused for every command of the step.
    let mut found = Vec::new();
    let mut joined_args = String::new();
    for command in &scan.commands {
        assess_argv(
            scan.argv(command),
            &Command::of(scan, command),
            &mut joined_args,
            &mut found,
        );
        for (flag, what) in found.drain(..) {
            push(flag, what, command.span);
        }
    }
    flags
}

fn assess_argv(
    argv: &[Word<'_>],
    command: &Command<'_, '_>,
    joined_args: &mut String,
    found: &mut Vec<(Flag, String)>,
) {
    let mut argv = unwrap_prefix(argv);
    // Commands executed by another command: `find -exec …` (a loop, not
    // recursion, however many `find -exec find -exec …` are nested).
    while let Some(program_word) = argv.first()
        && program_name(program_word) == "find"
    {
        let args = &argv[1..];
        let Some(position) = args.iter().position(|word| {
            word.text == "-exec" || word.text == "-execdir" || word.text == "-delete"
        }) else {
            break;
        };
        if args[position].text == "-delete" {
            found.push((Flag::Destructive, "find -delete".into()));
            return;
        }
        let inner = &args[position + 1..];
        argv = unwrap_prefix(
            &inner[..inner
                .iter()
                .position(|word| word.text == ";" || word.text == "+")
                .unwrap_or(inner.len())],
        );
    }
    // `docker exec api rm -f x` and `kubectl exec pod -- rm -f x` run a command too: judge it
    // as well as the outer one (which carries `-it`).
    if let Some(inner) = exec_inner_command(argv) {
        let inner = unwrap_prefix(inner);
        let mut inner_found = Vec::new();
        assess_program(inner, command, joined_args, &mut inner_found);
        found.extend(
            inner_found
                .into_iter()
                .filter(|(flag, _)| *flag == Flag::Destructive),
        );
    }
    assess_program(argv, command, joined_args, found);
}

/// The command a `docker exec`/`podman exec`/`kubectl exec` runs, if any.
fn exec_inner_command<'w, 'a>(argv: &'w [Word<'a>]) -> Option<&'w [Word<'a>]> {
    let program = program_name(argv.first()?);
    let exec_at = argv.iter().position(|word| word.text == "exec")?;
    match program {
        "docker" | "podman" | "nerdctl" | "docker-compose" => {
            // Options come before the container (or service); the command follows it.
            let mut index = exec_at + 1;
            while let Some(word) = argv.get(index) {
                let text: &str = &word.text;
                if !text.starts_with('-') {
                    break;
                }
                let takes_value = matches!(
                    text,
                    "-u" | "--user"
                        | "-w"
                        | "--workdir"
                        | "-e"
                        | "--env"
                        | "--env-file"
                        | "--index"
                );
                index += if takes_value { 2 } else { 1 };
            }
            argv.get(index + 1..).filter(|inner| !inner.is_empty())
        }
        "kubectl" | "oc" => {
            let dashes = argv.iter().position(|word| word.text == "--")?;
            argv.get(dashes + 1..).filter(|inner| !inner.is_empty())
        }
        _ => None,
    }
}

/// Flags for one program run with its arguments (`argv` already unwrapped).
fn assess_program(
    argv: &[Word<'_>],
    command: &Command<'_, '_>,
    joined_args: &mut String,
    found: &mut Vec<(Flag, String)>,
) {
    let Some(program_word) = argv.first() else {
        return;
    };
    let program = program_name(program_word);
    let args = &argv[1..];
    let subs = Subcommands::of(args);
    let subs = subs.as_slice();
    let sub = subs.first().copied().unwrap_or("");
    let sub2 = subs.get(1).copied().unwrap_or("");
    let mut destructive = |what: String| found.push((Flag::Destructive, what));

    joined_args.clear();
    for (index, word) in args.iter().enumerate() {
        if index > 0 {
            joined_args.push(' ');
        }
        joined_args.push_str(&word.text);
    }
    let joined_args = joined_args.as_str();
    let mut contains_text = [false; DESTRUCTIVE_TEXT.len()];
    for found_text in DESTRUCTIVE_TEXT_FINDER.find_overlapping_iter(joined_args) {
        contains_text[found_text.pattern().as_usize()] = true;
    }
    for ((_, what), contained) in DESTRUCTIVE_TEXT.iter().zip(contains_text) {
        if contained {
            destructive(what.to_string());
        }
    }
    if has_word(args, &["--force"]) {
        destructive(format!("{program} --force"));
    }

    match program {
        "rm" | "rmdir" | "shred" | "unlink" | "wipefs" => {
            let recursive =
                has_flag(args, 'r', "--recursive") || has_flag(args, 'R', "--recursive");
            destructive(if recursive {
                "rm -r".to_string()
            } else {
                program.to_string()
            });
        }
        "truncate" | "dropdb" | "dropuser" | "reboot" | "shutdown" | "poweroff" | "halt"
        | "fdisk" | "parted" => destructive(program.to_string()),
        p if p.starts_with("mkfs") => destructive(program.to_string()),
        "dd" if args.iter().any(|word| word.text.starts_with("of=")) => {
            destructive("dd of=".into())
        }
        "kill" | "pkill" | "killall" => destructive(program.to_string()),
        "init" if matches!(sub, "0" | "6") => destructive(format!("init {sub}")),
        "systemctl"
            if matches!(
                sub,
                "stop" | "disable" | "mask" | "kill" | "reboot" | "poweroff" | "halt" | "isolate"
            ) =>
        {
            destructive(format!("systemctl {sub}"))
        }
        "service" if matches!(sub2, "stop") => destructive("service stop".into()),
        "docker" | "podman" | "nerdctl" => {
            let compose = sub == "compose";
            let action = if compose { sub2 } else { sub };
            match (compose, action) {
                (true, "down" | "rm" | "stop" | "kill") => {
                    destructive(format!("docker compose {action}"))
                }
                (false, "rm" | "rmi" | "kill" | "stop" | "prune") => {
                    destructive(format!("{program} {action}"))
                }
                (false, "volume" | "network" | "image" | "container" | "system" | "builder")
                    if matches!(sub2, "rm" | "prune" | "remove") =>
                {
                    destructive(format!("{program} {sub} {sub2}"))
                }
                _ => {}
            }
            if compose || matches!(sub, "logs" | "events" | "stats" | "attach" | "exec" | "run") {
                let from_action = args
                    .iter()
                    .position(|word| word.text == if compose { sub2 } else { sub })
                    .unwrap_or(0);
                docker_like_runtime_flags(
                    program,
                    if compose { sub2 } else { sub },
                    &args[from_action..],
                    command,
                    found,
                );
            }
            return;
        }
        "docker-compose" => {
            if matches!(sub, "down" | "rm" | "stop" | "kill") {
                destructive(format!("docker-compose {sub}"));
            }
            let from_action = args.iter().position(|word| word.text == sub).unwrap_or(0);
            docker_like_runtime_flags(program, sub, &args[from_action..], command, found);
            return;
        }
        "kubectl" | "oc" => {
            match sub {
                "delete" | "drain" | "cordon" => destructive(format!("{program} {sub}")),
                "scale"
                    if args.iter().any(|w| w.text == "--replicas=0")
                        || joined_args.contains("--replicas 0") =>
                {
                    destructive(format!("{program} scale --replicas=0"))
                }
                "replace" if has_word(args, &["--force"]) => {
                    destructive(format!("{program} replace --force"))
                }
                _ => {}
            }
            kubectl_runtime_flags(program, sub, args, found);
            return;
        }
        "helm" if matches!(sub, "uninstall" | "delete" | "rollback") => {
            destructive(format!("helm {sub}"))
        }
        "terraform" if sub == "destroy" || (sub == "apply" && has_word(args, &["-destroy"])) => {
            destructive("terraform destroy".into())
        }
        "git" => match sub {
            "push"
                if has_flag(args, 'f', "--force") || joined_args.contains("--force-with-lease") =>
            {
                destructive("git push --force".into())
            }
            "reset" if has_word(args, &["--hard"]) => destructive("git reset --hard".into()),
            "clean" if has_flag(args, 'f', "--force") => destructive("git clean -f".into()),
            _ => {}
        },
        "curl" | "http" | "https" | "wget" => {
            let method = args.iter().enumerate().find_map(|(index, word)| {
                if word.text == "-X" || word.text == "--request" {
                    args.get(index + 1).map(|next| &*next.text)
                } else {
                    word.text.strip_prefix("-X").filter(|rest| !rest.is_empty())
                }
            });
            if method.is_some_and(|method| method.eq_ignore_ascii_case("DELETE"))
                || (program.starts_with("http") && sub.eq_ignore_ascii_case("delete"))
            {
                destructive(format!("{program} -X DELETE"));
            }
        }
        "crontab" if has_flag(args, 'r', "--remove") => destructive("crontab -r".into()),
        "crontab" if has_flag(args, 'e', "--edit") => {
            found.push((Flag::Interactive, "crontab -e".into()))
        }
        "iptables" | "ip6tables"
            if has_flag(args, 'F', "--flush") || has_flag(args, 'X', "--delete-chain") =>
        {
            destructive(format!("{program} --flush"))
        }
        "redis-cli" => {
            if has_word(
                args,
                &[
                    "--latency",
                    "--latency-history",
                    "--latency-dist",
                    "monitor",
                    "MONITOR",
                    "--stat",
                ],
            ) {
                found.push((Flag::Endless, "redis-cli monitoring".into()));
            } else if !command.piped_input && !command.stdin_redirected && !has_redis_command(args)
            {
                found.push((Flag::Interactive, "redis-cli with no command".into()));
            }
        }
        _ => {
            // Any CLI's subcommand that deletes: `turso db delete`, `aws s3 rm`, `gcloud … delete`.
            if let Some(position) = subs.iter().position(|word| {
                DELETING_VERBS
                    .iter()
                    .any(|verb| word.eq_ignore_ascii_case(verb))
                    || word.starts_with("delete-")
                    || word.starts_with("terminate-")
            }) && program != "echo"
                && program != "printf"
                && program != "grep"
            {
                // Name the whole subcommand path: `turso db delete`, not `turso delete`.
                destructive(format!("{program} {}", subs[..=position].join(" ")));
            }
            if program == "aws" && sub == "s3" && matches!(sub2, "rm" | "rb") {
                destructive(format!("aws s3 {sub2}"));
            }
        }
    }

    // Never ends by itself.
    let endless = match program {
        "tail" => has_flag(args, 'f', "--follow") || has_flag(args, 'F', "--follow"),
        "journalctl" => has_flag(args, 'f', "--follow"),
        "watch" | "top" | "htop" | "btop" | "yes" | "iftop" => {
            !(program == "top"
                && has_flag(args, 'b', "--batch")
                && has_flag(args, 'n', "--iterations"))
        }
        "ping" => !has_flag(args, 'c', "--count"),
        "sleep" => has_word(args, &["infinity", "inf"]),
        "tcpdump" => !has_flag(args, 'c', "--count"),
        "ssh" => has_flag(args, 'N', "-N"),
        "cloudflared" => has_word(args, &["run"]),
        "nc" | "ncat" => has_flag(args, 'l', "--listen"),
        _ => false,
    };
    let endless = endless
        || (command.words.first().is_some_and(|w| w.text == "while")
            && command
                .words
                .get(1)
                .is_some_and(|w| w.text == "true" || w.text == ":"));
    if endless && !command.background {
        let what = match program {
            "tail" | "journalctl" => format!("{program} -f"),
            "while" => "while true loop".into(),
            _ => program.to_string(),
        };
        found.push((Flag::Endless, what));
    }

    // Needs the real terminal.
    let interactive = match program {
        "vi" | "vim" | "nvim" | "nano" | "emacs" | "less" | "more" | "top" | "htop" | "tmux"
        | "screen" | "passwd" | "visudo" => true,
        "read" | "select" => true,
        "su" => true,
        "sudo" => has_flag(args, 'i', "--login") || has_flag(args, 's', "--shell"),
        "ssh" => ssh_opens_session(args),
        "psql" => {
            !command.stdin_redirected
                && !command.piped_input
                && !has_flag(args, 'c', "--command")
                && !has_flag(args, 'f', "--file")
                && !has_word(args, &["-l", "--list"])
        }
        "mysql" | "mariadb" => {
            !command.stdin_redirected && !command.piped_input && !has_flag(args, 'e', "--execute")
        }
        "mongo" | "mongosh" => {
            !command.stdin_redirected
                && !args
                    .iter()
                    .any(|w| w.text == "--eval" || w.text.ends_with(".js"))
        }
        "sqlite3" => {
            !command.stdin_redirected
                && !command.piped_input
                && args.iter().filter(|w| !w.text.starts_with('-')).count() <= 1
        }
        "python" | "python3" | "node" | "irb" | "bun" | "deno" => {
            args.is_empty() && !command.stdin_redirected && !command.piped_input
        }
        "aws" => sub == "configure",
        "gh" | "turso" | "fly" | "flyctl" | "heroku" => sub == "auth" || sub == "login",
        _ => false,
    };
    if interactive {
        found.push((
            Flag::Interactive,
            format!(
                "{program}{}",
                if matches!(
                    program,
                    "psql" | "mysql" | "ssh" | "sqlite3" | "mongo" | "mongosh" | "redis-cli"
                ) {
                    " session"
                } else {
                    ""
                }
            ),
        ));
    }
}

/// Does `redis-cli` get a command to run (rather than opening its prompt)?
fn has_redis_command(args: &[Word<'_>]) -> bool {
    let mut index = 0;
    while let Some(word) = args.get(index) {
        let text: &str = &word.text;
        if matches!(
            text,
            "-h" | "-p"
                | "-a"
                | "-n"
                | "-u"
                | "--user"
                | "--pass"
                | "-s"
                | "--cacert"
                | "--cert"
                | "--key"
                | "--sni"
        ) {
            index += 2;
            continue;
        }
        // A command word, or a long option that is a mode of its own (`--bigkeys`,
        // `--scan`, `--rdb`, `--pipe`…) rather than a connection setting.
        if !text.starts_with('-')
            || (text.starts_with("--")
                && !matches!(
                    text,
                    "--tls"
                        | "--insecure"
                        | "--raw"
                        | "--no-raw"
                        | "--askpass"
                        | "--no-auth-warning"
                ))
        {
            return true;
        }
        index += 1;
    }
    false
}

fn ssh_opens_session(args: &[Word<'_>]) -> bool {
    let mut index = 0;
    let mut host_seen = false;
    while let Some(word) = args.get(index) {
        let text: &str = &word.text;
        if text.starts_with('-') {
            if text == "-N" || text == "-W" {
                return false;
            }
            let takes_value = matches!(
                text,
                "-i" | "-p"
                    | "-l"
                    | "-o"
                    | "-F"
                    | "-J"
                    | "-L"
                    | "-R"
                    | "-D"
                    | "-b"
                    | "-c"
                    | "-E"
                    | "-e"
                    | "-m"
                    | "-S"
                    | "-w"
            );
            index += if takes_value { 2 } else { 1 };
            continue;
        }
        if host_seen {
            return false;
        }
        host_seen = true;
        index += 1;
    }
    host_seen
}

/// `-it`-style flags. Docker-like CLIs take options before the container,
/// so `stop_at_positional` ends the search at the first non-option word
/// (after the subcommand); kubectl takes them anywhere before `--`.
fn tty_flags(args: &[Word<'_>], stop_at_positional: bool) -> bool {
    let mut interactive = false;
    let mut tty = false;
    for word in args.iter().skip(1) {
        let text: &str = &word.text;
        if text == "--" || (stop_at_positional && !text.starts_with('-')) {
            break;
        }
        match text {
            "--interactive" | "--stdin" => interactive = true,
            "--tty" => tty = true,
            _ if text.starts_with('-') && !text.starts_with("--") => {
                if text.contains('i') {
                    interactive = true;
                }
                if text.contains('t') {
                    tty = true;
                }
            }
            _ => {}
        }
    }
    interactive && tty
}

fn docker_like_runtime_flags(
    program: &str,
    action: &str,
    args: &[Word<'_>],
    command: &Command<'_, '_>,
    found: &mut Vec<(Flag, String)>,
) {
    let _ = command;
    match action {
        "logs" if has_flag(args, 'f', "--follow") => {
            found.push((Flag::Endless, format!("{program} logs -f")))
        }
        "events" => found.push((Flag::Endless, format!("{program} events"))),
        "stats" if !has_word(args, &["--no-stream"]) => {
            found.push((Flag::Endless, format!("{program} stats")))
        }
        "attach" => found.push((Flag::Interactive, format!("{program} attach"))),
        "exec" | "run" if tty_flags(args, true) => {
            found.push((Flag::Interactive, format!("{program} {action} -it")))
        }
        _ => {}
    }
}

fn kubectl_runtime_flags(
    program: &str,
    sub: &str,
    args: &[Word<'_>],
    found: &mut Vec<(Flag, String)>,
) {
    match sub {
        "logs" if has_flag(args, 'f', "--follow") => {
            found.push((Flag::Endless, format!("{program} logs -f")))
        }
        "port-forward" => found.push((Flag::Endless, format!("{program} port-forward"))),
        "get" | "events" if has_flag(args, 'w', "--watch") || has_word(args, &["--watch-only"]) => {
            found.push((Flag::Endless, format!("{program} {sub} --watch")))
        }
        "exec" | "run" | "attach" | "debug" if tty_flags(args, false) => {
            found.push((Flag::Interactive, format!("{program} {sub} -it")))
        }
        "edit" => found.push((Flag::Interactive, format!("{program} edit"))),
        "debug" if program == "oc" => found.push((Flag::Interactive, "oc debug".into())),
        _ => {}
    }
    if program == "oc"
        && sub == "debug"
        && !found.iter().any(|(flag, _)| *flag == Flag::Interactive)
    {
        found.push((Flag::Interactive, "oc debug".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_syntax::shell_scan::scan_all_borrowed as scan_all;

    fn flags(text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
        let flags = assess(&scan_all(text), &|span| span);
        let names =
            |reasons: &[RiskReason]| reasons.iter().map(|r| r.what.clone()).collect::<Vec<_>>();
        (
            names(&flags.destructive),
            names(&flags.endless),
            names(&flags.interactive),
        )
    }

    #[test]
    fn destructive_commands() {
        for (text, what) in [
            ("rm -rf /tmp/x", "rm -r"),
            ("sudo systemctl stop nginx", "systemctl stop"),
            ("docker-compose down", "docker-compose down"),
            ("docker compose -f x.yml down", "docker compose down"),
            ("kubectl delete pod x", "kubectl delete"),
            (
                "kubectl scale deployment/x --replicas=0 -n ns",
                "kubectl scale --replicas=0",
            ),
            ("dropdb magicsaas", "dropdb"),
            (
                "psql -c \"SELECT pg_terminate_backend(pid) FROM x\"",
                "pg_terminate_backend",
            ),
            ("curl -X DELETE http://h/mcp", "curl -X DELETE"),
            ("turso db delete muninn-mgmt", "turso db delete"),
            (
                "docker exec mosaic-npm-1 rm -f /etc/nginx/conf.d/maintenance.conf",
                "rm",
            ),
            (
                "kubectl exec -it api-0 -n prod -- rm -rf /data/cache",
                "rm -r",
            ),
            ("ls | xargs -r rm", "rm"),
            ("find /b -type d -mtime +7 -exec rm -rf {} +", "rm -r"),
            ("pkill -f \"cloudflared tunnel\"", "pkill"),
            ("docker volume rm x || true", "docker volume rm"),
            ("git push --force origin main", "git push --force"),
            ("sudo reboot", "reboot"),
        ] {
            assert!(
                flags(text).0.contains(&what.to_string()),
                "{text}: {:?}",
                flags(text).0
            );
        }
    }

    #[test]
    fn harmless_commands_are_not_destructive() {
        for text in [
            "docker-compose up -d --force-recreate",
            "docker run --rm alpine true",
            "grep -i 'delete' log",
            "echo 'Killing idle connections'",
            "kubectl rollout status deployment/x",
            "curl -s http://h/health",
            "docker compose -f x.yml ps",
        ] {
            assert!(flags(text).0.is_empty(), "{text}: {:?}", flags(text).0);
        }
    }

    #[test]
    fn endless_commands() {
        for (text, what) in [
            (
                "docker-compose logs -f --tail=100 api",
                "docker-compose logs -f",
            ),
            ("journalctl -u x -f", "journalctl -f"),
            ("watch -n 1 'curl -s h'", "watch"),
            ("tail -f /var/log/x", "tail -f"),
            ("kubectl port-forward svc/x 8080:80", "kubectl port-forward"),
            ("redis-cli --latency-history", "redis-cli monitoring"),
            ("docker stats", "docker stats"),
        ] {
            assert!(
                flags(text).1.contains(&what.to_string()),
                "{text}: {:?}",
                flags(text).1
            );
        }
        assert!(flags("docker stats api --no-stream").1.is_empty());
        assert!(
            flags("nohup cloudflared tunnel run > /tmp/log 2>&1 &")
                .1
                .is_empty()
        );
        assert!(flags("tail -n 100 x").1.is_empty());
    }

    #[test]
    fn interactive_commands() {
        for (text, what) in [
            ("kubectl exec -it pod -- bash", "kubectl exec -it"),
            ("docker exec -it api sh", "docker exec -it"),
            ("ssh bastion", "ssh session"),
            ("psql -U postgres app", "psql session"),
            ("read -p 'Continue? ' x", "read"),
            ("kubectl edit deployment/x", "kubectl edit"),
            ("redis-cli", "redis-cli with no command"),
        ] {
            assert!(
                flags(text).2.contains(&what.to_string()),
                "{text}: {:?}",
                flags(text).2
            );
        }
        for text in [
            "docker exec -i db mysql -uroot -p$PW",
            "ssh host uptime",
            "psql -U p -c 'select 1'",
            "gunzip -c x | docker exec -i db psql -U postgres",
            "redis-cli INFO memory",
            "redis-cli --bigkeys",
            "psql db < dump.sql",
        ] {
            assert!(flags(text).2.is_empty(), "{text}: {:?}", flags(text).2);
        }
    }
}
