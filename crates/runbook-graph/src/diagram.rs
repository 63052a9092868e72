//! Mermaid and Graphviz renderings of the step graph.

use crate::{StepGraph, StepKind};

impl StepGraph {
    /// A Mermaid flowchart; it renders on GitHub.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        let mut current_section: Option<String> = None;
        for &index in &self.order {
            let step = &self.steps[index];
            let section = step.heading_display();
            if current_section.as_deref() != Some(section.as_str()) {
                if current_section.is_some() {
                    out.push_str("  end\n");
                }
                out.push_str(&format!(
                    "  subgraph sec{index}[\"{}\"]\n",
                    mermaid_escape(if section.is_empty() {
                        "(top)"
                    } else {
                        &section
                    })
                ));
                current_section = Some(section);
            }
            let label = format!("{}: {}", step.id, step.title());
            let (open, close) = match step.kind {
                StepKind::Manual => ("[/", "/]"),
                StepKind::Context => ("[(", ")]"),
                StepKind::Session => ("([", "])"),
                StepKind::Shell => ("[", "]"),
            };
            out.push_str(&format!(
                "    s{index}{open}\"{}\"{close}\n",
                mermaid_escape(&label)
            ));
        }
        if current_section.is_some() {
            out.push_str("  end\n");
        }
        for pair in self.order.windows(2) {
            out.push_str(&format!("  s{} --> s{}\n", pair[0], pair[1]));
        }
        for (index, needs) in self.needs.iter().enumerate() {
            for need in needs {
                out.push_str(&format!("  s{need} -. needs .-> s{index}\n"));
            }
        }
        out.push_str("  classDef destructive fill:#fdd,stroke:#c00\n  classDef endless fill:#ffd,stroke:#aa0\n");
        for step in &self.steps {
            if step.is_destructive() {
                out.push_str(&format!("  class s{} destructive\n", step.index));
            } else if step.is_endless() {
                out.push_str(&format!("  class s{} endless\n", step.index));
            }
        }
        out
    }

    /// A Graphviz `dot` digraph with one cluster per heading.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph runbook {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        let mut current_section: Option<String> = None;
        let mut cluster = 0;
        for &index in &self.order {
            let step = &self.steps[index];
            let section = step.heading_display();
            if current_section.as_deref() != Some(section.as_str()) {
                if current_section.is_some() {
                    out.push_str("  }\n");
                }
                cluster += 1;
                out.push_str(&format!(
                    "  subgraph cluster_{cluster} {{\n    label=\"{}\";\n",
                    dot_escape(&section)
                ));
                current_section = Some(section);
            }
            let shape = match step.kind {
                StepKind::Manual => "note",
                StepKind::Context => "folder",
                StepKind::Session => "component",
                StepKind::Shell => "box",
            };
            let color = if step.is_destructive() {
                ", color=red"
            } else if step.is_endless() {
                ", color=orange"
            } else {
                ""
            };
            out.push_str(&format!(
                "    s{index} [label=\"{}\\n{}\", shape={shape}{color}];\n",
                dot_escape(&step.id),
                dot_escape(&step.title())
            ));
        }
        if current_section.is_some() {
            out.push_str("  }\n");
        }
        for pair in self.order.windows(2) {
            out.push_str(&format!("  s{} -> s{};\n", pair[0], pair[1]));
        }
        for (index, needs) in self.needs.iter().enumerate() {
            for need in needs {
                out.push_str(&format!(
                    "  s{need} -> s{index} [style=dashed, label=\"needs\"];\n"
                ));
            }
        }
        out.push_str("}\n");
        out
    }
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('\n', " ")
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}
