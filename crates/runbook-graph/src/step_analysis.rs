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
use runbook_syntax::{FrontMatter, Script, Span, StepAttributes};
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

/// What the analysis found for one step.
#[derive(Debug, Default)]
pub(crate) struct StepAnalysis {
    pub(crate) inputs: Vec<Input>,
    pub(crate) assigns: Vec<String>,
    pub(crate) reads: Vec<String>,
    pub(crate) risk: RiskFlags,
}

/// What the analysis reads of one step: shared with the step, not copied.
pub(crate) struct AnalysisSource {
    pub(crate) kind: StepKind,
    pub(crate) span: Span,
    pub(crate) script: Option<Arc<Script>>,
    pub(crate) attributes: Arc<StepAttributes>,
}

/// The analysis of every step of one graph, computed on first use.
pub(crate) struct GraphAnalysis {
    front_matter: FrontMatter,
    /// Set once every step is built; the steps hold the analysis before that.
    sources: OnceLock<Vec<AnalysisSource>>,
    results: OnceLock<Vec<StepAnalysis>>,
}

impl GraphAnalysis {
    pub(crate) fn new(front_matter: FrontMatter) -> Self {
        GraphAnalysis {
            front_matter,
            sources: OnceLock::new(),
            results: OnceLock::new(),
        }
    }

    /// What to analyse: one source per step, in step order. Only the first call counts.
    pub(crate) fn set_sources(&self, sources: Vec<AnalysisSource>) {
        let _ = self.sources.set(sources);
    }

    /// Step `index`'s analysis; the first call analyses every step.
    pub(crate) fn of(&self, index: usize) -> &StepAnalysis {
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
            .get_or_init(|| self.analyse_all())
            .get(index)
            .unwrap_or(&NOTHING)
    }

    fn analyse_all(&self) -> Vec<StepAnalysis> {
        let mut assigned_so_far: HashSet<String> = self
            .front_matter
            .defaulted_var_names()
            .map(str::to_owned)
            .collect();
        let sources = self.sources.get().map_or(&[][..], Vec::as_slice);
        let mut results: Vec<StepAnalysis> = Vec::with_capacity(sources.len());
        for source in sources {
            let mut analysis = match &source.script {
                Some(script) if source.kind.runs_code() => {
                    self.analyse_script(source, script, &assigned_so_far)
                }
                _ => StepAnalysis::default(),
            };
            if let Some(capture) = &source.attributes.capture
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
        source: &AnalysisSource,
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
