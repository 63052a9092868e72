//! Builds the step graph from a parsed document and checks it.

use crate::graph_source::GraphSource;
use crate::{Step, StepKind};
use compact_str::CompactString;
use hashbrown::HashTable;
use runbook_syntax::{Diagnostic, Document, Item, ItemKind, SectionId, did_you_mean};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

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
        let BuiltSteps {
            mut steps,
            named,
            runs,
            any_needs,
        } = build_steps(document);
        let mut diagnostics = Vec::new();
        assign_ids(&mut steps, &named, &runs, &mut diagnostics);
        let needs = match any_needs {
            true => resolve_needs(&steps, &mut diagnostics),
            false => vec![Vec::new(); steps.len()],
        };
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

/// The steps of a document, and what the checks need to know of their attributes.
#[derive(Default)]
struct BuiltSteps {
    steps: Vec<Step>,
    /// The steps with a `name` attribute, in order: their ids are their names.
    named: Vec<usize>,
    /// The runs of steps without a name that share a section, in order:
    /// their ids are numbered from the run's base.
    runs: Vec<BaseRun>,
    /// Whether any step has a `needs` attribute.
    any_needs: bool,
}

/// Steps without a name, one after another (named steps between them
/// aside) in one section.
struct BaseRun {
    first: usize,
    section: Option<SectionId>,
    /// The id stem, from the section's heading.
    base: String,
}

impl BuiltSteps {
    fn append(&mut self, mut later: BuiltSteps) {
        self.steps.append(&mut later.steps);
        self.named.append(&mut later.named);
        // A run going on over the join is counted on from where its first
        // part left off, as two runs of one base are.
        self.runs.append(&mut later.runs);
        self.any_needs |= later.any_needs;
    }
}

fn build_steps(document: &Document) -> BuiltSteps {
    let source = Arc::new(GraphSource::new(document));
    let items = source.items();
    if items.len() >= PARALLEL_STEPS && runbook_syntax::second_core_available() {
        let (first, second) = items.split_at(items.len() / 2);
        // Counted up here, before the threads start: two threads counting
        // references to one value at once make each count slow.
        let later_handles: Vec<Arc<GraphSource>> = second.iter().map(|_| source.clone()).collect();
        std::thread::scope(|scope| {
            let later = std::thread::Builder::new()
                .name("runbook-steps".to_string())
                .spawn_scoped(scope, || {
                    build_some_steps(second, first.len(), &source, later_handles)
                });
            let mut built = build_some_steps(first, 0, &source, Vec::new());
            let later = match later.map(|later| later.join()) {
                Ok(Ok(built)) => built,
                // Building steps is the same code on either thread: a panic
                // there would have happened here too.
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => build_some_steps(second, first.len(), &source, Vec::new()),
            };
            built.append(later);
            built
        })
    } else {
        build_some_steps(items, 0, &source, Vec::new())
    }
}

/// The steps of `items`, a run of the document's items starting at step
/// `first_index`. The steps take their references to `source` from
/// `handles` while there are any.
fn build_some_steps(
    items: &[Item],
    first_index: usize,
    source: &Arc<GraphSource>,
    mut handles: Vec<Arc<GraphSource>>,
) -> BuiltSteps {
    // Room for the steps after these, which are appended.
    let capacity = source.items().len().max(first_index + items.len()) - first_index;
    let mut built = BuiltSteps {
        steps: Vec::with_capacity(capacity),
        ..BuiltSteps::default()
    };
    for item in items {
        let kind = StepKind::of(item);
        let index = first_index + built.steps.len();
        let mut step = Step {
            index,
            id: CompactString::default(),
            section: item.section,
            kind,
            checked: matches!(&item.kind, ItemKind::Task(task) if task.checked),
            span: item.span,
            line: item.line,
            joined_instruction: None,
            source: handles.pop().unwrap_or_else(|| source.clone()),
        };
        let name = match &item.kind {
            ItemKind::Code(code) => code.attributes.name.as_ref(),
            _ => None,
        };
        match name {
            Some(name) => {
                step.id = CompactString::from(name.value.as_str());
                built.named.push(index);
            }
            None if built
                .runs
                .last()
                .is_none_or(|run| run.section != item.section) =>
            {
                built.runs.push(BaseRun {
                    first: index,
                    section: item.section,
                    base: base_id(source.section_slug(item.section)),
                });
            }
            None => {}
        }
        if let ItemKind::Code(code) = &item.kind {
            built.any_needs |= !code.attributes.needs.is_empty();
            if kind == StepKind::Manual {
                let lines: Vec<&str> = code
                    .content
                    .manual_lines
                    .iter()
                    .map(|line| line.text.as_str())
                    .collect();
                step.joined_instruction = Some(Arc::from(join_nonempty(
                    source.intro(item),
                    &lines.join("\n"),
                )));
            }
        }
        built.steps.push(step);
    }
    built
}

fn join_nonempty(first: Option<&str>, second: &str) -> String {
    match first {
        Some(first) if !first.trim().is_empty() => format!("{first}\n{second}"),
        _ => second.to_string(),
    }
}

/// Explicit names first (the `named` steps hold theirs already); everything
/// else gets an id from its heading, checked against the ids handed out
/// before only when one could be equal ([`generated_ids_may_collide`]).
///
/// A name used twice is reported here, where the second one is met.
fn assign_ids(
    steps: &mut [Step],
    named: &[usize],
    runs: &[BaseRun],
    diagnostics: &mut Vec<Diagnostic>,
) {
    assign_ids_checking(steps, named, runs, diagnostics, false);
}

/// [`assign_ids`]; `always_check` checks every id made against those handed
/// out before even when none can be equal, so tests can compare.
fn assign_ids_checking(
    steps: &mut [Step],
    named: &[usize],
    runs: &[BaseRun],
    diagnostics: &mut Vec<Diagnostic>,
    always_check: bool,
) {
    // Ids are short and there is one lookup per step: a fast hash matters
    // more here than resistance to crafted collisions.
    let hasher = FxBuildHasher;
    let hash = |id: &str| hasher.hash_one(id);
    let names = named.iter().map(|&index| steps[index].id.as_str());
    let checked = always_check || generated_ids_may_collide(runs, names);
    // The ids handed out so far, as indices of the steps that hold them, so
    // the table needs no copy of its own. Made ids join the names only when
    // they must be checked.
    let capacity = if checked { steps.len() } else { named.len() };
    let mut used: HashTable<usize> = HashTable::with_capacity(capacity);
    for &index in named {
        let id = steps[index].id.as_str();
        let id_hash = hash(id);
        match used.find(id_hash, |&other| steps[other].id == id) {
            Some(&first) => diagnostics.push(duplicate_name(&steps[first], &steps[index])),
            None => {
                used.insert_unique(id_hash, index, |&other| hash(&steps[other].id));
            }
        }
    }
    // How many ids each base has handed out, stored when its run ends.
    let mut per_base: FxHashMap<&str, usize> = FxHashMap::default();
    let mut runs = runs.iter().peekable();
    let mut open: Option<(&str, usize)> = None;
    let mut candidate = String::new();
    let mut named = named.iter().copied().peekable();
    for index in 0..steps.len() {
        if named.next_if_eq(&index).is_some() {
            continue;
        }
        if let Some(run) = runs.next_if(|run| run.first == index) {
            if let Some((base, count)) = open.take() {
                per_base.insert(base, count);
            }
            let base = run.base.as_str();
            open = Some((base, per_base.get(base).copied().unwrap_or(0)));
        }
        // Every unnamed step is in a run, and the first one starts one.
        let Some((base, count)) = &mut open else {
            continue;
        };
        candidate.clear();
        candidate.push_str(base);
        if *count > 0 {
            push_suffix(&mut candidate, *count + 1);
        }
        *count += 1;
        if checked {
            loop {
                let candidate_hash = hash(&candidate);
                if used
                    .find(candidate_hash, |&other| steps[other].id == candidate)
                    .is_none()
                {
                    used.insert_unique(candidate_hash, index, |&other| hash(&steps[other].id));
                    break;
                }
                *count += 1;
                candidate.truncate(base.len());
                push_suffix(&mut candidate, *count);
            }
        }
        steps[index].id = CompactString::from(candidate.as_str());
    }
}

/// Whether an id made from the runs' bases could equal another id, so each
/// must be checked against those handed out before. Ids made from one base
/// are numbered apart (`base`, `base-2`, `base-3`…). An id made from a base
/// ends in `-` and a number only when it has a suffix, unless the base
/// itself does; so when no base is another base followed by `-` and digits,
/// two bases never make equal ids, and a name equals a made id only when it
/// is a base or a base followed by `-` and digits.
fn generated_ids_may_collide<'n>(
    runs: &[BaseRun],
    mut names: impl Iterator<Item = &'n str>,
) -> bool {
    let known: FxHashSet<&str> = runs.iter().map(|run| run.base.as_str()).collect();
    let numbered_from_base = |id: &str| {
        id.rsplit_once('-').is_some_and(|(stem, number)| {
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) && known.contains(stem)
        })
    };
    runs.iter().any(|run| numbered_from_base(&run.base))
        || names.any(|name| known.contains(name) || numbered_from_base(name))
}

/// Appends `-{number}`.
fn push_suffix(id: &mut String, number: usize) {
    // One call per step: `fmt`'s machinery costs more than the digits.
    id.push('-');
    id.push_str(itoa::Buffer::new().format(number));
}

/// The id stem for steps under a heading whose slug is `slug`: its words
/// joined by single dashes, at most about 40 bytes, starting with a letter
/// or digit.
fn base_id(slug: &str) -> String {
    const MAX: usize = 40;
    let mut base = String::with_capacity(slug.len().min(MAX + 8));
    for word in slug.split('-').filter(|word| !word.is_empty()) {
        if !base.is_empty() {
            base.push('-');
        }
        base.push_str(word);
    }
    if base.len() > MAX {
        // Headings in any script: the cut must fall between characters.
        let limit = (0..=MAX)
            .rev()
            .find(|&index| base.is_char_boundary(index))
            .unwrap_or(0);
        let cut = base[..limit].rfind('-').unwrap_or(limit);
        base.truncate(cut);
    }
    if !base.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        base.insert_str(0, if base.is_empty() { "step" } else { "step-" });
    }
    base
}

/// The error for `second`, whose name `first` has already.
fn duplicate_name(first: &Step, second: &Step) -> Diagnostic {
    Diagnostic::error(
        "duplicate-name",
        second.name().map_or(second.span, |name| name.span),
        format!("step name `{}` is used twice", second.id),
    )
    .with_label(
        first.name().map_or(first.span, |name| name.span),
        "first used here",
    )
    .with_help("step names must be unique; rename one of them")
}

fn resolve_needs(steps: &[Step], diagnostics: &mut Vec<Diagnostic>) -> Vec<Vec<usize>> {
    let by_id: HashMap<&str, usize> = steps
        .iter()
        .map(|step| (step.id.as_str(), step.index))
        .collect();
    steps
        .iter()
        .map(|step| {
            let mut needs = Vec::new();
            for need in &step.attributes().needs {
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
            .attributes()
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
    fn ids_are_cut_between_characters_of_any_script() {
        assert_eq!(base_id("restart-the--api-"), "restart-the-api");
        assert_eq!(base_id(""), "step");
        assert_eq!(base_id("_private"), "step-_private");
        let accented = format!("a{}", "é".repeat(30));
        assert_eq!(base_id(&accented), format!("a{}", "é".repeat(19)));
        let words = format!("{}-{}", "é".repeat(15), "ß".repeat(15));
        assert_eq!(base_id(&words), format!("step-{}", "é".repeat(15)));
        let long_ascii = "check-the-database-connection-pool-before-restarting";
        assert_eq!(base_id(long_ascii), "check-the-database-connection-pool");
    }

    /// Ids made for steps without a name, and whether the graph reported
    /// a name used twice.
    fn ids_of(text: &str) -> (Vec<String>, bool) {
        let graph = StepGraph::build(&runbook_syntax::parse("x.md", text));
        let ids = graph.steps.iter().map(|step| step.id.to_string()).collect();
        (
            ids,
            graph.diagnostics.iter().any(|d| d.code == "duplicate-name"),
        )
    }

    #[test]
    fn ids_stay_unique_when_headings_and_names_read_like_numbered_ids() {
        let block = |name: &str| match name {
            "" => "```bash\nls\n```\n\n".to_string(),
            name => format!("```bash {{name={name}}}\nls\n```\n\n"),
        };
        let text = [
            "## Deploy\n\n".to_string(),
            block(""),
            block(""),
            "## Deploy 2\n\n".to_string(),
            block(""),
            "## Check\n\n".to_string(),
            block("check-2"),
            block(""),
            block(""),
            "## Plain\n\n".to_string(),
            block(""),
            block(""),
            "## Deploy\n\n".to_string(),
            block(""),
        ]
        .concat();
        let (ids, duplicates) = ids_of(&text);
        assert!(!duplicates);
        assert_eq!(
            ids,
            [
                "deploy",
                "deploy-2",
                "deploy-2-2",
                "check-2",
                "check",
                "check-3",
                "plain",
                "plain-2",
                "deploy-3",
            ]
        );
        let plain = "## A\n\n```bash\nls\n```\n\n```bash\nls\n```\n\n## B\n\n```bash\nls\n```\n\n## A\n\n```bash\nls\n```\n";
        assert_eq!(ids_of(plain).0, ["a", "a-2", "b", "a-3"]);
    }

    /// A document large enough to be built on two threads, with a run of
    /// one section going on over the middle and bases met again later, gets
    /// the ids one pass over its steps in order gives.
    #[test]
    fn ids_of_steps_built_on_two_threads_are_numbered_in_document_order() {
        let mut text = String::new();
        for section in 0..6 {
            let heading = ["Alpha", "Beta", "Alpha"][section % 3];
            text.push_str(&format!("## {heading}\n\n"));
            for step in 0..(PARALLEL_STEPS / 2) {
                match step % 7 {
                    3 => {
                        text.push_str(&format!("```bash {{name=n-{section}-{step}}}\nls\n```\n\n"))
                    }
                    _ => text.push_str("```bash\nls\n```\n\n"),
                }
            }
        }
        let document = runbook_syntax::parse("x.md", &text);
        let graph = StepGraph::build(&document);
        assert!(graph.steps.len() >= PARALLEL_STEPS * 2);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for step in &graph.steps {
            let expected = match step.name() {
                Some(name) => name.value.clone(),
                None => {
                    let section = step.section.map(|id| document.sections[id.0].slug.as_str());
                    let base = base_id(section.unwrap_or(""));
                    let count = counts.entry(base.clone()).or_default();
                    *count += 1;
                    match *count {
                        1 => base,
                        count => format!("{base}-{count}"),
                    }
                }
            };
            assert_eq!(step.id, expected, "step {}", step.index);
        }
    }

    /// Headings and names that make or avoid every kind of equal id.
    const HEADINGS: &[&str] = &[
        "Deploy",
        "Deploy 2",
        "Deploy 2 3",
        "Step",
        "2",
        "Check",
        "Check 10",
    ];
    const NAMES: &[&str] = &[
        "", "", "", "deploy", "deploy-2", "deploy-3", "check-2", "step", "2-2", "other",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Ids made without checking each against the others (when the
        /// bases and names show none can be equal) are those checking makes.
        #[test]
        fn ids_made_unchecked_are_those_checking_makes(
            sections in proptest::collection::vec(
                (0..HEADINGS.len(), proptest::collection::vec(0..NAMES.len(), 1..4)),
                1..8,
            ),
        ) {
            let mut text = String::new();
            for (heading, names) in sections {
                text.push_str(&format!("## {}\n\n", HEADINGS[heading]));
                for name in names {
                    match NAMES[name] {
                        "" => text.push_str("```bash\nls\n```\n\n"),
                        name => text.push_str(&format!("```bash {{name={name}}}\nls\n```\n\n")),
                    }
                }
            }
            let document = runbook_syntax::parse("x.md", &text);
            let graph = StepGraph::build(&document);
            let BuiltSteps { mut steps, named, runs, .. } = build_steps(&document);
            assign_ids_checking(&mut steps, &named, &runs, &mut Vec::new(), true);
            let checked: Vec<&str> = steps.iter().map(|step| step.id.as_str()).collect();
            let made: Vec<&str> = graph.steps.iter().map(|step| step.id.as_str()).collect();
            proptest::prop_assert_eq!(&made, &checked, "{}", text);
            let unnamed: Vec<&str> = graph
                .steps
                .iter()
                .filter(|step| step.name().is_none())
                .map(|step| step.id.as_str())
                .collect();
            for id in &unnamed {
                proptest::prop_assert_eq!(made.iter().filter(|other| *other == id).count(), 1, "{}", text);
            }
        }
    }

    #[test]
    fn suffixes_are_written_in_decimal() {
        for number in [0, 1, 9, 10, 99, 100, 12_345, usize::MAX] {
            let mut id = String::from("base");
            push_suffix(&mut id, number);
            assert_eq!(id, format!("base-{number}"));
        }
    }
}
