//! The shell state carried from one step to the next: variables, functions, working directory.
//!
//! The step's shell dumps raw `declare -p` and `declare -f` output (see
//! [`crate::process_bash_wrapper`]); this module decides what of it is carried, because doing
//! the filtering in bash would need a loop over every variable name, which costs about as much
//! as starting bash itself. The result is rendered as a script the next step's shell sources.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::process_declare_statement::{
    DeclareStatement, is_shell_identifier, single_quoted, statement_end,
};

/// Separates `declare -p` output from `declare -f` output in a dump.
pub(crate) const FUNCTIONS_MARKER: &str = "# runbook-functions";
/// Last line of a complete dump, followed by the step's sequence number.
pub(crate) const COMPLETE_MARKER: &str = "# runbook-state-complete";
/// The variable through which the dump reports the shell's final working directory.
pub(crate) const CWD_VARIABLE: &str = "__runbook_cwd";

/// Variables bash maintains itself or that shape how the shell parses and runs commands; like
/// `set -o` options they stay local to the step that changed them.
pub(crate) fn is_shell_internal(name: &str) -> bool {
    name.starts_with("BASH_")
        || name.starts_with(INTERNAL_PREFIX)
        || matches!(
            name,
            "_" | "BASH"
                | "BASHOPTS"
                | "BASHPID"
                | "COLUMNS"
                | "COMP_WORDBREAKS"
                | "DIRSTACK"
                | "EPOCHREALTIME"
                | "EPOCHSECONDS"
                | "EUID"
                | "FUNCNAME"
                | "GROUPS"
                | "HISTCMD"
                | "HOSTNAME"
                | "HOSTTYPE"
                | "IFS"
                | "LINENO"
                | "LINES"
                | "MACHTYPE"
                | "OLDPWD"
                | "OPTARG"
                | "OPTERR"
                | "OPTIND"
                | "OSTYPE"
                | "PIPESTATUS"
                | "PPID"
                | "PS1"
                | "PS2"
                | "PS3"
                | "PS4"
                | "PWD"
                | "RANDOM"
                | "SECONDS"
                | "SHELLOPTS"
                | "SHLVL"
                | "SRANDOM"
                | "UID"
        )
}

/// Bash gives these a default value when the environment lacks them; that default is not
/// something a step assigned.
const DEFAULTED_WHEN_ABSENT: &[&str] = &["PATH", "SHELL", "TERM"];

/// Names reserved for the wrapper's own bookkeeping.
pub(crate) const INTERNAL_PREFIX: &str = "__runbook_";

/// A scalar variable carried between steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedVariable {
    pub value: String,
    /// Exported variables are in the environment of the commands later steps run.
    pub exported: bool,
}

/// One line (or multi-line statement) of the carried state script.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CarriedEntry {
    Declared {
        name: String,
        /// A `declare` statement bash reads back into the same variable.
        statement: Vec<u8>,
        /// The variable arrives exported from the environment but the step un-exported it.
        unexport: bool,
        /// Set for scalars that have a value.
        scalar: Option<CarriedVariable>,
    },
    /// The variable arrives from the environment but the step unset it.
    Unset { name: String },
}

impl CarriedEntry {
    fn name(&self) -> &str {
        match self {
            CarriedEntry::Declared { name, .. } | CarriedEntry::Unset { name } => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CarriedState {
    cwd: PathBuf,
    entries: Vec<CarriedEntry>,
    /// Verbatim `declare -f` output.
    functions: Vec<u8>,
}

impl CarriedState {
    pub(crate) fn empty(cwd: PathBuf) -> Self {
        CarriedState {
            cwd,
            entries: Vec::new(),
            functions: Vec::new(),
        }
    }

    pub(crate) fn cwd(&self) -> &Path {
        &self.cwd
    }

    pub(crate) fn with_cwd(self, cwd: PathBuf) -> Self {
        CarriedState { cwd, ..self }
    }

    /// Nothing but the working directory: the next step needs no state file.
    pub(crate) fn has_script(&self) -> bool {
        !self.entries.is_empty() || !self.functions.is_empty()
    }

    pub(crate) fn variables(&self) -> BTreeMap<String, CarriedVariable> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                CarriedEntry::Declared {
                    name,
                    scalar: Some(variable),
                    ..
                } => Some((name.clone(), variable.clone())),
                _ => None,
            })
            .collect()
    }

    /// Builds the state from a scalar variable set, as saved in a timeline.
    pub(crate) fn from_variables(
        cwd: PathBuf,
        variables: impl IntoIterator<Item = (String, CarriedVariable)>,
    ) -> Result<Self, String> {
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        for (name, variable) in variables {
            if !is_shell_identifier(&name) {
                return Err(format!("`{name}` is not a shell variable name"));
            }
            if is_shell_internal(&name) {
                return Err(format!(
                    "`{name}` is maintained by the shell and is never carried"
                ));
            }
            if variable.value.contains('\0') {
                return Err(format!("the value of `{name}` contains a NUL byte"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("`{name}` is given twice"));
            }
            let flag = if variable.exported { "-x" } else { "--" };
            let statement =
                format!("declare {flag} {name}={}", single_quoted(&variable.value)).into_bytes();
            entries.push(CarriedEntry::Declared {
                name,
                statement,
                unexport: false,
                scalar: Some(variable),
            });
        }
        Ok(CarriedState {
            cwd,
            entries,
            functions: Vec::new(),
        })
    }

    /// Reads the dump a step's shell wrote when it exited and decides what is carried.
    ///
    /// `environment` is what the step's shell inherited. A variable that still has its inherited
    /// value and is still exported is not carried (the next step inherits it anyway, and per-step
    /// variables such as inputs stay per-step), unless an earlier step already carried it.
    /// Inherited variables the step unset or un-exported are carried as such.
    pub(crate) fn from_dump(
        dump: &[u8],
        sequence: u64,
        environment: &HashMap<&str, &str>,
        previous: &CarriedState,
    ) -> Result<Self, String> {
        let complete_line = format!("{COMPLETE_MARKER} {sequence}\n");
        let body = dump
            .strip_suffix(complete_line.as_bytes())
            .ok_or("the shell did not finish writing it")?;

        let previously_carried: HashSet<&str> =
            previous.entries.iter().map(CarriedEntry::name).collect();
        let mut cwd = None;
        let mut entries = Vec::new();
        let mut declared = HashSet::new();
        let mut functions = None;
        let mut start = 0;
        while start < body.len() {
            let end = statement_end(body, start)?;
            let raw = &body[start..end];
            let next = (end + 1).min(body.len());
            if raw == FUNCTIONS_MARKER.as_bytes() {
                functions = Some(body[next..].to_vec());
                break;
            }
            start = next;
            if raw.is_empty() {
                continue;
            }
            let statement = DeclareStatement::parse(raw)?;
            let inherited = environment.get(statement.name).copied();
            if inherited.is_some() {
                declared.insert(statement.name);
            }
            if statement.name == CWD_VARIABLE {
                let value = statement.scalar_value()?.unwrap_or_default();
                cwd = Some(PathBuf::from(bytes_to_os_string(value)));
                continue;
            }
            if is_shell_internal(statement.name) || statement.has_attribute('r') {
                continue;
            }
            let exported = statement.has_attribute('x');
            if inherited.is_none() && !exported && DEFAULTED_WHEN_ABSENT.contains(&statement.name) {
                continue;
            }
            let unchanged_inheritance = exported
                && inherited
                    .is_some_and(|inherited| statement.has_scalar_value(inherited.as_bytes()));
            if unchanged_inheritance && !previously_carried.contains(statement.name) {
                continue;
            }
            let value = statement.scalar_value()?;
            entries.push(CarriedEntry::Declared {
                name: statement.name.to_owned(),
                statement: raw.to_vec(),
                unexport: inherited.is_some() && !exported,
                scalar: value.map(|value| CarriedVariable {
                    value: String::from_utf8_lossy(&value).into_owned(),
                    exported,
                }),
            });
        }
        let functions = functions.ok_or("the functions section is missing")?;

        let mut unset: Vec<&str> = environment
            .keys()
            .copied()
            .filter(|name| {
                is_shell_identifier(name) && !is_shell_internal(name) && !declared.contains(*name)
            })
            .collect();
        unset.sort_unstable();
        entries.extend(unset.into_iter().map(|name| CarriedEntry::Unset {
            name: name.to_owned(),
        }));

        Ok(CarriedState {
            cwd: cwd.unwrap_or_else(|| previous.cwd.clone()),
            entries,
            functions,
        })
    }

    /// The script that recreates this state in a fresh shell. It holds variable values, so it
    /// must only ever be written into the session's private state directory.
    pub(crate) fn render(&self) -> Vec<u8> {
        let mut script = Vec::with_capacity(
            self.functions.len()
                + self
                    .entries
                    .iter()
                    .map(|entry| match entry {
                        CarriedEntry::Declared { statement, .. } => statement.len() + 1,
                        CarriedEntry::Unset { name } => name.len() + 16,
                    })
                    .sum::<usize>()
                + 80,
        );
        script.extend_from_slice(
            b"# Shell state carried between runbook steps. Private: it holds variable values.\n",
        );
        for entry in &self.entries {
            match entry {
                CarriedEntry::Declared {
                    name,
                    statement,
                    unexport,
                    ..
                } => {
                    script.extend_from_slice(statement);
                    script.push(b'\n');
                    if *unexport {
                        script.extend_from_slice(format!("builtin export -n {name}\n").as_bytes());
                    }
                }
                CarriedEntry::Unset { name } => {
                    script.extend_from_slice(format!("builtin unset -v {name}\n").as_bytes());
                }
            }
        }
        script.extend_from_slice(&self.functions);
        script
    }
}

fn bytes_to_os_string(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(body: &str, sequence: u64) -> Vec<u8> {
        format!(
            "{body}{FUNCTIONS_MARKER}\nf () \n{{ \n    echo hi\n}}\n{COMPLETE_MARKER} {sequence}\n"
        )
        .into_bytes()
    }

    #[test]
    fn keeps_assignments_and_drops_internals_readonly_and_unchanged_inheritance() {
        let body = concat!(
            "declare -x HOME=\"/root\"\n",
            "declare -x TOKEN=\"abc\"\n",
            "declare -x CHANGED=\"new\"\n",
            "declare -- BASH=\"/bin/bash\"\n",
            "declare -ir EUID=\"0\"\n",
            "declare -r LOCKED=\"1\"\n",
            "declare -- __runbook_cwd=\"/srv/app\"\n",
            "declare -- PLAIN=$'two\\nlines'\n",
            "declare -a LIST=([0]=\"a\" [1]=\"b\")\n",
        );
        let environment: HashMap<&str, &str> = [
            ("HOME", "/root"),
            ("TOKEN", "abc"),
            ("CHANGED", "old"),
            ("GONE", "x"),
        ]
        .into_iter()
        .collect();
        let previous = CarriedState::empty(PathBuf::from("/"));
        let state = CarriedState::from_dump(&dump(body, 4), 4, &environment, &previous).unwrap();

        assert_eq!(state.cwd(), Path::new("/srv/app"));
        let names: Vec<&str> = state.entries.iter().map(CarriedEntry::name).collect();
        assert_eq!(names, ["CHANGED", "PLAIN", "LIST", "GONE"]);
        let variables = state.variables();
        assert_eq!(variables["PLAIN"].value, "two\nlines");
        assert!(!variables["PLAIN"].exported);
        assert!(variables["CHANGED"].exported);
        assert!(!variables.contains_key("LIST"));

        let script = String::from_utf8(state.render()).unwrap();
        assert!(script.contains("declare -a LIST=([0]=\"a\" [1]=\"b\")\n"));
        assert!(script.contains("builtin unset -v GONE\n"));
        assert!(script.ends_with("f () \n{ \n    echo hi\n}\n"));
    }

    #[test]
    fn a_carried_variable_stays_carried_when_the_environment_matches_it() {
        let environment: HashMap<&str, &str> = [("NS", "prod")].into_iter().collect();
        let previous = CarriedState::from_variables(
            PathBuf::from("/"),
            [(
                "NS".to_owned(),
                CarriedVariable {
                    value: "prod".to_owned(),
                    exported: true,
                },
            )],
        )
        .unwrap();
        let state = CarriedState::from_dump(
            &dump("declare -x NS=\"prod\"\n", 1),
            1,
            &environment,
            &previous,
        )
        .unwrap();
        assert_eq!(state.variables()["NS"].value, "prod");
    }

    #[test]
    fn unexported_inherited_variables_are_unexported_again() {
        let environment: HashMap<&str, &str> = [("PROXY", "p")].into_iter().collect();
        let previous = CarriedState::empty(PathBuf::from("/"));
        let state = CarriedState::from_dump(
            &dump("declare -- PROXY=\"p\"\n", 2),
            2,
            &environment,
            &previous,
        )
        .unwrap();
        let script = String::from_utf8(state.render()).unwrap();
        assert!(script.contains("declare -- PROXY=\"p\"\nbuiltin export -n PROXY\n"));
    }

    #[test]
    fn incomplete_or_stale_dumps_are_rejected() {
        let environment = HashMap::new();
        let previous = CarriedState::empty(PathBuf::from("/"));
        let truncated = b"declare -x A=\"1\"\n";
        assert!(CarriedState::from_dump(truncated, 1, &environment, &previous).is_err());
        let other_step = dump("declare -x A=\"1\"\n", 7);
        assert!(CarriedState::from_dump(&other_step, 8, &environment, &previous).is_err());
    }

    #[test]
    fn restoring_rejects_names_the_shell_owns_or_cannot_hold() {
        let variable = |value: &str| CarriedVariable {
            value: value.to_owned(),
            exported: false,
        };
        let root = PathBuf::from("/");
        assert!(
            CarriedState::from_variables(root.clone(), [("PWD".to_owned(), variable("/"))])
                .is_err()
        );
        assert!(
            CarriedState::from_variables(root.clone(), [("a-b".to_owned(), variable("1"))])
                .is_err()
        );
        assert!(CarriedState::from_variables(root, [("A".to_owned(), variable("x\0y"))]).is_err());
    }
}
