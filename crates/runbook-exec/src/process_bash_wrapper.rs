//! The bash code around a step's script.
//!
//! A step's shell starts in one of two ways. Steps whose output runbook captures (almost all)
//! run in a subshell forked by the session's long-lived step server ([`STEP_SERVER`]); steps
//! that get the terminal run as `bash --noprofile --norc -c WRAPPER LABEL` of their own. Either
//! way the shell starts in the session's private `scripts` directory, where the step's script is
//! saved under the file name LABEL, and then:
//!
//! 1. sets its control variables (from the request file, or un-exported from the environment)
//!    and `$1...` (positional arguments never appear on a command line, where any user could
//!    read them);
//! 2. sources the carried state (the only extra file read);
//! 3. sources the script by its bare file name, so bash's messages read `LABEL: line N: ...`.
//!    `sourcepath` is switched off for that, so a label that matches a program on `PATH` still
//!    finds the script. The first line of the script file is prefixed (on the same line, so line
//!    numbers stay right) with the move into the step's working directory and the EXIT trap;
//! 4. dumps the state when the script ends (normally, by `exit`, or by a terminating signal):
//!    one `declare -p`, one `declare -f` and the final working directory, redirected into the
//!    dump file (the only write). Filtering happens in Rust (see
//!    [`crate::process_carried_state`]), which validates the completion marker and then writes
//!    the next state file atomically (temp + rename).
//!
//! Only builtins run here: no `sed`, `grep`, `cat` or `mv` processes, so a step costs one fork
//! of the server plus a few hundred microseconds. Every command is spelled `builtin ...` because
//! the carried state may define functions with builtin names (a `cd` wrapper, say).

/// Environment variable with the carried state script to source; empty when there is none.
pub(crate) const STATE_IN_VARIABLE: &str = "__runbook_state_in";
/// Environment variable with the path the shell writes its state dump to.
pub(crate) const DUMP_OUT_VARIABLE: &str = "__runbook_dump_out";
/// Environment variable with the step's sequence number, echoed in the dump's completion marker
/// so a stale dump can never be mistaken for this step's.
pub(crate) const SEQUENCE_VARIABLE: &str = "__runbook_seq";
/// Environment variable with the absolute directory the step starts in.
pub(crate) const STEP_CWD_VARIABLE: &str = "__runbook_step_cwd";
/// Environment variable with the number of positional arguments.
pub(crate) const ARG_COUNT_VARIABLE: &str = "__runbook_argc";
/// Prefix of the environment variables holding positional arguments (`__runbook_arg_1`, ...).
pub(crate) const ARG_VARIABLE_PREFIX: &str = "__runbook_arg_";

/// The prelude of a step that starts its own bash (`bash -c WRAPPER LABEL`): the control
/// variables arrive in the environment and are un-exported at once, and `$1...` are rebuilt from
/// the environment. `$0` is the script's file name, relative to the shell's start directory.
macro_rules! own_shell_prelude {
    () => {
        r##"builtin declare +x __runbook_state_in __runbook_dump_out __runbook_seq __runbook_step_cwd __runbook_argc
if [[ $__runbook_argc != 0 ]]; then
  __runbook_args=()
  for (( __runbook_i = 1; __runbook_i <= __runbook_argc; __runbook_i++ )); do
    __runbook_n=__runbook_arg_$__runbook_i
    __runbook_args+=("${!__runbook_n}")
    builtin unset -v "$__runbook_n"
  done
  builtin set -- "${__runbook_args[@]}"
  builtin unset -v __runbook_args __runbook_i __runbook_n
fi
__runbook_script=$0
"##
    };
}

/// Sources the carried state: `declare` statements and function definitions that runbook wrote,
/// so nothing of any step runs here.
macro_rules! load_state {
    () => {
        r##"[[ -z $__runbook_state_in ]] || builtin source -- "$__runbook_state_in"
"##
    };
}

/// What every step shell does once its control variables are set and the state is loaded: run
/// the script and dump the state. Shared by both ways a step's shell starts, so a step behaves
/// the same whichever way it ran.
///
/// `declare -A`/`=()` compound assignments cannot be written as `builtin declare`, which is why
/// arrays are created by plain assignment. Right after the script, `set +x` runs with stderr
/// discarded so a step that turned on xtrace does not trace the wrapper.
macro_rules! run_script {
    () => {
        r##"__runbook_save_state='{ builtin set +x; builtin trap - DEBUG ERR RETURN; } 2>/dev/null
builtin set +e +u +C +o pipefail +o posix
if [[ -z ${__runbook_state_saved-} ]]; then
  __runbook_state_saved=1
  __runbook_cwd=$PWD
  { builtin declare -p; builtin printf "%s\n" "# runbook-functions"; builtin declare -f; builtin printf "# runbook-state-complete %s\n" "$__runbook_seq"; } > "$__runbook_dump_out"
fi'
builtin shopt -u sourcepath
builtin source -- "$__runbook_script" 4<&-
{ __runbook_status=$?; builtin set +x; } 2>/dev/null
builtin eval "$__runbook_save_state"
builtin exit "$__runbook_status"
"##
    };
}

/// The `-c` program of a step that starts its own bash (steps that get the terminal).
pub(crate) const WRAPPER: &str = concat!(own_shell_prelude!(), load_state!(), run_script!());

/// The `-c` program of the session's step server (`bash -c STEP_SERVER runbook REQUEST OUT ERR`),
/// which runs every step whose output is captured.
///
/// Starting a bash costs about a millisecond (exec, dynamic linking, start-up); forking one that
/// is already running costs less than half of that. The server reads one line per step from its
/// stdin and forks a subshell for it. Job control (`set -m`) puts each subshell in a process group
/// of its own, which timeouts and Ctrl-C signal as a whole, as they would a bash of its own; the
/// server lives in yet another group and outlives them. The subshell is a background job that the
/// server waits for: a non-interactive bash with job control ends itself when a *foreground* job
/// dies of SIGINT, trap or no trap. The server traps no signal, so nothing ends its `wait` early:
/// a step that signals `$$` ends the server (as it would end a terminal's shell), and the session
/// stops that step and replaces the server. The server reports on its stdout:
/// `pid N` when the subshell is ready (N is its process group) and `done STATUS` when it ended.
///
/// A ready subshell loads the carried state but runs nothing of the step until runbook writes `go`
/// (anything else cancels) to the server's stdin, which the subshell reads through its fd 4.
/// Meanwhile runbook makes the step's start durable in the timeline: the fsync and the fork
/// overlap, and still nothing of a step runs unrecorded.
///
/// The subshell reads its control values, positional arguments and the step's variables from the
/// request file, NUL-separated, with `read -r -d ''` into variables: a value is never parsed as
/// shell code. It opens the FIFOs runbook is reading as its stdout and stderr. `BASH_ARGV0` makes
/// `$0` the script's label, as in a bash of its own; `$$` is the server's pid, as in any subshell
/// and as in a terminal where the steps are pasted one after another.
///
/// `exec` is the one command not spelled `builtin exec`: redirections on `builtin exec` (or
/// `builtin command exec`) last only for that command. So it runs only before the carried state
/// (which may define functions named `exec` or `command`) is loaded; a function of that name
/// imported from the environment is removed first. The subshell reports `pid N` and lets go of
/// the server's stdout before it loads the state (so the server's death still closes that pipe),
/// and keeps the control pipe as fd 4 to read `go` from; the script is sourced with fd 4 closed,
/// so neither it nor its background jobs can read the control pipe.
///
/// It ends when runbook closes its stdin.
pub(crate) const STEP_SERVER: &str = concat!(
    r##"builtin unset -f exec
builtin set -m
__runbook_request=$1 __runbook_out=$2 __runbook_err=$3
builtin set --
while IFS= builtin read -r __runbook_command; do
  [[ $__runbook_command == step ]] || builtin continue
  (
    exec 3>&1 4<&0 >"$__runbook_out" 2>"$__runbook_err" </dev/null
    {
      IFS= builtin read -r -d '' __runbook_seq
      IFS= builtin read -r -d '' __runbook_script
      IFS= builtin read -r -d '' __runbook_step_cwd
      IFS= builtin read -r -d '' __runbook_state_in
      IFS= builtin read -r -d '' __runbook_dump_out
      IFS= builtin read -r -d '' __runbook_argc
      __runbook_args=()
      for (( __runbook_i = 0; __runbook_i < __runbook_argc; __runbook_i++ )); do
        IFS= builtin read -r -d '' __runbook_v
        __runbook_args+=("$__runbook_v")
      done
      while IFS= builtin read -r -d '' __runbook_n && IFS= builtin read -r -d '' __runbook_v; do
        builtin export -- "$__runbook_n=$__runbook_v"
      done
    } < "$__runbook_request"
    builtin set -- "${__runbook_args[@]}"
    BASH_ARGV0=$__runbook_script
    builtin unset -v __runbook_args __runbook_i __runbook_n __runbook_v __runbook_command __runbook_request __runbook_out __runbook_err __runbook_step __runbook_status
    builtin printf 'pid %s\n' "$BASHPID" >&3
    exec 3>&-
"##,
    load_state!(),
    r##"    IFS= builtin read -r -u 4 __runbook_go
    [[ $__runbook_go == go ]] || builtin exit 0
    builtin unset -v __runbook_go
"##,
    run_script!(),
    r##"  ) &
  __runbook_step=$!
  builtin wait "$__runbook_step"
  __runbook_status=$?
  builtin printf 'done %s\n' "$__runbook_status"
done
"##
);

/// Put in front of the script's first line. It moves into the step's directory (the shell
/// starts in the scripts directory so `source` finds the script by bare name), forgets that
/// detour in OLDPWD, restores bash's default `sourcepath`, and arms the state dump. The trap is
/// armed only after the `cd` succeeded, so a failed `cd` never saves the scripts directory as
/// the carried working directory.
const FIRST_LINE_PREFIX: &str = r#"builtin cd -- "$__runbook_step_cwd" || builtin exit 1; builtin unset -v OLDPWD __runbook_step_cwd; builtin shopt -s sourcepath; builtin trap -- "$__runbook_save_state" EXIT; "#;

/// The content of the script file for `script`.
pub(crate) fn script_file_contents(script: &str) -> String {
    let mut contents = String::with_capacity(FIRST_LINE_PREFIX.len() + script.len() + 1);
    contents.push_str(FIRST_LINE_PREFIX);
    contents.push_str(script);
    if !script.ends_with('\n') {
        contents.push('\n');
    }
    contents
}

/// A file name for the script that reads like the label in error messages.
pub(crate) fn script_file_name(label: &str) -> String {
    const MAX_BYTES: usize = 120;
    let mut name = String::new();
    for character in label.trim().chars() {
        let replacement = if character == '/' || character.is_control() {
            '_'
        } else {
            character
        };
        if name.len() + replacement.len_utf8() > MAX_BYTES {
            break;
        }
        name.push(replacement);
    }
    if name.is_empty() || name == "." || name == ".." {
        "step".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_the_label_readable_but_safe() {
        assert_eq!(script_file_name("Restart the API"), "Restart the API");
        assert_eq!(script_file_name("a/b\nc"), "a_b_c");
        assert_eq!(script_file_name(" .. "), "step");
        assert_eq!(script_file_name(""), "step");
        assert!(script_file_name(&"é".repeat(200)).len() <= 120);
    }

    #[test]
    fn the_prefix_stays_on_the_first_line() {
        let contents = script_file_contents("echo one\necho two");
        assert_eq!(contents.lines().count(), 2);
        assert!(contents.lines().next().unwrap().ends_with("; echo one"));
    }
}
