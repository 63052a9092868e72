//! The format guide, `docs/format.md`, tests itself.
//!
//! Every example in the guide is a fence whose info string is
//! `markdown example=NAME`, followed immediately by an ```` ```expect ````
//! block. This test parses each example with `runbook_syntax::parse` and
//! `StepGraph::build` and checks every line of its expect block, so the guide
//! cannot drift from the parser. The expect format is described in the guide
//! itself, under "Reading the examples".
//!
//! The templates for `runbook new` (`templates/new/*.md.hbs`) are rendered
//! with Handlebars and checked here too: they must parse cleanly.

use handlebars::Handlebars;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use runbook_graph::{Input, InputKind, Step, StepGraph, StepKind};
use runbook_syntax::{
    Confirm, Document, Expect, FrontMatterFormat, KNOWN_ATTRIBUTES, Severity, parse, parse_duration,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const GUIDE_PATH: &str = "docs/format.md";

fn workspace_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn read_workspace_file(relative: &str) -> String {
    let path = workspace_file(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

// ---------------------------------------------------------------------------
// Finding the examples in the guide
// ---------------------------------------------------------------------------

/// One `markdown example=NAME` block and the expect block after it.
#[derive(Debug)]
struct GuideExample {
    name: String,
    /// 1-based line of the example's opening fence in the guide.
    line: usize,
    markdown: String,
    expect: String,
    /// 1-based line of the expect block's opening fence in the guide.
    expect_line: usize,
}

/// What a fenced block in the guide is.
enum GuideBlock {
    Example(String),
    Expect,
    Other,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn classify_guide_block(info: &str) -> Result<GuideBlock, String> {
    let mut words = info.split_whitespace();
    let language = words.next().unwrap_or("");
    if language == "expect" {
        return Ok(GuideBlock::Expect);
    }
    let Some(name) = info
        .split_whitespace()
        .find_map(|word| word.strip_prefix("example="))
    else {
        return Ok(GuideBlock::Other);
    };
    if !matches!(language, "markdown" | "md") {
        return Err(format!(
            "example `{name}` must be a `markdown` fence, not `{language}`"
        ));
    }
    if name.is_empty() {
        return Err("`example=` needs a name".to_string());
    }
    Ok(GuideBlock::Example(name.to_string()))
}

/// Pairs each example with the expect block right after it. Every problem
/// found is returned, each prefixed with its guide line.
fn guide_examples(guide: &str) -> Result<Vec<GuideExample>, Vec<String>> {
    struct PendingExample {
        name: String,
        line: usize,
        markdown: String,
    }
    let mut examples = Vec::new();
    let mut problems = Vec::new();
    let mut open_block: Option<(GuideBlock, usize, String)> = None;
    let mut pending: Option<PendingExample> = None;
    let missing_expect = |pending: &mut Option<PendingExample>, problems: &mut Vec<String>| {
        if let Some(example) = pending.take() {
            problems.push(format!(
                "{GUIDE_PATH}:{}: example `{}` must be followed immediately by an ```expect block",
                example.line, example.name
            ));
        }
    };
    for (event, range) in Parser::new_ext(guide, Options::ENABLE_TABLES).into_offset_iter() {
        let line = line_of(guide, range.start);
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let block = classify_guide_block(&info).unwrap_or_else(|problem| {
                    problems.push(format!("{GUIDE_PATH}:{line}: {problem}"));
                    GuideBlock::Other
                });
                if !matches!(block, GuideBlock::Expect) {
                    missing_expect(&mut pending, &mut problems);
                }
                open_block = Some((block, line, String::new()));
            }
            Event::Text(text) if open_block.is_some() => {
                if let Some((_, _, body)) = open_block.as_mut() {
                    body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => match open_block.take() {
                Some((GuideBlock::Example(name), line, markdown)) => {
                    if examples.iter().any(|example: &GuideExample| example.name == name) {
                        problems.push(format!("{GUIDE_PATH}:{line}: example name `{name}` is used twice"));
                    }
                    pending = Some(PendingExample { name, line, markdown });
                }
                Some((GuideBlock::Expect, expect_line, expect)) => match pending.take() {
                    Some(example) => examples.push(GuideExample {
                        name: example.name,
                        line: example.line,
                        markdown: example.markdown,
                        expect,
                        expect_line,
                    }),
                    None => problems.push(format!("{GUIDE_PATH}:{expect_line}: ```expect block without a `markdown example=` block right before it")),
                },
                _ => {}
            },
            Event::Start(tag) if !is_inline(&tag) => missing_expect(&mut pending, &mut problems),
            Event::Rule | Event::Html(_) => missing_expect(&mut pending, &mut problems),
            _ => {}
        }
    }
    missing_expect(&mut pending, &mut problems);
    if problems.is_empty() {
        Ok(examples)
    } else {
        Err(problems)
    }
}

fn is_inline(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

// ---------------------------------------------------------------------------
// Checking one example against its expect block
// ---------------------------------------------------------------------------

/// A step line (`2 shell name=x …`) with the indented lines under it.
struct StepExpectation {
    number: usize,
    kind: String,
    checks: Vec<(String, String)>,
    /// `script`, `context sql`, `output`, `session`, `instruction` → lines.
    sub_lines: BTreeMap<String, Vec<String>>,
    line: usize,
}

/// An `error CODE [LINE:COLUMN]` or `warning …` line of an expect block.
struct ExpectedDiagnostic {
    severity: Severity,
    code: String,
    /// Line and column inside the example, when the expect line gives them.
    location: Option<(usize, usize)>,
    /// The guide line that states it.
    line: usize,
}

/// Collects problems for one example, each with the guide line it concerns.
struct ExampleCheck<'a> {
    example: &'a GuideExample,
    document: Document,
    graph: StepGraph,
    problems: Vec<String>,
}

impl<'a> ExampleCheck<'a> {
    fn new(example: &'a GuideExample) -> Self {
        let document = parse(&format!("{}.md", example.name), &example.markdown);
        let graph = StepGraph::build(&document);
        ExampleCheck {
            example,
            document,
            graph,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, line: usize, message: impl std::fmt::Display) {
        self.problems.push(format!(
            "{GUIDE_PATH}:{line}: example `{}`: {message}",
            self.example.name
        ));
    }

    fn run(mut self) -> Vec<String> {
        let mut step_count: Option<usize> = None;
        let mut diagnostics: Vec<ExpectedDiagnostic> = Vec::new();
        let mut steps: Vec<StepExpectation> = Vec::new();
        let first_line = self.example.expect_line + 1;
        for (index, raw) in self.example.expect.lines().enumerate() {
            let line = first_line + index;
            if raw.trim().is_empty() {
                continue;
            }
            if raw.starts_with(char::is_whitespace) {
                let Some(step) = steps.last_mut() else {
                    self.problem(line, "an indented line must follow a step line");
                    continue;
                };
                match raw.trim().split_once(':') {
                    Some((what, text)) => step
                        .sub_lines
                        .entry(what.trim().to_string())
                        .or_default()
                        .push(text.trim().to_string()),
                    None => self.problem(
                        line,
                        format!(
                            "expected `script: …`, `output: …` or similar, found `{}`",
                            raw.trim()
                        ),
                    ),
                }
                continue;
            }
            let raw = raw.trim();
            if let Some((key, value)) = raw.split_once(':')
                && !key.contains(' ')
            {
                self.check_document_line(line, key, value.trim(), &mut step_count);
                continue;
            }
            let (head, rest) = raw.split_once(' ').unwrap_or((raw, ""));
            match head {
                "error" | "warning" => {
                    let severity = if head == "error" {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    let mut words = rest.split_whitespace();
                    let code = words.next().unwrap_or("").to_string();
                    let location = words.next().and_then(|at| {
                        let (line, column) = at.split_once(':')?;
                        Some((line.parse().ok()?, column.parse().ok()?))
                    });
                    if code.is_empty()
                        || (rest.split_whitespace().count() > 1 && location.is_none())
                    {
                        self.problem(
                            line,
                            format!("expected `{head} CODE [LINE:COLUMN]`, found `{raw}`"),
                        );
                        continue;
                    }
                    diagnostics.push(ExpectedDiagnostic {
                        severity,
                        code,
                        location,
                        line,
                    });
                }
                "var" => self.check_var_line(line, rest),
                number => match number.parse::<usize>() {
                    Ok(number) => {
                        let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                        match key_values(rest) {
                            Ok(checks) => steps.push(StepExpectation {
                                number,
                                kind: kind.to_string(),
                                checks,
                                sub_lines: BTreeMap::new(),
                                line,
                            }),
                            Err(problem) => self.problem(line, problem),
                        }
                    }
                    Err(_) => self.problem(line, format!("unrecognised expect line `{raw}`")),
                },
            }
        }
        match step_count {
            None => self.problem(
                self.example.expect_line,
                "the expect block must state `steps: N`",
            ),
            Some(count) => {
                let mut described: Vec<usize> = steps.iter().map(|step| step.number).collect();
                described.sort_unstable();
                if described != (1..=count).collect::<Vec<_>>() {
                    self.problem(self.example.expect_line, format!("describe each of the {count} steps once, by number; described: {described:?}"));
                }
            }
        }
        self.check_diagnostics(&diagnostics);
        for step in &steps {
            self.check_step(step);
        }
        self.problems
    }

    fn check_document_line(
        &mut self,
        line: usize,
        key: &str,
        value: &str,
        step_count: &mut Option<usize>,
    ) {
        let front = &self.document.front_matter;
        let optional =
            |value: Option<&String>| value.cloned().unwrap_or_else(|| "none".to_string());
        let actual = match key {
            "steps" => {
                let expected = value.parse::<usize>().ok();
                *step_count = expected;
                if expected.is_none() {
                    self.problem(line, format!("`steps:` takes a number, found `{value}`"));
                }
                self.graph.steps.len().to_string()
            }
            "title" => optional(self.document.title.as_ref()),
            "front-matter" => match front.format {
                Some(FrontMatterFormat::Toml) => "toml".to_string(),
                Some(FrontMatterFormat::Yaml) => "yaml".to_string(),
                None => "none".to_string(),
            },
            "owner" => optional(front.owner.as_ref()),
            "description" => optional(front.description.as_ref()),
            "shell" => optional(front.shell.as_ref()),
            "allow" => list_or_none(&front.allow),
            other => {
                self.problem(line, format!("unknown expect key `{other}:`"));
                return;
            }
        };
        if actual != value {
            self.problem(
                line,
                format!("`{key}`: expected `{value}`, found `{actual}`"),
            );
        }
    }

    fn check_var_line(&mut self, line: usize, rest: &str) {
        let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let checks = match key_values(rest) {
            Ok(checks) => checks,
            Err(problem) => return self.problem(line, problem),
        };
        let Some(var) = self.document.front_matter.var(name).cloned() else {
            let declared: Vec<_> = self
                .document
                .front_matter
                .vars
                .iter()
                .map(|var| var.name.clone())
                .collect();
            return self.problem(
                line,
                format!("no front matter variable `{name}`; declared: {declared:?}"),
            );
        };
        for (key, expected) in checks {
            let actual = match key.as_str() {
                "prompt" => var.prompt.clone().unwrap_or_else(|| "none".into()),
                "default" => var.default.clone().unwrap_or_else(|| "none".into()),
                "secret" => var.secret.to_string(),
                "choices" => list_or_none(&var.choices),
                "pattern" => var.pattern.clone().unwrap_or_else(|| "none".into()),
                other => {
                    self.problem(line, format!("unknown variable check `{other}`"));
                    continue;
                }
            };
            if actual != expected {
                self.problem(
                    line,
                    format!("variable `{name}` {key}: expected `{expected}`, found `{actual}`"),
                );
            }
        }
    }

    fn check_diagnostics(&mut self, expected: &[ExpectedDiagnostic]) {
        let source = &self.document.source;
        let mut actual: Vec<(Severity, &str, (usize, usize), String)> = self
            .document
            .diagnostics
            .iter()
            .chain(&self.graph.diagnostics)
            .map(|diagnostic| {
                let at = source.location(diagnostic.span.start);
                (
                    diagnostic.severity,
                    diagnostic.code,
                    (at.line, at.column),
                    diagnostic.message.clone(),
                )
            })
            .collect();
        let mut unmatched = Vec::new();
        for ExpectedDiagnostic {
            severity,
            code,
            location,
            line,
        } in expected
        {
            let found =
                actual
                    .iter()
                    .position(|(actual_severity, actual_code, actual_location, _)| {
                        actual_severity == severity
                            && actual_code == code
                            && location.is_none_or(|location| location == *actual_location)
                    });
            match found {
                Some(index) => {
                    actual.remove(index);
                }
                None => unmatched.push((*line, *severity, code.clone(), *location)),
            }
        }
        let describe = |severity: Severity| {
            if severity == Severity::Error {
                "error"
            } else {
                "warning"
            }
        };
        let leftover: Vec<String> = actual
            .iter()
            .map(|(severity, code, (line, column), message)| {
                format!("{} {code} {line}:{column} ({message})", describe(*severity))
            })
            .collect();
        for (line, severity, code, location) in unmatched {
            let at = location
                .map(|(line, column)| format!(" at {line}:{column}"))
                .unwrap_or_default();
            self.problem(
                line,
                format!(
                    "expected {} `{code}`{at}; unmatched diagnostics: {leftover:?}",
                    describe(severity)
                ),
            );
        }
        if !leftover.is_empty() {
            self.problem(
                self.example.expect_line,
                format!("diagnostics not stated in the expect block: {leftover:?}"),
            );
        }
    }

    fn check_step(&mut self, expected: &StepExpectation) {
        let Some(&index) = self.graph.order.get(expected.number.wrapping_sub(1)) else {
            return self.problem(
                expected.line,
                format!(
                    "there is no step {} (the example has {})",
                    expected.number,
                    self.graph.steps.len()
                ),
            );
        };
        let step = self.graph.steps[index].clone();
        let line = expected.line;
        if step.kind.as_str() != expected.kind {
            self.problem(
                line,
                format!(
                    "step {}: expected kind `{}`, found `{}` ({})",
                    expected.number,
                    expected.kind,
                    step.kind.as_str(),
                    step.reason()
                ),
            );
        }
        let mut flags: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (key, value) in &expected.checks {
            if matches!(
                key.as_str(),
                "destructive" | "endless" | "interactive" | "input"
            ) {
                flags.entry(key.as_str()).or_default().push(value.clone());
                continue;
            }
            match step_value(&step, &self.graph, key) {
                Ok(actual) if actual_matches(key, value, &actual) => {}
                Ok(actual) => self.problem(
                    line,
                    format!(
                        "step {}: `{key}`: expected `{value}`, found `{actual}`",
                        expected.number
                    ),
                ),
                Err(problem) => self.problem(line, problem),
            }
        }
        for (flag, reasons) in [
            ("destructive", &step.risk().destructive),
            ("endless", &step.risk().endless),
            ("interactive", &step.risk().interactive),
        ] {
            let Some(wanted) = flags.get(flag) else {
                continue;
            };
            let actual: Vec<String> = reasons.iter().map(|reason| reason.what.clone()).collect();
            if !same_set(wanted, &actual) {
                self.problem(
                    line,
                    format!(
                        "step {}: `{flag}`: expected {wanted:?}, found {actual:?}",
                        expected.number
                    ),
                );
            }
        }
        if let Some(wanted) = flags.get("input") {
            let actual: Vec<String> = step.inputs().iter().map(describe_input).collect();
            if !same_set(wanted, &actual) {
                self.problem(
                    line,
                    format!(
                        "step {}: `input`: expected {wanted:?}, found {actual:?}",
                        expected.number
                    ),
                );
            }
        }
        for (what, wanted) in &expected.sub_lines {
            let actual = match step_lines(&step, what) {
                Ok(actual) => actual,
                Err(problem) => {
                    self.problem(line, problem);
                    continue;
                }
            };
            if *wanted != actual {
                self.problem(
                    line,
                    format!(
                        "step {}: `{what}:` lines: expected {wanted:?}, found {actual:?}",
                        expected.number
                    ),
                );
            }
        }
    }
}

/// `key=value` words, split like a shell command line so values can be quoted.
fn key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let words = shlex::split(text).ok_or_else(|| format!("unbalanced quotes in `{text}`"))?;
    words
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(format!("expected `key=value`, found `{word}`")),
        })
        .collect()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(",")
    }
}

fn same_set(wanted: &[String], actual: &[String]) -> bool {
    if wanted == ["none"] {
        return actual.is_empty();
    }
    let mut wanted = wanted.to_vec();
    let mut actual = actual.to_vec();
    wanted.sort();
    actual.sort();
    wanted == actual
}

/// `NAME:kind[:secret][:optional][:declared]`.
fn describe_input(input: &Input) -> String {
    let kind = match input.kind {
        InputKind::Template => "template",
        InputKind::Env => "env",
        InputKind::Placeholder => "placeholder",
        InputKind::Positional => "positional",
    };
    let mut text = format!("{}:{kind}", input.name);
    for (set, word) in [
        (input.secret, "secret"),
        (input.optional, "optional"),
        (input.declared, "declared"),
    ] {
        if set {
            text.push(':');
            text.push_str(word);
        }
    }
    text
}

fn format_duration(duration: Option<Duration>) -> String {
    duration
        .map(|d| format!("{}ms", d.as_millis()))
        .unwrap_or_else(|| "none".into())
}

/// Durations compare by value (`90s` matches `1m30s`); everything else as text.
fn actual_matches(key: &str, expected: &str, actual: &str) -> bool {
    if matches!(key, "timeout" | "delay") && expected != "none" {
        return parse_duration(expected)
            .is_some_and(|duration| format_duration(Some(duration)) == actual);
    }
    expected == actual
}

fn step_value(step: &Step, graph: &StepGraph, key: &str) -> Result<String, String> {
    let attributes = step.attributes();
    let optional = |value: Option<String>| value.unwrap_or_else(|| "none".to_string());
    Ok(match key {
        "id" => step.id.to_string(),
        "name" => optional(step.name().map(|name| name.value.clone())),
        "title" => step.title().to_string(),
        "heading" => step.heading_display(),
        "lang" => optional(step.language().map(str::to_string)),
        "reason" => step.reason().to_string(),
        "checked" => step.checked.to_string(),
        "needs" => {
            let needs: Vec<String> = graph.needs[step.index]
                .iter()
                .map(|&need| graph.steps[need].id.to_string())
                .collect();
            list_or_none(&needs)
        }
        "confirm" => match &attributes.confirm {
            None => "none".into(),
            Some(Confirm::Yes) => "true".into(),
            Some(Confirm::Prompt(prompt)) => prompt.clone(),
        },
        "danger" => optional(attributes.danger.map(|flag| flag.to_string())),
        "timeout" => format_duration(attributes.timeout),
        "delay" => format_duration(attributes.delay),
        "retries" => optional(attributes.retries.map(|retries| retries.to_string())),
        "capture" => optional(
            attributes
                .capture
                .as_ref()
                .map(|capture| capture.value.clone()),
        ),
        "expect" => match &attributes.expect {
            None => "none".into(),
            Some(Expect::ExitCode(code)) => code.to_string(),
            Some(Expect::OutputMatches(pattern)) => format!("/{pattern}/"),
        },
        "cwd" => optional(attributes.cwd.clone()),
        "skip" => attributes.skip.to_string(),
        "excludeFromRunAll" => attributes.exclude_from_run_all.to_string(),
        "promptEnv" => optional(attributes.prompt_env.map(|flag| flag.to_string())),
        "tags" => list_or_none(&attributes.tags),
        "allow" => list_or_none(&attributes.allow),
        "runner" => optional(attributes.runner.clone()),
        "mark" => optional(attributes.mark.clone()),
        "assigns" => list_or_none(step.assigns()),
        "context" => list_or_none(
            &step
                .context()
                .iter()
                .map(|segment| segment.language.to_string())
                .collect::<Vec<_>>(),
        ),
        other => return Err(format!("unknown step check `{other}`")),
    })
}

/// The non-blank lines of one part of a step, trimmed.
fn step_lines(step: &Step, what: &str) -> Result<Vec<String>, String> {
    let lines = |text: &str| {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    Ok(match what {
        "script" => step
            .script()
            .map(|script| lines(&script.text))
            .unwrap_or_default(),
        "output" => step.expected_output().map(lines).unwrap_or_default(),
        "session" => step.session_input().to_vec(),
        "instruction" => step.instruction().map(lines).unwrap_or_default(),
        "body" => step.body().map(lines).unwrap_or_default(),
        other => match other.strip_prefix("context ") {
            Some(language) => step
                .context()
                .iter()
                .filter(|segment| segment.language == language)
                .flat_map(|segment| lines(&segment.text))
                .collect(),
            None => {
                return Err(format!(
                    "unknown step part `{other}:`; use script, output, session, instruction, body or context LANGUAGE"
                ));
            }
        },
    })
}

fn check_guide(guide: &str) -> Result<Vec<GuideExample>, Vec<String>> {
    let examples = guide_examples(guide)?;
    let problems: Vec<String> = examples
        .iter()
        .flat_map(|example| ExampleCheck::new(example).run())
        .collect();
    if problems.is_empty() {
        Ok(examples)
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------
// The guide
// ---------------------------------------------------------------------------

#[test]
fn every_guide_example_matches_its_expect_block() {
    let guide = read_workspace_file(GUIDE_PATH);
    match check_guide(&guide) {
        Ok(examples) => assert!(
            !examples.is_empty(),
            "{GUIDE_PATH} has no `markdown example=` blocks"
        ),
        Err(problems) => panic!(
            "{} problem(s) in {GUIDE_PATH}:\n{}",
            problems.len(),
            problems.join("\n")
        ),
    }
}

#[test]
fn guide_examples_cover_every_attribute_and_front_matter_key() {
    let guide = read_workspace_file(GUIDE_PATH);
    let examples =
        guide_examples(&guide).unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    let fence_lines: Vec<&str> = examples
        .iter()
        .flat_map(|example| example.markdown.lines())
        .filter(|line| line.trim_start_matches([' ', '>']).starts_with("```"))
        .collect();
    let uses = |key: &str| {
        fence_lines
            .iter()
            .any(|line| line.contains(&format!("{key}=")) || line.contains(&format!("\"{key}\":")))
    };
    let missing: Vec<&str> = KNOWN_ATTRIBUTES
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| !uses(key))
        .collect();
    assert!(
        missing.is_empty(),
        "attributes with no example in {GUIDE_PATH}: {missing:?}"
    );

    let front_matter: String = examples
        .iter()
        .map(|example| example.markdown.as_str())
        .collect();
    for key in [
        "title =",
        "description =",
        "owner =",
        "shell =",
        "allow =",
        "[vars.",
        "prompt =",
        "default =",
        "secret =",
        "choices =",
        "pattern =",
    ] {
        assert!(
            front_matter.contains(key),
            "front matter `{key}` has no example in {GUIDE_PATH}"
        );
    }
}

const SMALL_GUIDE: &str = "# Guide\n\n````markdown example=one\n```bash\necho hi\n```\n````\n\n```expect\nsteps: 1\n1 shell\n  script: echo hi\n```\n";

#[test]
fn extraction_pairs_examples_with_expect_blocks() {
    let examples = guide_examples(SMALL_GUIDE).expect("valid guide");
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].name, "one");
    assert_eq!(examples[0].line, 3);
    assert_eq!(examples[0].expect_line, 9);
    assert_eq!(examples[0].markdown, "```bash\necho hi\n```\n");
    assert!(check_guide(SMALL_GUIDE).is_ok());
    assert!(
        guide_examples("# Nothing here\n")
            .expect("valid")
            .is_empty()
    );
}

#[test]
fn extraction_rejects_an_example_without_its_expect_block() {
    let missing = "````markdown example=lonely\n```bash\necho hi\n```\n````\n\nSome prose.\n";
    let problems = guide_examples(missing).expect_err("must fail");
    assert!(
        problems[0].contains("example `lonely` must be followed immediately"),
        "{problems:?}"
    );

    let separated =
        "````markdown example=apart\necho\n````\n\nProse in between.\n\n```expect\nsteps: 1\n```\n";
    let problems = guide_examples(separated).expect_err("must fail");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1].contains("without a `markdown example=` block"),
        "{problems:?}"
    );

    let at_end = "````markdown example=last\necho\n````\n";
    assert!(guide_examples(at_end).is_err());
    let wrong_language = "```bash example=x\necho\n```\n```expect\nsteps: 1\n```\n";
    assert!(
        guide_examples(wrong_language).expect_err("must fail")[0]
            .contains("must be a `markdown` fence")
    );
}

#[test]
fn wrong_expectations_are_reported() {
    let wrong = SMALL_GUIDE.replace(
        "steps: 1\n1 shell\n  script: echo hi",
        "steps: 1\n1 manual name=x destructive=rm\n  script: echo bye\nwarning empty-block",
    );
    let problems = check_guide(&wrong).expect_err("must fail");
    for fragment in [
        "expected kind `manual`",
        "`name`: expected `x`",
        "`destructive`",
        "`script:` lines",
        "expected warning `empty-block`",
    ] {
        assert!(
            problems.iter().any(|problem| problem.contains(fragment)),
            "no problem mentions {fragment:?}: {problems:#?}"
        );
    }
    let unstated = SMALL_GUIDE.replace("```bash\necho hi", "```bash {timeot=1s}\necho hi");
    let problems = check_guide(&unstated).expect_err("must fail");
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("not stated") && problem.contains("unknown-attribute")),
        "{problems:#?}"
    );
    let undescribed = SMALL_GUIDE.replace("1 shell\n  script: echo hi\n", "");
    let problems = check_guide(&undescribed).expect_err("must fail");
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("describe each of the 1 steps")),
        "{problems:#?}"
    );
    let no_count = SMALL_GUIDE.replace("steps: 1\n", "");
    assert!(check_guide(&no_count).expect_err("must fail")[0].contains("must state `steps: N`"));
}

// ---------------------------------------------------------------------------
// Templates for `runbook new`
// ---------------------------------------------------------------------------

const TEMPLATE_VARIABLES: &[&str] = &["title", "name", "date", "owner"];

fn render_template(template: &str, values: &BTreeMap<&str, &str>) -> String {
    let text = read_workspace_file(&format!("templates/new/{template}.md.hbs"));
    let mut handlebars = Handlebars::new();
    // Strict: a misspelled variable is an error, not an empty string.
    handlebars.set_strict_mode(true);
    handlebars
        .render_template(&text, values)
        .unwrap_or_else(|error| panic!("templates/new/{template}.md.hbs does not render: {error}"))
}

fn sample_values() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("title", "Checkout API errors"),
        ("name", "checkout-api-errors"),
        ("date", "2025-03-14"),
        ("owner", "team-payments"),
    ])
}

struct RenderedTemplate {
    document: Document,
    graph: StepGraph,
}

fn rendered(template: &str, values: &BTreeMap<&str, &str>) -> RenderedTemplate {
    let text = render_template(template, values);
    let document = parse(&format!("{template}.md"), &text);
    let graph = StepGraph::build(&document);
    RenderedTemplate { document, graph }
}

fn assert_clean(template: &str, values: &BTreeMap<&str, &str>) -> RenderedTemplate {
    let rendered = rendered(template, values);
    let diagnostics: Vec<String> = rendered
        .document
        .diagnostics
        .iter()
        .chain(&rendered.graph.diagnostics)
        .map(|diagnostic| {
            let at = rendered.document.source.location(diagnostic.span.start);
            format!(
                "{:?}[{}] {}:{}: {}",
                diagnostic.severity, diagnostic.code, at.line, at.column, diagnostic.message
            )
        })
        .collect();
    assert!(
        diagnostics.is_empty(),
        "{template} template has diagnostics:\n{}",
        diagnostics.join("\n")
    );
    rendered
}

fn section_titles(document: &Document) -> Vec<&str> {
    document
        .sections
        .iter()
        .map(|section| section.title.as_str())
        .collect()
}

/// Template steps must be safe to run by accident: every value they read is
/// declared in the front matter (or set by an earlier step), anything
/// destructive asks first, and every command has a timeout.
fn assert_safe_steps(template: &str, rendered: &RenderedTemplate) {
    for step in &rendered.graph.steps {
        for input in step.inputs() {
            assert!(
                input.declared,
                "{template}: step `{}` reads `{}`, which is not declared in the front matter",
                step.id, input.name
            );
        }
        if step.is_destructive() {
            assert!(
                step.attributes().confirm.is_some(),
                "{template}: destructive step `{}` has no `confirm`",
                step.id
            );
        }
        if step.is_endless() {
            assert!(
                step.attributes().timeout.is_some(),
                "{template}: endless step `{}` has no `timeout`",
                step.id
            );
        }
        if step.kind == StepKind::Shell {
            assert!(
                step.attributes().timeout.is_some(),
                "{template}: step `{}` has no `timeout`",
                step.id
            );
        }
        assert!(
            step.risk().interactive.is_empty(),
            "{template}: step `{}` needs a terminal: {:?}",
            step.id,
            step.risk().interactive
        );
    }
}

#[test]
fn incident_template_renders_to_a_clean_runbook_with_every_phase() {
    let values = sample_values();
    let rendered = assert_clean("incident", &values);
    assert_eq!(
        rendered.document.title.as_deref(),
        Some("Checkout API errors")
    );
    assert_eq!(
        rendered.document.front_matter.owner.as_deref(),
        Some("team-payments")
    );
    let titles = section_titles(&rendered.document);
    for phase in [
        "Detection",
        "Triage",
        "Mitigation",
        "Resolution",
        "Postmortem",
    ] {
        assert!(
            titles.contains(&phase),
            "incident template lacks a `{phase}` section: {titles:?}"
        );
    }
    assert_safe_steps("incident", &rendered);
    let steps = &rendered.graph.steps;
    assert!(
        steps.iter().any(|step| step.attributes().confirm.is_some()),
        "no step shows `confirm`"
    );
    assert!(
        steps.iter().any(|step| step.attributes().timeout.is_some()),
        "no step shows `timeout`"
    );
    assert!(
        steps.iter().any(|step| step.attributes().expect.is_some()),
        "no step shows `expect`"
    );
    assert!(
        steps
            .iter()
            .any(|step| step.kind == StepKind::Manual && step.reason() == "checklist item"),
        "no checklist"
    );
    assert!(
        steps.iter().any(|step| step.kind == StepKind::Shell),
        "no shell step"
    );
    let vars = &rendered.document.front_matter.vars;
    assert_eq!(
        vars.iter().filter(|var| var.secret).count(),
        1,
        "the incident template declares exactly one secret: {vars:?}"
    );
    let secret = vars
        .iter()
        .find(|var| var.secret)
        .map(|var| var.name.as_str())
        .unwrap_or_default();
    assert!(
        steps.iter().any(|step| step
            .inputs()
            .iter()
            .any(|input| input.name == secret && input.secret)),
        "the secret `{secret}` is used by no step"
    );
}

#[test]
fn maintenance_template_renders_to_a_clean_runbook_with_every_phase() {
    let rendered = assert_clean("maintenance", &sample_values());
    let titles = section_titles(&rendered.document);
    for phase in ["Pre-checks", "Change", "Verification", "Rollback"] {
        assert!(
            titles.contains(&phase),
            "maintenance template lacks a `{phase}` section: {titles:?}"
        );
    }
    assert_safe_steps("maintenance", &rendered);
    let steps = &rendered.graph.steps;
    assert!(
        steps.iter().any(|step| step.attributes().confirm.is_some()),
        "the change should ask before it runs"
    );
    let rollback: Vec<&Step> = steps
        .iter()
        .filter(|step| {
            step.heading_path()
                .iter()
                .any(|heading| heading == "Rollback")
        })
        .collect();
    assert!(!rollback.is_empty(), "the rollback section has no steps");
    assert!(
        rollback
            .iter()
            .all(|step| step.attributes().exclude_from_run_all),
        "rollback steps must be excludeFromRunAll, so a full run does not roll back"
    );
}

#[test]
fn blank_template_renders_to_a_clean_runbook() {
    let rendered = assert_clean("blank", &sample_values());
    assert_eq!(
        rendered.document.title.as_deref(),
        Some("Checkout API errors")
    );
    assert_safe_steps("blank", &rendered);
    assert!(
        !rendered.graph.steps.is_empty(),
        "the blank template should show one step to copy"
    );
}

#[test]
fn templates_survive_awkward_values() {
    let values = BTreeMap::from([
        ("title", "Disk \"full\" on <db-1> & friends"),
        ("name", "disk-full"),
        ("date", "2025-03-14"),
        ("owner", "Jane O'Neil <jane@example.com>"),
    ]);
    for template in ["incident", "maintenance", "blank"] {
        let rendered = assert_clean(template, &values);
        // Markdown decodes the HTML escapes Handlebars adds by default.
        assert_eq!(
            rendered.document.title.as_deref(),
            Some("Disk \"full\" on <db-1> & friends"),
            "{template}"
        );
    }
}

#[test]
fn guide_documents_every_template_variable() {
    let guide = read_workspace_file(GUIDE_PATH);
    for variable in TEMPLATE_VARIABLES {
        assert!(
            guide.contains(&format!("`{{{{{variable}}}}}`")),
            "{GUIDE_PATH} does not document the template variable {{{{{variable}}}}}"
        );
    }
}
