//! Where variable values come from, in precedence order: `--var`, then
//! `--env-file`/`.env`, then the process environment, then front-matter
//! defaults; then a prompt, just before the first step that needs it.

use crate::ValueSource;
use runbook_graph::is_secret_name;
use runbook_syntax::FrontMatter;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct Variable {
    pub value: String,
    pub source: ValueSource,
    pub secret: bool,
}

#[derive(Debug, Clone, Default)]
pub struct VariableStore {
    front_matter: FrontMatter,
    flags: BTreeMap<String, String>,
    env_file: BTreeMap<String, String>,
    environment: HashMap<String, String>,
    /// Values settled so far (looked up, prompted, captured), in the order they were settled.
    known: BTreeMap<String, Variable>,
}

impl VariableStore {
    pub fn new(
        front_matter: FrontMatter,
        flags: Vec<(String, String)>,
        env_file: Vec<(String, String)>,
        environment: HashMap<String, String>,
    ) -> Self {
        VariableStore {
            front_matter,
            flags: flags.into_iter().collect(),
            env_file: env_file.into_iter().collect(),
            environment,
            known: BTreeMap::new(),
        }
    }

    pub fn front_matter(&self) -> &FrontMatter {
        &self.front_matter
    }

    pub fn is_secret(&self, name: &str) -> bool {
        self.front_matter.var(name).is_some_and(|var| var.secret) || is_secret_name(name)
    }

    /// The value already settled for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.known.get(name)
    }

    /// Looks `name` up in the configured sources without prompting. Returns
    /// `Some(true)` when it was newly settled (so the caller reports it).
    pub fn settle(&mut self, name: &str) -> Option<(&Variable, bool)> {
        if self.known.contains_key(name) {
            return self.known.get(name).map(|variable| (variable, false));
        }
        let found = if let Some(value) = self.flags.get(name) {
            Some((value.clone(), ValueSource::Flag))
        } else if let Some(value) = self.env_file.get(name) {
            Some((value.clone(), ValueSource::EnvFile))
        } else if let Some(value) = self.environment.get(name) {
            Some((value.clone(), ValueSource::Environment))
        } else {
            self.front_matter
                .var(name)
                .and_then(|var| var.default.clone())
                .map(|value| (value, ValueSource::Default))
        };
        let (value, source) = found?;
        let secret = self.is_secret(name);
        self.known.insert(
            name.to_string(),
            Variable {
                value,
                source,
                secret,
            },
        );
        self.known.get(name).map(|variable| (variable, true))
    }

    pub fn set(&mut self, name: &str, value: String, source: ValueSource) {
        let secret = self.is_secret(name);
        self.known.insert(
            name.to_string(),
            Variable {
                value,
                source,
                secret,
            },
        );
    }

    /// Values to export into every step: everything settled except what the
    /// process environment already provides.
    pub fn exports(&self) -> Vec<(String, String)> {
        self.known
            .iter()
            .filter(|(_, variable)| variable.source != ValueSource::Environment)
            .filter(|(name, _)| runbook_syntax::shell_scan::is_identifier(name))
            .map(|(name, variable)| (name.clone(), variable.value.clone()))
            .collect()
    }

    /// Every settled value, for display and resume.
    pub fn known(&self) -> &BTreeMap<String, Variable> {
        &self.known
    }

    /// Settles every front-matter variable that has a value from a source,
    /// so steps see declared defaults even when no step names them.
    pub fn settle_declared(&mut self) -> Vec<String> {
        let names: Vec<String> = self
            .front_matter
            .vars
            .iter()
            .map(|var| var.name.clone())
            .collect();
        names
            .into_iter()
            .filter(|name| matches!(self.settle(name), Some((_, true))))
            .collect()
    }
}
