//! Choosing part of a runbook: `--from`, `--only`, `--section`.

use crate::StepGraph;
use runbook_syntax::{did_you_mean, slugify};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// This step and everything after it in order.
    From(String),
    /// Just this step.
    Only(String),
    /// Every step under a heading whose title or anchor starts with this text.
    Section(String),
}

impl StepGraph {
    /// The chosen steps plus everything they need, in a valid order.
    /// With no selectors, every step.
    pub fn select(&self, selectors: &[Selector]) -> Result<Vec<usize>, String> {
        if selectors.is_empty() {
            return Ok(self.order.clone());
        }
        let mut chosen: BTreeSet<usize> = BTreeSet::new();
        for selector in selectors {
            match selector {
                Selector::Only(reference) => {
                    chosen.insert(self.find(reference)?);
                }
                Selector::From(reference) => {
                    let start = self.find(reference)?;
                    let position = self
                        .order
                        .iter()
                        .position(|&index| index == start)
                        .unwrap_or(0);
                    chosen.extend(self.order[position..].iter().copied());
                }
                Selector::Section(prefix) => {
                    let matched = self.steps_in_section(prefix);
                    if matched.is_empty() {
                        return Err(self.unknown_section(prefix));
                    }
                    chosen.extend(matched);
                }
            }
        }
        let mut with_needs = chosen.clone();
        for &index in &chosen {
            with_needs.extend(self.transitive_needs(index));
        }
        Ok(self
            .order
            .iter()
            .copied()
            .filter(|index| with_needs.contains(index))
            .collect())
    }

    /// Steps whose heading path has a heading starting with `prefix`
    /// (case-insensitive; a `A/B` path matches nested headings).
    pub fn steps_in_section(&self, prefix: &str) -> Vec<usize> {
        let parts: Vec<String> = prefix
            .split('/')
            .map(|part| part.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Vec::new();
        }
        let matches_heading = |heading: &str, part: &str| {
            let heading = heading.to_lowercase();
            heading.starts_with(part)
                || slugify(&heading).starts_with(&slugify(part))
                || strip_numbering(&heading).starts_with(part)
        };
        self.steps
            .iter()
            .filter(|step| {
                let mut remaining = parts.iter();
                let mut wanted = remaining.next();
                for heading in step.heading_path().iter() {
                    if let Some(part) = wanted
                        && matches_heading(heading, part)
                    {
                        wanted = remaining.next();
                    }
                }
                wanted.is_none()
            })
            .map(|step| step.index)
            .collect()
    }

    /// Every distinct heading that has steps, in document order.
    pub fn section_titles(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for step in &self.steps {
            for heading in step.heading_path().iter() {
                if !seen.contains(heading) {
                    seen.push(heading.clone());
                }
            }
        }
        seen
    }

    fn unknown_section(&self, prefix: &str) -> String {
        let titles = self.section_titles();
        match did_you_mean(prefix, titles.iter().map(String::as_str)) {
            Some(suggestion) => {
                format!("no section matches `{prefix}`; did you mean `{suggestion}`?")
            }
            None => format!(
                "no section matches `{prefix}`; sections with steps: {}",
                titles
                    .iter()
                    .take(8)
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// `3. Deployment` → `deployment`, so numbered headings match by name.
fn strip_numbering(heading: &str) -> &str {
    heading.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
}
