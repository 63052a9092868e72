//! The per-step analysis that building the graph does not need: inputs,
//! assigned and read variables, risk flags.
//!
//! It scans every script in full, which costs more than parsing the whole
//! Markdown file, and `list`, `graph` and selection never look at most of it.
//! So it runs once for every step of a graph, the first time any step is
//! asked for it. Steps are analysed together, in document order, because a
//! variable an earlier step assigns is not an input of the steps after it.

use crate::input_detection::detect;
use crate::risk::{RiskFlags, RiskReason, assess};
use crate::script_offsets::ScriptOffsets;
use crate::{Input, StepKind};
use runbook_syntax::shell_scan::scan_all_borrowed;
use runbook_syntax::{FrontMatter, Item, ItemKind, Script, Span, StepAttributes};
use std::collections::HashSet;
use std::sync::OnceLock;

/// What the analysis found for one step.
#[derive(Debug, Default)]
pub(crate) struct StepAnalysis {
    pub(crate) inputs: Vec<Input>,
    pub(crate) assigns: Vec<String>,
    pub(crate) reads: Vec<String>,
    pub(crate) risk: RiskFlags,
}

/// What the analysis reads of one step besides its script.
struct AnalysisSource<'a> {
    kind: StepKind,
    span: Span,
    attributes: &'a StepAttributes,
}

/// The analysis of every step of one graph, computed on first use.
pub(crate) struct GraphAnalysis {
    front_matter: FrontMatter,
    results: OnceLock<Vec<StepAnalysis>>,
}

impl GraphAnalysis {
    pub(crate) fn new(front_matter: FrontMatter) -> Self {
        GraphAnalysis {
            front_matter,
            results: OnceLock::new(),
        }
    }

    /// The analysis of the step made of `items[index]`; the first call
    /// analyses every item's step.
    pub(crate) fn of(&self, items: &[Item], index: usize) -> &StepAnalysis {
        static NOTHING: StepAnalysis = StepAnalysis {
            inputs: Vec::new(),
            assigns: Vec::new(),
            reads: Vec::new(),
            risk: RiskFlags {
                destructive: Vec::new(),
                endless: Vec::new(),
                interactive: Vec::new(),
            },
        };
        self.results
            .get_or_init(|| self.analyse_all(items))
            .get(index)
            .unwrap_or(&NOTHING)
    }

    fn analyse_all(&self, items: &[Item]) -> Vec<StepAnalysis> {
        let mut assigned_so_far: HashSet<String> = self
            .front_matter
            .defaulted_var_names()
            .map(str::to_owned)
            .collect();
        let mut results: Vec<StepAnalysis> = Vec::with_capacity(items.len());
        for item in items {
            let ItemKind::Code(code) = &item.kind else {
                results.push(StepAnalysis::default());
                continue;
            };
            let kind = StepKind::of(item);
            let source = AnalysisSource {
                kind,
                span: item.span,
                attributes: &code.attributes,
            };
            let mut analysis = match &code.content.script {
                Some(script) if kind.runs_code() => {
                    self.analyse_script(&source, script, &assigned_so_far)
                }
                _ => StepAnalysis::default(),
            };
            if let Some(capture) = &code.attributes.capture
                && !analysis.assigns.contains(&capture.value)
            {
                analysis.assigns.push(capture.value.clone());
            }
            for name in &analysis.assigns {
                if !assigned_so_far.contains(name) {
                    assigned_so_far.insert(name.clone());
                }
            }
            results.push(analysis);
        }
        results
    }

    fn analyse_script(
        &self,
        source: &AnalysisSource<'_>,
        script: &Script,
        assigned_before: &HashSet<String>,
    ) -> StepAnalysis {
        let scan = scan_all_borrowed(&script.text);
        let offsets = ScriptOffsets::new(script);
        let found = detect(script, &scan, &self.front_matter, assigned_before, &offsets);
        let mut risk = assess(&scan, &|span: Span| offsets.span(span));
        let marked = |what: &str| RiskReason {
            what: what.to_string(),
            script_span: Span::default(),
            span: source.span,
        };
        match source.attributes.danger {
            Some(false) => risk.destructive.clear(),
            Some(true) if risk.destructive.is_empty() => {
                risk.destructive.push(marked("marked danger=true"))
            }
            _ => {}
        }
        match source.attributes.interactive {
            Some(false) => risk.interactive.clear(),
            Some(true) if risk.interactive.is_empty() => {
                risk.interactive.push(marked("marked interactive=true"))
            }
            _ => {}
        }
        if source.kind == StepKind::Session && risk.interactive.is_empty() {
            risk.interactive.push(marked("interactive session"));
        }
        StepAnalysis {
            inputs: found.inputs,
            assigns: found.assigns,
            reads: found.reads,
            risk,
        }
    }
}
