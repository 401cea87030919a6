//! The control socket's server: an accept thread, and a thread per client
//! (at most `max_clients` at once) reading one bounded line at a time.
//!
//! A request is carried out only once its whole line, newline included,
//! has arrived: a client that disconnects mid-line changes nothing. A line
//! longer than [`MAX_LINE`] is answered `line_too_long` and the
//! connection closed, as is a client beyond `max_clients`
//! (`too_many_clients`).

use std::io::{self, BufRead, BufReader, ErrorKind as IoKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use super::dispatch;
use super::host::Host;
use crate::protocol::{ErrorKind, EventView, MAX_LINE, Request, Response, parse_request};

/// Starts the accept thread.
pub(crate) fn spawn(
    listener: UnixListener,
    host: Arc<Host>,
    max_clients: usize,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("clusworker-accept".into())
        .spawn(move || accept(&listener, &host, max_clients))
}

fn accept(listener: &UnixListener, host: &Arc<Host>, max_clients: usize) {
    let clients = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                // EMFILE and the like: do not spin.
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // Only the accept thread increments, so the check cannot be raced
        // past the bound.
        if clients.load(Ordering::Acquire) >= max_clients {
            let m = format!("the host serves {max_clients} clients already");
            let _ = stream.write_all(
                Response::error(ErrorKind::TooManyClients, m)
                    .to_line()
                    .as_bytes(),
            );
            continue;
        }
        clients.fetch_add(1, Ordering::AcqRel);
        let (host, count) = (Arc::clone(host), Arc::clone(&clients));
        let spawned = thread::Builder::new()
            .name("clusworker-client".into())
            .spawn(move || {
                serve_client(stream, &host);
                count.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(e) = spawned {
            clients.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(error = %e, "cannot start a client thread");
        }
    }
}

/// Why a line could not be had.
enum Line {
    /// A whole line, without its newline.
    Whole(Vec<u8>),
    /// The client closed (a partial line is dropped).
    Closed,
    /// Longer than MAX_LINE.
    TooLong,
}

/// Reads one line of at most [`MAX_LINE`] bytes, newline included.
fn read_line(reader: &mut BufReader<UnixStream>) -> io::Result<Line> {
    let mut line = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(Line::Closed);
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Ok(Line::TooLong);
        }
        line.extend_from_slice(&buf[..take]);
        reader.consume(take);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Line::Whole(line));
        }
    }
}

fn serve_client(stream: UnixStream, host: &Host) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let line = match read_line(&mut reader) {
            Ok(Line::Whole(l)) => l,
            Ok(Line::Closed) | Err(_) => return,
            Ok(Line::TooLong) => {
                let m = format!("a request line is at most {MAX_LINE} bytes");
                let _ = writer.write_all(
                    Response::error(ErrorKind::LineTooLong, m)
                        .to_line()
                        .as_bytes(),
                );
                return;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let response = match std::str::from_utf8(&line) {
            Err(_) => Response::error(ErrorKind::Malformed, "a request line is UTF-8 JSON"),
            Ok(text) => match parse_request(text) {
                Err(refusal) => Response::refusal(refusal),
                Ok(Request::Events) => return stream_events(reader.get_ref(), &mut writer, host),
                Ok(request) => dispatch::handle(host, request),
            },
        };
        if writer.write_all(response.to_line().as_bytes()).is_err() {
            return;
        }
    }
}

/// `events`: an answer, then one line per event until the client closes.
fn stream_events(reader: &UnixStream, writer: &mut UnixStream, host: &Host) {
    // Subscribe before answering: every event after the answer is sent.
    let events = host.monitor.subscribe();
    if writer
        .write_all(Response::ok().to_line().as_bytes())
        .is_err()
    {
        return;
    }
    host.follow(
        &events,
        |e| {
            let line = Response {
                event: Some(EventView::new(e)),
                ..Response::ok()
            }
            .to_line();
            writer.write_all(line.as_bytes()).is_ok()
        },
        || !closed(reader),
    );
}

/// Whether the client has closed its side (anything it sent meanwhile is
/// read and dropped).
fn closed(stream: &UnixStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        // SAFETY: recv writes at most `buf.len()` bytes into `buf`, which
        // we own; MSG_DONTWAIT makes it return at once.
        let n = unsafe {
            libc::recv(
                stream.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        match n {
            0 => return true,
            1.. => {}
            _ => match io::Error::last_os_error().kind() {
                IoKind::WouldBlock => return false,
                IoKind::Interrupted => {}
                _ => return true,
            },
        }
    }
}
