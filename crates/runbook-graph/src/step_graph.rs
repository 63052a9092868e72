//! Builds the step graph from a parsed document and checks it.

use crate::step_analysis::{AnalysisSource, GraphAnalysis};
use crate::{Step, StepKind};
use runbook_syntax::{
    BlockClass, Diagnostic, Document, FrontMatter, ItemKind, SectionId, StepAttributes,
    did_you_mean, slugify,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

/// The steps of a runbook, their `needs` edges and a valid execution order.
#[derive(Debug, Clone)]
pub struct StepGraph {
    pub steps: Vec<Step>,
    /// `needs[i]` are the indices step `i` needs.
    pub needs: Vec<Vec<usize>>,
    /// Execution order: document order, except that a step's needs come first.
    pub order: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

impl StepGraph {
    pub fn build(document: &Document) -> StepGraph {
        let mut steps = build_steps(document);
        assign_ids(&mut steps);
        let mut diagnostics = Vec::new();
        check_duplicate_names(&steps, &mut diagnostics);
        let needs = resolve_needs(&steps, &mut diagnostics);
        let order = match find_cycle(&needs) {
            Some(cycle) => {
                report_cycle(&steps, &cycle, &mut diagnostics);
                (0..steps.len()).collect()
            }
            None => topological_order(&needs),
        };
        StepGraph {
            steps,
            needs,
            order,
            diagnostics,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Finds a step by id, name, 1-based number or unique id prefix.
    pub fn find(&self, reference: &str) -> Result<usize, String> {
        let reference = reference.trim();
        if let Some(index) = self.steps.iter().position(|step| step.id == reference) {
            return Ok(index);
        }
        if let Ok(number) = reference.parse::<usize>()
            && (1..=self.steps.len()).contains(&number)
        {
            return Ok(number - 1);
        }
        let prefixed: Vec<usize> = self
            .steps
            .iter()
            .filter(|step| step.id.starts_with(reference))
            .map(|step| step.index)
            .collect();
        match prefixed.as_slice() {
            [only] => Ok(*only),
            [] => Err(
                match did_you_mean(reference, self.steps.iter().map(|step| step.id.as_str())) {
                    Some(suggestion) => {
                        format!("no step named `{reference}`; did you mean `{suggestion}`?")
                    }
                    None => format!("no step named `{reference}`; see `runbook list` for step ids"),
                },
            ),
            many => Err(format!(
                "`{reference}` matches {} steps: {}",
                many.len(),
                many.iter()
                    .take(5)
                    .map(|i| self.steps[*i].id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Every step `index` needs, directly or not.
    pub fn transitive_needs(&self, index: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![index];
        while let Some(current) = stack.pop() {
            for &need in &self.needs[current] {
                if seen.insert(need) {
                    stack.push(need);
                }
            }
        }
        seen
    }
}

fn build_steps(document: &Document) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::with_capacity(document.items.len());
    let mut sources: Vec<AnalysisSource> = Vec::with_capacity(document.items.len());
    // Replaced once every step is known; until then nothing reads it.
    let pending = Arc::new(GraphAnalysis::new(FrontMatter::default(), Vec::new()));
    let no_attributes = Arc::new(StepAttributes::default());
    let empty_reason: Arc<str> = Arc::from("");
    let mut heading_path: Option<(Option<SectionId>, Arc<[String]>)> = None;
    for item in &document.items {
        // Steps of one section come together and share its heading path.
        let heading_path = match &heading_path {
            Some((section, path)) if *section == item.section => path.clone(),
            _ => {
                let path: Arc<[String]> = document
                    .heading_path(item.section)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                heading_path.insert((item.section, path)).1.clone()
            }
        };
        let line = document.source.line_of(item.span.start);
        let mut step = Step {
            index: steps.len(),
            id: String::new(),
            name: None,
            section: item.section,
            heading_path,
            kind: StepKind::Manual,
            title: String::new(),
            instruction: item.intro.clone(),
            script: None,
            body: None,
            language: None,
            context: Vec::new(),
            expected_output: None,
            session_input: Vec::new(),
            attributes: no_attributes.clone(),
            reason: empty_reason.clone(),
            checked: false,
            span: item.span,
            line,
            analysis: pending.clone(),
        };
        match &item.kind {
            ItemKind::Task(task) => {
                step.instruction = Some(task.text.clone());
                step.checked = task.checked;
                step.reason = CHECKLIST_REASON.clone();
            }
            ItemKind::Instruction(instruction) => {
                step.instruction = Some(instruction.text.clone());
                step.reason = INSTRUCTION_REASON.clone();
            }
            ItemKind::Code(code) => {
                let content = &code.content;
                step.attributes = code.attributes.clone();
                step.name = code.attributes.name.clone();
                step.reason = content.reason.clone();
                step.language = content
                    .language
                    .clone()
                    .or_else(|| code.lang.as_deref().map(Arc::from));
                step.context = content.foreign.clone();
                step.expected_output = content.expected_output.clone();
                step.session_input = content.session_input.clone();
                step.kind = match content.class {
                    BlockClass::Shell => StepKind::Shell,
                    BlockClass::Session => StepKind::Session,
                    BlockClass::Context => StepKind::Context,
                    BlockClass::Manual => StepKind::Manual,
                };
                if step.kind == StepKind::Manual {
                    step.body = Some(code.body.clone());
                    let lines: Vec<&str> = content
                        .manual_lines
                        .iter()
                        .map(|line| line.text.as_str())
                        .collect();
                    step.instruction = Some(Arc::from(join_nonempty(
                        item.intro.as_deref(),
                        &lines.join("\n"),
                    )));
                }
                if step.kind == StepKind::Context {
                    step.body = Some(code.body.clone());
                }
                if step.kind.runs_code() {
                    step.script = content.script.clone();
                }
            }
        }
        step.title = title_for(&step);
        sources.push(AnalysisSource {
            kind: step.kind,
            span: step.span,
            script: step.script.clone(),
            attributes: step.attributes.clone(),
        });
        steps.push(step);
    }
    let analysis = Arc::new(GraphAnalysis::new(document.front_matter.clone(), sources));
    for step in &mut steps {
        step.analysis = analysis.clone();
    }
    steps
}

static CHECKLIST_REASON: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("checklist item"));
static INSTRUCTION_REASON: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from("numbered instruction with no code"));

fn join_nonempty(first: Option<&str>, second: &str) -> String {
    match first {
        Some(first) if !first.trim().is_empty() => format!("{first}\n{second}"),
        _ => second.to_string(),
    }
}

/// The first of: the instruction's first line, the script's first comment
/// (for steps that run), its first command, the body's first line, the kind.
/// Each candidate is only looked for when the ones before it are missing.
fn title_for(step: &Step) -> String {
    fn first_line(text: &str) -> Option<&str> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("#!"))
            .map(|line| line.trim_start_matches('#').trim().trim_matches('*').trim())
            .find(|line| !line.is_empty() && (!line.starts_with('/') || line.contains(' ')))
    }
    let script_lines = || {
        step.script
            .iter()
            .flat_map(|script| script.text.lines().map(str::trim))
    };
    // The innermost part of an intro chain such as `Deploy › Step 2`.
    let innermost = |text: &'_ str| -> usize {
        // `›` is the only character with this last UTF-8 byte; a reverse
        // `memchr` for it skips long prose quickly.
        const SEPARATOR: &[u8] = " › ".as_bytes();
        let bytes = text.as_bytes();
        memchr::memrchr_iter(SEPARATOR[3], bytes)
            .map(|index| index + 2)
            .find(|&end| end <= bytes.len() && bytes[..end].ends_with(SEPARATOR))
            .map_or(0, |end| end)
    };
    let from_instruction = || {
        step.instruction
            .as_deref()
            .and_then(|text| first_line(&text[innermost(text)..]))
    };
    let from_comment = || {
        script_lines()
            .filter(|line| line.starts_with('#') && !line.starts_with("#!"))
            .map(|line| line.trim_start_matches('#').trim())
            .find(|line| !line.is_empty())
    };
    let from_script = || script_lines().find(|line| !line.is_empty() && !line.starts_with('#'));
    let from_body = || step.body.as_deref().and_then(first_line);
    let title = from_instruction()
        .or_else(|| step.kind.runs_code().then(from_comment).flatten())
        .or_else(from_script)
        .or_else(from_body)
        .unwrap_or(step.kind.as_str());
    truncate(title, 72)
}

/// At most `max` characters: longer text keeps `max - 1` and gets `…`.
fn truncate(text: &str, max: usize) -> String {
    // Only the first `max + 1` characters are looked at, however long the text.
    if text.char_indices().nth(max).is_none() {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(text.len(), |(index, _)| index);
    let mut out = String::with_capacity(cut + '…'.len_utf8());
    out.push_str(&text[..cut]);
    out.push('…');
    out
}

/// Explicit names first; everything else gets an id from its heading.
fn assign_ids(steps: &mut [Step]) {
    let mut used: HashSet<String> = steps
        .iter()
        .filter_map(|step| step.name.as_ref().map(|name| name.value.clone()))
        .collect();
    let mut per_base: HashMap<String, usize> = HashMap::new();
    // The base of the previous unnamed step's section: steps of one section
    // come together and share it.
    let mut section_base: Option<(Option<SectionId>, String)> = None;
    for step in steps.iter_mut() {
        if let Some(name) = &step.name {
            step.id = name.value.clone();
            continue;
        }
        let base = match &section_base {
            Some((section, base)) if *section == step.section => base,
            _ => {
                &section_base
                    .insert((
                        step.section,
                        base_id(step.heading_path.last().map(String::as_str).unwrap_or("")),
                    ))
                    .1
            }
        };
        let mut count = per_base.get(base).copied().unwrap_or(0);
        let mut candidate = if count == 0 {
            base.clone()
        } else {
            format!("{base}-{}", count + 1)
        };
        count += 1;
        while used.contains(&candidate) {
            count += 1;
            candidate = format!("{base}-{count}");
        }
        match per_base.get_mut(base) {
            Some(stored) => *stored = count,
            None => {
                per_base.insert(base.clone(), count);
            }
        }
        used.insert(candidate.clone());
        step.id = candidate;
    }
}

/// The id stem for steps under `heading`: its slug, at most about 40 bytes.
fn base_id(heading: &str) -> String {
    let mut base = slugify(heading)
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if base.len() > 40 {
        let cut = base[..40].rfind('-').unwrap_or(40);
        base.truncate(cut);
    }
    if base.is_empty() || !base.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        base = format!(
            "step{}",
            if base.is_empty() {
                String::new()
            } else {
                format!("-{base}")
            }
        );
    }
    base
}

fn check_duplicate_names(steps: &[Step], diagnostics: &mut Vec<Diagnostic>) {
    let mut first_seen: HashMap<&str, &Step> = HashMap::new();
    for step in steps {
        let Some(name) = &step.name else { continue };
        match first_seen.get(name.value.as_str()) {
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    "duplicate-name",
                    name.span,
                    format!("step name `{}` is used twice", name.value),
                )
                .with_label(
                    first.name.as_ref().map(|n| n.span).unwrap_or(first.span),
                    "first used here",
                )
                .with_help("step names must be unique; rename one of them"),
            ),
            None => {
                first_seen.insert(&name.value, step);
            }
        }
    }
}

fn resolve_needs(steps: &[Step], diagnostics: &mut Vec<Diagnostic>) -> Vec<Vec<usize>> {
    if steps.iter().all(|step| step.attributes.needs.is_empty()) {
        // Nothing to resolve: skip indexing every id.
        return vec![Vec::new(); steps.len()];
    }
    let by_id: HashMap<&str, usize> = steps
        .iter()
        .map(|step| (step.id.as_str(), step.index))
        .collect();
    steps
        .iter()
        .map(|step| {
            let mut needs = Vec::new();
            for need in &step.attributes.needs {
                match by_id.get(need.value.as_str()) {
                    Some(&index) => {
                        if !needs.contains(&index) {
                            needs.push(index);
                        }
                    }
                    None => {
                        let mut diagnostic = Diagnostic::error(
                            "unknown-need",
                            need.span,
                            format!("`needs` names no step called `{}`", need.value),
                        );
                        diagnostic =
                            match did_you_mean(&need.value, steps.iter().map(|s| s.id.as_str())) {
                                Some(suggestion) => {
                                    diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                                }
                                None => diagnostic.with_help(
                                    "give the step you mean a `name` attribute and use it here",
                                ),
                            };
                        diagnostics.push(diagnostic);
                    }
                }
            }
            needs
        })
        .collect()
}

/// A cycle among `needs` edges, as the list of steps in it, if any.
fn find_cycle(needs: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; needs.len()];
    // Iterative DFS: (node, next edge index). Empty after each root; reused.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..needs.len() {
        if marks[root] != Mark::New {
            continue;
        }
        if needs[root].is_empty() {
            // A step that needs nothing is finished at once.
            marks[root] = Mark::Done;
            continue;
        }
        stack.push((root, 0));
        marks[root] = Mark::Active;
        while let Some((node, edge)) = stack.last().copied() {
            if let Some(&next) = needs[node].get(edge) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match marks[next] {
                    Mark::New => {
                        marks[next] = Mark::Active;
                        stack.push((next, 0));
                    }
                    Mark::Active => {
                        let start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        return Some(stack[start..].iter().map(|(n, _)| *n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

fn report_cycle(steps: &[Step], cycle: &[usize], diagnostics: &mut Vec<Diagnostic>) {
    let mut names: Vec<&str> = cycle.iter().map(|i| steps[*i].id.as_str()).collect();
    names.push(names[0]);
    let first = &steps[cycle[0]];
    let need_span = |from: usize, to: usize| {
        steps[from]
            .attributes
            .needs
            .iter()
            .find(|need| need.value == steps[to].id)
            .map(|need| need.span)
            .unwrap_or(steps[from].span)
    };
    let mut diagnostic = Diagnostic::error(
        "needs-cycle",
        need_span(cycle[0], cycle[(1) % cycle.len()]),
        format!("`needs` form a cycle: {}", names.join(" → ")),
    )
    .with_help("remove one of these `needs` so the steps can run in some order");
    for (position, &index) in cycle.iter().enumerate().skip(1) {
        let next = cycle[(position + 1) % cycle.len()];
        diagnostic = diagnostic.with_label(
            need_span(index, next),
            format!("`{}` needs `{}`", steps[index].id, steps[next].id),
        );
    }
    let _ = first;
    diagnostics.push(diagnostic);
}

/// Kahn's algorithm, always taking the earliest step in document order.
fn topological_order(needs: &[Vec<usize>]) -> Vec<usize> {
    let count = needs.len();
    if needs.iter().all(Vec::is_empty) {
        return (0..count).collect();
    }
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut waiting: Vec<usize> = vec![0; count];
    for (step, step_needs) in needs.iter().enumerate() {
        waiting[step] = step_needs.len();
        for &need in step_needs {
            dependents[need].push(step);
        }
    }
    let mut ready: BTreeSet<usize> = (0..count).filter(|&step| waiting[step] == 0).collect();
    let mut order = Vec::with_capacity(count);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &dependent in &dependents[next] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                ready.insert(dependent);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cut_at_a_character_count() {
        assert_eq!(truncate("short", 72), "short");
        let exact = "é".repeat(72);
        assert_eq!(truncate(&exact, 72), exact);
        let long = format!("{}xyz", "é".repeat(72));
        assert_eq!(truncate(&long, 72), format!("{}…", "é".repeat(71)));
        assert_eq!(truncate(&long, 72).chars().count(), 72);
        assert_eq!(truncate("abc", 2), "a…");
    }
}
