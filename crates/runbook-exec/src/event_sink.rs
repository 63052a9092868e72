use crate::Event;

/// Receives every event. Returning an error stops the run before the next
/// step: a step is never run unrecorded.
pub trait EventSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError>;
}

#[derive(Debug)]
pub struct SinkError {
    pub message: String,
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SinkError {}

/// Fans one event out to several sinks, in order; the first error wins.
pub struct Sinks<'a> {
    sinks: Vec<&'a mut dyn EventSink>,
}

impl<'a> Sinks<'a> {
    pub fn new(sinks: Vec<&'a mut dyn EventSink>) -> Self {
        Sinks { sinks }
    }
}

impl EventSink for Sinks<'_> {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        for sink in &mut self.sinks {
            sink.emit(event)?;
        }
        Ok(())
    }
}

/// Collects events in memory; for tests and for `--dry-run`.
#[derive(Default)]
pub struct CollectingSink {
    pub events: Vec<Event>,
}

impl EventSink for CollectingSink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        self.events.push(event.clone());
        Ok(())
    }
}
