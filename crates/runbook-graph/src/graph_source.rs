//! What every step of one graph reads: the document's items, the heading
//! paths of its sections and the analysis of its scripts.

use crate::step_analysis::{GraphAnalysis, StepAnalysis};
use runbook_syntax::{CodeBlock, Document, DocumentText, Item, Section, SectionId};
use std::sync::{Arc, OnceLock};

pub(crate) struct GraphSource {
    /// Shared with the document: steps read their text from here.
    items: Arc<Vec<Item>>,
    /// The document's source, which items' texts may point into.
    text: Arc<String>,
    /// Shared with the document: heading paths are read from here.
    sections: Arc<Vec<Section>>,
    /// By section id: the titles from the outermost heading down, worked
    /// out the first time any is asked for (lists and runs show them).
    heading_paths: OnceLock<Vec<Box<[String]>>>,
    analysis: GraphAnalysis,
}

impl GraphSource {
    pub(crate) fn new(document: &Document) -> Self {
        GraphSource {
            items: document.items.clone(),
            text: document.source.shared_text(),
            sections: document.sections.clone(),
            heading_paths: OnceLock::new(),
            analysis: GraphAnalysis::new(document.front_matter.clone()),
        }
    }

    pub(crate) fn items(&self) -> &[Item] {
        &self.items
    }

    /// Text of the document: a span of its source, or a copy.
    pub(crate) fn text<'s>(&'s self, text: &'s DocumentText) -> &'s str {
        text.read(&self.text)
    }

    /// The body of `code`, one of the items' blocks.
    pub(crate) fn body<'s>(&'s self, code: &'s CodeBlock) -> &'s str {
        code.body_in(&self.text)
    }

    /// The prose that introduces `item`.
    pub(crate) fn intro<'s>(&'s self, item: &'s Item) -> Option<&'s str> {
        item.intro_in(&self.text)
    }

    pub(crate) fn heading_path(&self, section: Option<SectionId>) -> &[String] {
        let paths = self.heading_paths.get_or_init(|| {
            (0..self.sections.len())
                .map(|id| {
                    Section::path(&self.sections, Some(SectionId(id)))
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                })
                .collect()
        });
        section
            .and_then(|section| paths.get(section.0))
            .map_or(&[], |path| path)
    }

    /// The slug of `section`'s own title.
    pub(crate) fn section_slug(&self, section: Option<SectionId>) -> &str {
        section
            .and_then(|section| self.sections.get(section.0))
            .map_or("", |section| section.slug.as_str())
    }

    /// Step `index`'s analysis; the first call analyses every step.
    pub(crate) fn analysis(&self, index: usize) -> &StepAnalysis {
        self.analysis.of(&self.items, index)
    }
}

impl Drop for GraphSource {
    /// The last holder of a large document's items frees them on two threads.
    fn drop(&mut self) {
        runbook_syntax::drop_shared_in_halves(&mut self.items);
    }
}
