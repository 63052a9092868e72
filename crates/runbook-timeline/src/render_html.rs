use handlebars::Handlebars;
use serde::Serialize;

use crate::error::TimelineError;
use crate::export::{ExportModel, StepSpan};
use crate::human_format;

/// The postmortem page template (`templates/postmortem.html.hbs` in the repository).
pub const HTML_TEMPLATE: &str = include_str!("../../../templates/postmortem.html.hbs");

const AXIS_WIDTH: f64 = 960.0;
const AXIS_LABEL_WIDTH: f64 = 260.0;
const AXIS_RIGHT_MARGIN: f64 = 48.0;
const AXIS_ROW_HEIGHT: f64 = 22.0;
const AXIS_TOP: f64 = 28.0;
const AXIS_TICKS: u32 = 5;

/// What the HTML template sees: the export model plus the time axis laid out in SVG units.
#[derive(Serialize)]
struct HtmlView<'a> {
    #[serde(flatten)]
    model: &'a ExportModel,
    axis: Option<TimeAxis>,
}

#[derive(Serialize)]
struct TimeAxis {
    width: String,
    height: String,
    plot_left: String,
    plot_right: String,
    bars: Vec<AxisBar>,
    ticks: Vec<AxisTick>,
}

#[derive(Serialize)]
struct AxisBar {
    label: String,
    tooltip: String,
    status: String,
    label_x: String,
    text_y: String,
    y: String,
    x: String,
    width: String,
    height: String,
}

#[derive(Serialize)]
struct AxisTick {
    x: String,
    label: String,
    line_bottom: String,
}

/// Renders one self-contained HTML page (inline CSS and SVG, no scripts, no network) with the
/// same content as the Markdown draft. Every value is HTML-escaped.
pub fn render_html(model: &ExportModel) -> Result<String, TimelineError> {
    let mut registry = Handlebars::new();
    registry
        .register_template_string("postmortem", HTML_TEMPLATE)
        .map_err(|error| TimelineError::Template {
            what: "cannot parse built-in HTML template".to_owned(),
            message: error.to_string(),
        })?;
    let view = HtmlView {
        model,
        axis: time_axis(&model.step_spans),
    };
    registry
        .render("postmortem", &view)
        .map_err(|error| TimelineError::Template {
            what: "cannot render built-in HTML template".to_owned(),
            message: error.to_string(),
        })
}

fn svg_number(value: f64) -> String {
    format!("{value:.1}")
}

fn time_axis(spans: &[StepSpan]) -> Option<TimeAxis> {
    if spans.is_empty() {
        return None;
    }
    let start = spans.iter().map(|s| s.offset_ms).min().unwrap_or(0).min(0);
    let end = spans
        .iter()
        .map(|s| s.offset_ms + s.duration_ms)
        .max()
        .unwrap_or(0);
    let total = (end - start).max(1) as f64;
    let plot_right = AXIS_WIDTH - AXIS_RIGHT_MARGIN;
    let plot_width = plot_right - AXIS_LABEL_WIDTH;
    let x_of = |ms: i64| AXIS_LABEL_WIDTH + (ms - start) as f64 / total * plot_width;
    let height = AXIS_TOP + AXIS_ROW_HEIGHT * spans.len() as f64 + 8.0;

    let bars = spans
        .iter()
        .enumerate()
        .map(|(row, span)| {
            let y = AXIS_TOP + AXIS_ROW_HEIGHT * row as f64;
            let x = x_of(span.offset_ms);
            // Keep instant steps visible.
            let width = (x_of(span.offset_ms + span.duration_ms) - x).max(2.0);
            let mut label = if span.title.is_empty() {
                span.step.clone()
            } else {
                span.title.clone()
            };
            if label.chars().count() > 38 {
                label = label.chars().take(37).collect::<String>() + "…";
            }
            AxisBar {
                tooltip: format!(
                    "{} ({}): {}, {} at +{}",
                    span.step,
                    span.title,
                    span.status,
                    human_format::duration_ms(span.duration_ms),
                    human_format::duration_ms(span.offset_ms - start)
                ),
                label,
                status: span.status.clone(),
                label_x: svg_number(AXIS_LABEL_WIDTH - 8.0),
                text_y: svg_number(y + AXIS_ROW_HEIGHT * 0.65),
                y: svg_number(y + 3.0),
                x: svg_number(x),
                width: svg_number(width),
                height: svg_number(AXIS_ROW_HEIGHT - 6.0),
            }
        })
        .collect();
    let ticks = (0..=AXIS_TICKS)
        .map(|tick| {
            let ms = start + (total * f64::from(tick) / f64::from(AXIS_TICKS)) as i64;
            AxisTick {
                x: svg_number(x_of(ms)),
                label: if tick == 0 {
                    "start".to_owned()
                } else {
                    format!("+{}", human_format::duration_ms(ms - start))
                },
                line_bottom: svg_number(height - 4.0),
            }
        })
        .collect();
    Some(TimeAxis {
        width: svg_number(AXIS_WIDTH),
        height: svg_number(height),
        plot_left: svg_number(AXIS_LABEL_WIDTH),
        plot_right: svg_number(plot_right),
        bars,
        ticks,
    })
}
