//! Text for people: the answers, the table of resources, the events.

use std::io::{self, Write};

use clusworker_host::protocol::{EventView, OutcomeResult, ResourceView, Response, WorkerView};

use crate::cli::Command;

/// Prints `answer` to `out` (its error to stderr).
pub(crate) fn answer(out: &mut impl Write, command: &Command, answer: &Response) -> io::Result<()> {
    if let Some(e) = &answer.error {
        eprintln!("clusworker-hostctl: {e}");
        if let Some(r) = &answer.resource {
            writeln!(out, "{}", line(r))?;
        }
        return Ok(());
    }
    if let Some(list) = &answer.resources {
        for row in table(list) {
            writeln!(out, "{}", row.trim_end())?;
        }
        return Ok(());
    }
    if let Some(list) = &answer.workers {
        for row in columns(
            [
                "NAME",
                "SITE",
                "STATE",
                "AGE",
                "TERMINATE ASKED",
                "PROGRESS",
            ],
            list.iter().map(worker_row).collect(),
        ) {
            writeln!(out, "{}", row.trim_end())?;
        }
        return Ok(());
    }
    if let Command::Remove { name } = command {
        return writeln!(out, "removed {name}");
    }
    if let Some(o) = &answer.outcome {
        let what = match o.result {
            OutcomeResult::Done => "done".to_owned(),
            OutcomeResult::Pending => "pending".to_owned(),
            OutcomeResult::Failed => format!("failed (code {})", o.code),
        };
        writeln!(out, "entry point returned {what}")?;
    }
    if let Some(alive) = answer.alive {
        let said = if alive { "alive" } else { "not alive" };
        writeln!(out, "IsAlive answered: {said}")?;
    }
    if let Some(r) = &answer.resource {
        writeln!(out, "{}", line(r))?;
        if let Some(d) = &r.details {
            let pretty = serde_json::to_string_pretty(d).unwrap_or_default();
            writeln!(out, "type {}, {pretty}", r.type_name)?;
        }
    }
    Ok(())
}

/// One resource on one line: name, state, checkpoint, last cause.
pub(crate) fn line(r: &ResourceView) -> String {
    let mut s = format!("{}: {}", r.name, r.state);
    if let Some(c) = r.checkpoint {
        s.push_str(&format!(" at checkpoint {c}"));
    }
    if r.isolated {
        s.push_str(", isolated");
    }
    if let (Some(cause), Some(at)) = (&r.last_cause, r.last_change_ms) {
        s.push_str(&format!(" ({} at {at:.1} ms)", cause.text));
    }
    s
}

/// One worker as a row of `workers`' table.
fn worker_row(w: &WorkerView) -> [String; 6] {
    [
        w.name.clone().unwrap_or_else(|| "-".to_owned()),
        w.site.clone(),
        w.state.clone(),
        format!("{:.1} s", w.age_ms / 1e3),
        w.terminating.as_ref().map_or_else(
            || "-".to_owned(),
            |t| format!("{:.1} s ago ({})", t.since_ms / 1e3, t.reason),
        ),
        w.progress.to_string(),
    ]
}

/// The resources as rows of aligned columns, a header first.
pub(crate) fn table(list: &[ResourceView]) -> Vec<String> {
    let rows: Vec<[String; 5]> = list
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.type_name.clone(),
                if r.isolated {
                    format!("{} (isolated)", r.state)
                } else {
                    r.state.clone()
                },
                r.checkpoint
                    .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                r.last_cause
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |c| c.text.clone()),
            ]
        })
        .collect();
    columns(["NAME", "TYPE", "STATE", "CHECKPOINT", "LAST CAUSE"], rows)
}

/// `rows` under `header`, in columns as wide as their widest cell.
fn columns<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> Vec<String> {
    let header = header.map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(&rows)
        .map(|row| {
            let mut s = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    s.push_str(cell);
                } else {
                    s.push_str(&format!("{cell:<w$}  "));
                }
            }
            s
        })
        .collect()
}

/// One event on one line.
pub(crate) fn event(e: &EventView) -> String {
    format!(
        "{:9.1} ms  {}: {} -> {} ({})",
        e.at_ms, e.resource, e.from, e.to, e.cause.text
    )
}
