//! Builds the step graph from a parsed document and checks it.

use crate::step_analysis::{AnalysisSource, GraphAnalysis};
use crate::{Step, StepKind};
use hashbrown::HashTable;
use runbook_syntax::{
    BlockClass, Diagnostic, Document, Item, ItemKind, SectionId, StepAttributes, did_you_mean,
    slugify,
};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
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

impl Drop for StepGraph {
    /// Large graphs are dropped in two halves on two threads. Every step
    /// holds the graph's analysis: the second half's references to it are
    /// swapped for references to a stand-in first, so the two threads never
    /// count references to one value at once (which would slow both).
    fn drop(&mut self) {
        let mut steps = std::mem::take(&mut self.steps);
        if steps.len() >= PARALLEL_STEPS && runbook_syntax::second_core_available() {
            let stand_in = Arc::new(GraphAnalysis::new(Default::default()));
            let half = steps.len() / 2;
            let analyses: Vec<Arc<GraphAnalysis>> = steps[half..]
                .iter_mut()
                .map(|step| std::mem::replace(&mut step.analysis, stand_in.clone()))
                .collect();
            drop(stand_in);
            drop(analyses);
        }
        runbook_syntax::drop_in_halves(steps);
    }
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

/// Documents with at least this many items build their steps in two halves
/// on two threads: each step is built from its own item alone.
const PARALLEL_STEPS: usize = 2048;

fn build_steps(document: &Document) -> Vec<Step> {
    // Its sources are filled in once every step is known; until then nothing reads it.
    let analysis = Arc::new(GraphAnalysis::new(document.front_matter.clone()));
    let items = &document.items;
    let (mut steps, mut sources) = if items.len() >= PARALLEL_STEPS
        && runbook_syntax::second_core_available()
    {
        let (first, second) = items.split_at(items.len() / 2);
        // Counted up here, before the threads start: two threads counting
        // references to one value at once make each count slow.
        let later_handles: Vec<Arc<GraphAnalysis>> =
            second.iter().map(|_| analysis.clone()).collect();
        std::thread::scope(|scope| {
            let later = std::thread::Builder::new()
                .name("runbook-steps".to_string())
                .spawn_scoped(scope, || {
                    build_some_steps(document, second, first.len(), &analysis, later_handles)
                });
            let (mut steps, mut sources) =
                build_some_steps(document, first, 0, &analysis, Vec::new());
            let (mut later_steps, mut later_sources) = match later.map(|later| later.join()) {
                Ok(Ok(built)) => built,
                // Building steps is the same code on either thread: a panic
                // there would have happened here too.
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => build_some_steps(document, second, first.len(), &analysis, Vec::new()),
            };
            steps.append(&mut later_steps);
            sources.append(&mut later_sources);
            (steps, sources)
        })
    } else {
        build_some_steps(document, items, 0, &analysis, Vec::new())
    };
    steps.shrink_to_fit();
    sources.shrink_to_fit();
    analysis.set_sources(sources);
    steps
}

/// The steps of `items`, a run of the document's items starting at step
/// `first_index`, and what their analysis reads. The steps take their
/// references to `analysis` from `handles` while there are any.
///
/// Values the document shares between many items (attributes, reasons,
/// languages) are shared through copies of this thread's own, so the two
/// threads never count references to the same value.
fn build_some_steps(
    document: &Document,
    items: &[Item],
    first_index: usize,
    analysis: &Arc<GraphAnalysis>,
    mut handles: Vec<Arc<GraphAnalysis>>,
) -> (Vec<Step>, Vec<AnalysisSource>) {
    // Room for the steps after these, which are appended.
    let capacity = first_index + items.len();
    let mut steps: Vec<Step> = Vec::with_capacity(document.items.len().max(capacity) - first_index);
    let mut sources: Vec<AnalysisSource> = Vec::with_capacity(steps.capacity());
    let no_attributes = Arc::new(StepAttributes::default());
    let empty_reason: Arc<str> = Arc::from("");
    let mut heading_path: Option<(Option<SectionId>, Arc<[String]>)> = None;
    let mut shared_attributes = LocalShares::default();
    let mut shared_texts = LocalShares::default();
    let checklist_reason = shared_texts.get(&CHECKLIST_REASON, |text| Arc::from(text));
    let instruction_reason = shared_texts.get(&INSTRUCTION_REASON, |text| Arc::from(text));
    // Items come in document order, so counting newlines as we go finds
    // their lines without indexing every line of the file.
    let mut lines = document.source.line_cursor();
    for item in items {
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
        let line = lines.line_of(item.span.start);
        let mut step = Step {
            index: first_index + steps.len(),
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
            analysis: handles.pop().unwrap_or_else(|| analysis.clone()),
        };
        match &item.kind {
            ItemKind::Task(task) => {
                step.instruction = Some(task.text.clone());
                step.checked = task.checked;
                step.reason = checklist_reason.clone();
            }
            ItemKind::Instruction(instruction) => {
                step.instruction = Some(instruction.text.clone());
                step.reason = instruction_reason.clone();
            }
            ItemKind::Code(code) => {
                let content = &code.content;
                step.attributes = shared_attributes
                    .get(&code.attributes, |attributes| Arc::new(attributes.clone()));
                step.name = code.attributes.name.clone();
                step.reason = shared_texts.get(&content.reason, |text| Arc::from(text));
                step.language = content
                    .language
                    .as_ref()
                    .or(code.lang.as_ref())
                    .map(|language| shared_texts.get(language, |text| Arc::from(text)));
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
    (steps, sources)
}

/// Values this thread shares between its steps, each a copy of a value the
/// document shares between many items.
struct LocalShares<T: ?Sized> {
    /// The document's value, kept so its address is not reused, and this thread's copy.
    known: Vec<(Arc<T>, Arc<T>)>,
}

impl<T: ?Sized> Default for LocalShares<T> {
    fn default() -> Self {
        LocalShares { known: Vec::new() }
    }
}

impl<T: ?Sized> LocalShares<T> {
    /// This thread's copy of `shared` when other items share it too, else `shared` itself.
    fn get(&mut self, shared: &Arc<T>, copy: impl FnOnce(&T) -> Arc<T>) -> Arc<T> {
        // A handful covers a document: default attributes, reasons, languages.
        const KEPT: usize = 32;
        if let Some((_, local)) = self
            .known
            .iter()
            .find(|(document, _)| Arc::ptr_eq(document, shared))
        {
            return local.clone();
        }
        // Held only by its item (and the document's caches): not worth a copy.
        if Arc::strong_count(shared) <= 2 || self.known.len() >= KEPT {
            return shared.clone();
        }
        let local = copy(shared);
        self.known.push((shared.clone(), local.clone()));
        local
    }
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
    // Ids are short and there is one lookup per step: a fast hash matters
    // more here than resistance to crafted collisions.
    let hasher = FxBuildHasher;
    let hash = |id: &str| hasher.hash_one(id);
    // The ids handed out so far, as indices of the steps that hold them, so
    // the table needs no copy of its own.
    let mut used: HashTable<usize> = HashTable::with_capacity(steps.len());
    for index in 0..steps.len() {
        let Some(name) = &steps[index].name else {
            continue;
        };
        steps[index].id = name.value.clone();
        let id = steps[index].id.as_str();
        let id_hash = hash(id);
        if used.find(id_hash, |&other| steps[other].id == id).is_none() {
            used.insert_unique(id_hash, index, |&other| hash(&steps[other].id));
        }
    }
    // How many ids each base has handed out. Steps of one section come
    // together and share a base, so the open section's count is kept aside
    // and stored when the next section starts.
    let mut per_base: FxHashMap<String, usize> = FxHashMap::default();
    let mut open: Option<(Option<SectionId>, String, usize)> = None;
    let mut candidate = String::new();
    for index in 0..steps.len() {
        if steps[index].name.is_some() {
            continue;
        }
        let section = steps[index].section;
        let (_, base, count) = match &mut open {
            Some(open) if open.0 == section => open,
            _ => {
                if let Some((_, base, count)) = open.take() {
                    per_base.insert(base, count);
                }
                let heading = steps[index].heading_path.last().map_or("", String::as_str);
                let base = base_id(heading);
                let count = per_base.get(&base).copied().unwrap_or(0);
                open.insert((section, base, count))
            }
        };
        candidate.clear();
        candidate.push_str(base);
        if *count > 0 {
            push_suffix(&mut candidate, *count + 1);
        }
        *count += 1;
        loop {
            let candidate_hash = hash(&candidate);
            if used
                .find(candidate_hash, |&other| steps[other].id == candidate)
                .is_none()
            {
                steps[index].id = candidate.as_str().to_owned();
                used.insert_unique(candidate_hash, index, |&other| hash(&steps[other].id));
                break;
            }
            *count += 1;
            candidate.truncate(base.len());
            push_suffix(&mut candidate, *count);
        }
    }
}

/// Appends `-{number}`.
fn push_suffix(id: &mut String, number: usize) {
    use std::fmt::Write;
    id.push('-');
    // Writing to a `String` cannot fail.
    let _ = write!(id, "{number}");
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
