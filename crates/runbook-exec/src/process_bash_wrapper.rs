//! The bash code around a step's script.
//!
//! Each step runs as `bash --noprofile --norc -c WRAPPER LABEL`, started in the session's private
//! `scripts` directory where the step's script is saved under the file name LABEL. The wrapper:
//!
//! 1. un-exports its own control variables and rebuilds `$1...` from the environment (positional
//!    arguments never appear on the command line, where any user could read them);
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
//! Only builtins run here: no `sed`, `grep`, `cat` or `mv` processes, so a step costs one bash
//! start plus a few hundred microseconds. Every command is spelled `builtin ...` because the
//! carried state may define functions with builtin names (a `cd` wrapper, say).

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

/// The `-c` program. `$0` is the script's file name, relative to the shell's start directory.
///
/// `declare -A`/`=()` compound assignments cannot be written as `builtin declare`, which is why
/// the array below is created by plain assignment. Right after the script, `set +x` runs with
/// stderr discarded so a step that turned on xtrace does not trace the wrapper.
pub(crate) const WRAPPER: &str = r##"builtin declare +x __runbook_state_in __runbook_dump_out __runbook_seq __runbook_step_cwd __runbook_argc
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
[[ -z $__runbook_state_in ]] || builtin source -- "$__runbook_state_in"
__runbook_save_state='{ builtin set +x; builtin trap - DEBUG ERR RETURN; } 2>/dev/null
builtin set +e +u +C +o pipefail +o posix
if [[ -z ${__runbook_state_saved-} ]]; then
  __runbook_state_saved=1
  __runbook_cwd=$PWD
  { builtin declare -p; builtin printf "%s\n" "# runbook-functions"; builtin declare -f; builtin printf "# runbook-state-complete %s\n" "$__runbook_seq"; } > "$__runbook_dump_out"
fi'
builtin shopt -u sourcepath
builtin source -- "$0"
{ __runbook_status=$?; builtin set +x; } 2>/dev/null
builtin eval "$__runbook_save_state"
builtin exit "$__runbook_status"
"##;

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
