//! What the demo shows: the table, the log, each resource's story.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use clusworker::monitor::{
    Escalation, Event, Monitor, Operation, ResourceId, ResourceInfo, ResourceState,
};
use crossterm::style::Color;

use crate::resources::Row;
use crate::screen::{LOG_LINES, Line, Screen};

// ----- the view --------------------------------------------------------------

/// One line of the log under the table.
pub(crate) fn event_line(e: &Event) -> String {
    format!(
        "[{:6.2}s] {:<12} {:<14} -> {:<14} {}",
        e.at.as_secs_f64(),
        e.name,
        e.from.name(),
        e.to.name(),
        e.cause
    )
}

pub(crate) fn escalation_line(e: &Escalation) -> String {
    format!(
        "[{:6.2}s] ESCALATION   {} — the host would recycle the process here",
        e.at.as_secs_f64(),
        e
    )
}

pub(crate) fn color(state: ResourceState) -> Color {
    match state {
        ResourceState::Online => Color::Green,
        ResourceState::Failed => Color::Red,
        ResourceState::OnlinePending | ResourceState::OfflinePending => Color::Yellow,
        _ => Color::DarkGrey,
    }
}

pub(crate) fn progress_bar(done: u32, total: u32) -> String {
    let width = 12usize;
    let total = total.max(1);
    let filled = (done.min(total) as usize * width) / total as usize;
    format!(
        "[{}{}] {done:>2}/{total}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

/// The table, one line per resource.
pub(crate) fn table(infos: &[ResourceInfo], rows: &[Row], now: Duration) -> Vec<Line> {
    let mut out = vec![Line::from(format!(
        "{:<12} {:<14} {:<20} {}",
        "RESOURCE", "STATE", "PROGRESS", "NOTE"
    ))];
    for (info, row) in infos.iter().zip(rows) {
        let progress = match (info.operation, info.checkpoint) {
            (Some(Operation::Online), Some(cp)) => progress_bar(cp, row.online_steps),
            (Some(Operation::Offline), Some(cp)) => progress_bar(cp, row.offline_steps),
            _ => String::new(),
        };
        let note = if info.isolated {
            "isolated after a hung call".to_string()
        } else if let Some(d) = info.deadline {
            let left = d.saturating_sub(now).as_millis();
            format!("heartbeat due in {left} ms")
        } else {
            row.story.to_string()
        };
        let name = format!("{:<12} ", info.name);
        let state = format!("{:<14}", info.state.name());
        let at = name.chars().count()..name.chars().count() + state.chars().count();
        out.push(Line {
            text: format!("{name}{state} {progress:<20} {note}"),
            color: Some((at, color(info.state))),
        });
    }
    out
}

/// Draws the view until `stop`: on a terminal the table and the latest log
/// lines in place; otherwise each event, escalation and observed checkpoint
/// as a plain line.
pub(crate) struct View {
    pub(crate) monitor: Arc<Monitor>,
    pub(crate) rows: Arc<Vec<Row>>,
    pub(crate) events: Receiver<Event>,
    pub(crate) escalations: Receiver<Escalation>,
    /// Drawn in place on a terminal (`None`: plain lines).
    pub(crate) screen: Option<Screen>,
    pub(crate) log: Vec<String>,
    pub(crate) seen_checkpoints: HashMap<ResourceId, (Option<Operation>, Option<u32>)>,
}

impl View {
    pub(crate) fn drain(&mut self) -> Vec<String> {
        let mut new = Vec::new();
        // Escalations are sent by the hook after their event: take events
        // first, so the log keeps the order.
        new.extend(self.events.try_iter().map(|e| event_line(&e)));
        new.extend(self.escalations.try_iter().map(|e| escalation_line(&e)));
        new
    }

    /// Draws what changed; `last`: the final frame.
    pub(crate) fn tick(&mut self, out: &mut impl Write, last: bool) -> std::io::Result<()> {
        let now = self.monitor.elapsed();
        let infos = self.monitor.resources();
        let new = self.drain();
        if let Some(screen) = &mut self.screen {
            self.log.extend(new);
            let keep = self.log.len().saturating_sub(LOG_LINES);
            self.log.drain(..keep);
            screen.draw(out, table(&infos, &self.rows, now), &self.log, last)?;
        } else {
            for l in new {
                writeln!(out, "{l}")?;
            }
            for (info, row) in infos.iter().zip(self.rows.iter()) {
                let key = (info.operation, info.checkpoint);
                let before = self.seen_checkpoints.insert(info.id, key);
                if let (Some(op), Some(cp)) = key {
                    if cp > 0 && before != Some(key) {
                        let total = if op == Operation::Online {
                            row.online_steps
                        } else {
                            row.offline_steps
                        };
                        writeln!(
                            out,
                            "[{:6.2}s] {:<12} {} checkpoint {}",
                            now.as_secs_f64(),
                            info.name,
                            op,
                            progress_bar(cp, total)
                        )?;
                    }
                }
            }
        }
        out.flush()
    }
}
