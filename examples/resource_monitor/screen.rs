//! Drawing frames in place on a terminal, every line cut to its width.

use std::io::Write;
use std::ops::Range;

use crossterm::style::{self, Color};
use crossterm::{cursor, queue, terminal};

/// One line of the view: its text, and the part of it (in characters)
/// drawn in a colour on a terminal.
pub(crate) struct Line {
    pub(crate) text: String,
    pub(crate) color: Option<(Range<usize>, Color)>,
}

impl From<String> for Line {
    fn from(text: String) -> Line {
        Line { text, color: None }
    }
}

/// How many of the latest log lines the live view shows under the table.
pub(crate) const LOG_LINES: usize = 14;

/// Draws frames of the view in place on a terminal, below what was
/// printed before it, with crossterm: every line cut to the terminal's
/// width (so none wraps: a wrapped line takes two screen rows where one
/// was counted) and the frame to its height (a row scrolled off the top
/// cannot be drawn over), so the next frame starts where this one did.
/// The last frame's log lines are printed whole (nothing is drawn over
/// them), wrapped or not.
#[derive(Default)]
pub(crate) struct Screen {
    /// Rows of the last frame, and the terminal's size when it was drawn.
    pub(crate) drawn: u16,
    pub(crate) size: (u16, u16),
}

impl Screen {
    pub(crate) fn draw(
        &mut self,
        out: &mut impl Write,
        table: Vec<Line>,
        log: &[String],
        last: bool,
    ) -> std::io::Result<()> {
        let size = terminal::size()?;
        let (cols, rows) = (usize::from(size.0.max(2)), usize::from(size.1.max(2)));
        // Resized: the old frame may have been reflowed into other rows;
        // start a new one below it rather than draw over what is unknown.
        if size != self.size {
            self.drawn = 0;
            self.size = size;
        }
        // The table whole (unless the terminal is shorter), then as many
        // of the latest log lines as fit; one row stays for the cursor.
        let room = if last { usize::MAX } else { rows - 1 };
        let mut lines = table;
        lines.truncate(room);
        let table_rows = lines.len();
        if lines.len() + 1 < room {
            lines.push(Line::from(String::new()));
            let fit = (room - lines.len()).min(LOG_LINES);
            let log = &log[log.len().saturating_sub(fit)..];
            lines.extend(log.iter().cloned().map(Line::from));
        }
        if self.drawn > 0 {
            queue!(out, cursor::MoveToPreviousLine(self.drawn))?;
        }
        for (i, line) in lines.iter().enumerate() {
            // One column short of the edge: a character in the last column
            // leaves the cursor waiting to wrap. The last frame's log lines
            // are whole: nothing is drawn over them.
            let whole = last && i >= table_rows;
            print_cut(out, line, if whole { usize::MAX } else { cols - 1 })?;
            queue!(
                out,
                terminal::Clear(terminal::ClearType::UntilNewLine),
                style::Print("\r\n")
            )?;
        }
        queue!(out, terminal::Clear(terminal::ClearType::FromCursorDown))?;
        self.drawn = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        out.flush()
    }
}

/// Prints `line`'s first `width` characters, its coloured part in colour.
pub(crate) fn print_cut(out: &mut impl Write, line: &Line, width: usize) -> std::io::Result<()> {
    let chars: Vec<char> = line.text.chars().take(width).collect();
    let text = |r: Range<usize>| -> String {
        chars[r.start.min(chars.len())..r.end.min(chars.len())]
            .iter()
            .collect()
    };
    match &line.color {
        Some((at, c)) => queue!(
            out,
            style::Print(text(0..at.start)),
            style::SetForegroundColor(*c),
            style::Print(text(at.clone())),
            style::ResetColor,
            style::Print(text(at.end..chars.len())),
        ),
        None => queue!(out, style::Print(text(0..chars.len()))),
    }
}
