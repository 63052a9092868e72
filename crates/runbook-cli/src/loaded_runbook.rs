use runbook_graph::StepGraph;
use runbook_syntax::{Diagnostic, Document, parse_bytes_owned};
use std::path::{Path, PathBuf};

/// A runbook read from disk, parsed and built into a graph.
pub struct LoadedRunbook {
    pub path: PathBuf,
    pub document: Document,
    pub graph: StepGraph,
}

impl LoadedRunbook {
    pub fn load(path: &Path) -> Result<LoadedRunbook, String> {
        let bytes = std::fs::read(path)
            .map_err(|error| format!("cannot read runbook `{}`: {error}", path.display()))?;
        Ok(Self::from_bytes(path, bytes))
    }

    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> LoadedRunbook {
        let document = parse_bytes_owned(&path.display().to_string(), bytes);
        let graph = StepGraph::build(&document);
        LoadedRunbook {
            path: path.to_path_buf(),
            document,
            graph,
        }
    }

    /// Parse and graph diagnostics, in source order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self
            .document
            .diagnostics
            .iter()
            .chain(&self.graph.diagnostics)
            .cloned()
            .collect();
        all.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        all
    }

    pub fn title(&self) -> String {
        self.document.title.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }
}
