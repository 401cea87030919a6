//! [`Client`]: a connection to a running host's control socket.
//!
//! ```no_run
//! use clusworker_host::client::Client;
//! use clusworker_host::protocol::Request;
//!
//! let mut host = Client::connect(&clusworker_host::paths::default_socket())?;
//! let answer = host.request(&Request::List)?;
//! for r in answer.resources.unwrap_or_default() {
//!     println!("{} {}", r.name, r.state);
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use crate::protocol::{Request, Response};

/// A connection to a host.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    /// Connects to the host's socket at `path`.
    ///
    /// # Errors
    ///
    /// The connect's: `NotFound` (no socket there), `ConnectionRefused` (no
    /// host behind it), `PermissionDenied`.
    pub fn connect(path: &Path) -> io::Result<Client> {
        let writer = UnixStream::connect(path)?;
        let reader = BufReader::new(writer.try_clone()?);
        Ok(Client { reader, writer })
    }

    /// Sends `request` and reads its answer.
    ///
    /// # Errors
    ///
    /// The socket's, or `InvalidData` for an answer that is not a response,
    /// or `UnexpectedEof` when the host closed the connection.
    pub fn request(&mut self, request: &Request) -> io::Result<Response> {
        let line = serde_json::to_string(request).map_err(io::Error::other)?;
        self.send_line(&line)
    }

    /// Sends one raw line (a newline is added) and reads the answer.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request).
    pub fn send_line(&mut self, line: &str) -> io::Result<Response> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.writer.write_all(&bytes)?;
        self.receive()?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the host closed the connection",
            )
        })
    }

    /// The next line the host sends (after `events`, the next event);
    /// `None` when it closed the connection.
    ///
    /// # Errors
    ///
    /// The socket's, or `InvalidData` for a line that is not a response.
    pub fn receive(&mut self) -> io::Result<Option<Response>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}
