//! `watch`: a live view of every resource and the latest events.
//!
//! On a terminal it is drawn with crossterm on the alternate screen, each
//! line cut to the terminal's width so that none wraps (a wrapped line
//! would take two screen rows where one was counted, and the redraw would
//! misplace everything after it), and as many events as fit below the
//! table. It redraws on every event and on a resize. Elsewhere (a pipe, a
//! file) it prints the table once and then one line per event.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use clusworker_host::client::Client;
use clusworker_host::protocol::{Request, Response};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyModifiers};
use crossterm::{cursor, execute, queue, style, terminal};

use crate::render;

/// Runs the view until the host goes away or the user quits.
pub(crate) fn run(mut lister: Client, socket: &Path, json: bool) -> io::Result<ExitCode> {
    let mut stream = Client::connect(socket)?;
    let first = stream.request(&Request::Events)?;
    if !first.ok {
        eprintln!(
            "clusworker-hostctl: {}",
            first.error.map(|e| e.to_string()).unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    }
    let (tx, rx) = mpsc::channel::<Option<Response>>();
    thread::spawn(move || {
        while let Ok(Some(line)) = stream.receive() {
            if tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
    if json || !io::stdout().is_terminal() {
        return plain(&mut lister, &rx, json);
    }
    live(&mut lister, &rx)
}

fn plain(
    lister: &mut Client,
    rx: &mpsc::Receiver<Option<Response>>,
    json: bool,
) -> io::Result<ExitCode> {
    let list = lister.request(&Request::List)?;
    let mut out = io::stdout().lock();
    if json {
        write!(out, "{}", list.to_line())?;
    } else {
        for row in render::table(list.resources.as_deref().unwrap_or_default()) {
            writeln!(out, "{}", row.trim_end())?;
        }
    }
    out.flush()?;
    drop(out);
    while let Ok(Some(line)) = rx.recv() {
        let mut out = io::stdout().lock();
        match &line.event {
            _ if json => write!(out, "{}", line.to_line())?,
            Some(e) => writeln!(out, "{}", render::event(e))?,
            None => {}
        }
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Restores the terminal however the view ends.
struct Screen;

impl Screen {
    fn enter() -> io::Result<Screen> {
        terminal::enable_raw_mode()?;
        execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(Screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(io::stdout(), cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

fn live(lister: &mut Client, rx: &mpsc::Receiver<Option<Response>>) -> io::Result<ExitCode> {
    let _screen = Screen::enter()?;
    let mut events: Vec<String> = Vec::new();
    let mut dirty = true;
    loop {
        loop {
            match rx.try_recv() {
                Ok(Some(line)) => {
                    if let Some(e) = &line.event {
                        events.push(render::event(e));
                        if events.len() > 500 {
                            events.drain(..250);
                        }
                        dirty = true;
                    }
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => return Ok(ExitCode::from(3)),
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        if dirty {
            let list = lister.request(&Request::List)?;
            draw(list.resources.as_deref().unwrap_or_default(), &events)?;
            dirty = false;
        }
        if event::poll(Duration::from_millis(100))? {
            match event::read()? {
                Event::Key(KeyEvent {
                    code: KeyCode::Char('q') | KeyCode::Esc,
                    ..
                }) => return Ok(ExitCode::SUCCESS),
                Event::Key(KeyEvent {
                    code: KeyCode::Char('c'),
                    modifiers,
                    ..
                }) if modifiers.contains(KeyModifiers::CONTROL) => return Ok(ExitCode::SUCCESS),
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
    }
}

/// Draws the whole screen: each line at its own row, cut to the width.
fn draw(list: &[clusworker_host::protocol::ResourceView], events: &[String]) -> io::Result<()> {
    let (cols, rows) = terminal::size()?;
    let (cols, rows) = (usize::from(cols.max(1)), usize::from(rows.max(1)));
    let mut lines = vec![format!(
        "clusworker-host: {} resource(s)    q quits",
        list.len()
    )];
    lines.push(String::new());
    lines.extend(render::table(list));
    lines.push(String::new());
    let room = rows.saturating_sub(lines.len() + 1);
    lines.push("latest events:".to_owned());
    lines.extend(events[events.len().saturating_sub(room)..].iter().cloned());
    // Each row rewritten in place and the rest of it cleared, then
    // everything below: no full clear, so no flicker.
    let mut out = io::stdout().lock();
    let mut drawn = 0;
    for (row, text) in lines.iter().take(rows).enumerate() {
        // One column short of the edge: a character written into the last
        // column leaves the cursor waiting to wrap, where some terminals
        // would let the clear that follows erase it.
        let cut: String = text.chars().take(cols.saturating_sub(1).max(1)).collect();
        let row = u16::try_from(row).unwrap_or(u16::MAX);
        queue!(
            out,
            cursor::MoveTo(0, row),
            style::Print(cut),
            terminal::Clear(terminal::ClearType::UntilNewLine)
        )?;
        drawn = row.saturating_add(1);
    }
    if usize::from(drawn) < rows {
        queue!(
            out,
            cursor::MoveTo(0, drawn),
            terminal::Clear(terminal::ClearType::FromCursorDown)
        )?;
    }
    out.flush()
}
