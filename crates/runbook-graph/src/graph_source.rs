//! What every step of one graph reads: the document's items, the heading
//! paths of its sections and the analysis of its scripts.

use crate::step_analysis::{GraphAnalysis, StepAnalysis};
use runbook_syntax::{Document, Item, SectionId};
use std::sync::Arc;

pub(crate) struct GraphSource {
    /// Shared with the document: steps read their text from here.
    items: Arc<Vec<Item>>,
    /// The document's source, which items' texts may point into.
    text: Arc<String>,
    /// By section id: the titles from the outermost heading down.
    heading_paths: Vec<Box<[String]>>,
    analysis: GraphAnalysis,
}

impl GraphSource {
    pub(crate) fn new(document: &Document) -> Self {
        let heading_paths = (0..document.sections.len())
            .map(|id| {
                document
                    .heading_path(Some(SectionId(id)))
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        GraphSource {
            items: document.items.clone(),
            text: document.source.shared_text(),
            heading_paths,
            analysis: GraphAnalysis::new(document.front_matter.clone()),
        }
    }

    /// Holds nothing: stands in for a graph's source while its steps are dropped.
    pub(crate) fn stand_in() -> Self {
        GraphSource {
            items: Arc::default(),
            text: Arc::default(),
            heading_paths: Vec::new(),
            analysis: GraphAnalysis::new(Default::default()),
        }
    }

    pub(crate) fn items(&self) -> &[Item] {
        &self.items
    }

    /// The prose that introduces `item`.
    pub(crate) fn intro<'s>(&'s self, item: &'s Item) -> Option<&'s str> {
        Some(item.intro.as_ref()?.read(&self.text))
    }

    pub(crate) fn heading_path(&self, section: Option<SectionId>) -> &[String] {
        section
            .and_then(|section| self.heading_paths.get(section.0))
            .map_or(&[], |path| path)
    }

    /// Step `index`'s analysis; the first call analyses every step.
    pub(crate) fn analysis(&self, index: usize) -> &StepAnalysis {
        self.analysis.of(&self.items, index)
    }
}

impl Drop for GraphSource {
    /// The last holder of a large document's items frees them on two threads.
    fn drop(&mut self) {
        if let Some(items) = Arc::get_mut(&mut self.items) {
            runbook_syntax::drop_in_halves(std::mem::take(items));
        }
    }
}
