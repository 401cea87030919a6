//! The HTTP health check: [`HttpUrl`], and an HTTP/1.0 GET written by hand
//! over a `TcpStream`, every step bounded by the attempt's deadline.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// An `http://` URL whose host is an IP address or `localhost`:
/// `http://127.0.0.1:8080/health`, `http://[::1]/`, `http://localhost:8000`.
/// The port defaults to 80 and the path to `/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HttpUrl {
    text: String,
    addr: SocketAddr,
    authority: String,
    path: String,
}

impl HttpUrl {
    /// Where the check connects.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The path (and query) requested.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for HttpUrl {
    type Error = String;
    fn try_from(text: String) -> Result<HttpUrl, String> {
        let bad = |why: &str| format!("bad URL {text:?}: {why}");
        let Some(rest) = text.strip_prefix("http://") else {
            return Err(if text.starts_with("https://") {
                bad("https is not supported; the check speaks plain HTTP/1.0")
            } else {
                bad("expected http://IP:PORT/path")
            });
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], &rest[i..]),
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        if path.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(bad("spaces or control characters in the path"));
        }
        if authority.contains('@') {
            return Err(bad("user information is not supported"));
        }
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or_else(|| bad("an unclosed ["))?;
            match after {
                "" => (host, None),
                _ => (
                    host,
                    Some(after.strip_prefix(':').ok_or_else(|| bad("text after ]"))?),
                ),
            }
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port: u16 = match port {
            None => 80,
            Some(p) => p
                .parse()
                .map_err(|_| bad("the port is not a number up to 65535"))?,
        };
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.parse()
                .map_err(|_| bad("the host must be an IP address or localhost (no DNS)"))?
        };
        Ok(HttpUrl {
            addr: SocketAddr::new(ip, port),
            authority: authority.to_owned(),
            path,
            text,
        })
    }
}

/// Sends `GET` and reads the status line: `Ok(status)` for a 2xx answer,
/// `Err` saying what went wrong otherwise. Gives up at `deadline`, or
/// within 50 ms of `stop()` turning true.
pub(super) fn get(
    url: &HttpUrl,
    deadline: Instant,
    stop: &dyn Fn() -> bool,
) -> Result<u16, String> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("{url}: no answer within the check's timeout"))
    };
    let mut stream = TcpStream::connect_timeout(&url.addr, left()?)
        .map_err(|e| format!("{url}: cannot connect: {e}"))?;
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| format!("{url}: {e}"))?;
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: clusworker-host\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{url}: cannot send the request: {e}"))?;

    // Read up to the end of the status line, in slices of at most 50 ms
    // so that a stop request is seen.
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && !head.contains(&b'\n') {
        if stop() {
            return Err(format!("{url}: stopped"));
        }
        if head.len() > 4096 {
            return Err(format!("{url}: a status line longer than 4 KiB"));
        }
        let slice = left()?.min(Duration::from_millis(50));
        stream
            .set_read_timeout(Some(slice))
            .map_err(|e| format!("{url}: {e}"))?;
        match stream.read(&mut buf) {
            Ok(0) => return Err(format!("{url}: the server closed the connection")),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{url}: cannot read the answer: {e}")),
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let status = parse_status_line(line).ok_or_else(|| {
        format!(
            "{url}: not an HTTP status line: {:?}",
            String::from_utf8_lossy(line).trim_end()
        )
    })?;
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("{url}: status {status}"))
    }
}

/// `HTTP/1.x NNN reason` → `NNN`.
fn parse_status_line(line: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut words = line.splitn(3, ' ');
    let version = words.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = words.next()?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Result<HttpUrl, String> {
        HttpUrl::try_from(s.to_owned())
    }

    #[test]
    fn urls_parse_with_their_defaults() {
        let u = url("http://127.0.0.1:8080/health?x=1").unwrap();
        assert_eq!(u.addr(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(u.path(), "/health?x=1");
        let u = url("http://localhost").unwrap();
        assert_eq!(u.addr(), "127.0.0.1:80".parse().unwrap());
        assert_eq!(u.path(), "/");
        let u = url("http://[::1]:81?q").unwrap();
        assert_eq!(u.addr(), "[::1]:81".parse().unwrap());
        assert_eq!(u.path(), "/?q");
        let u = url("http://[::1]/").unwrap();
        assert_eq!(u.addr().port(), 80);
    }

    #[test]
    fn bad_urls_are_refused_by_name() {
        for (text, why) in [
            ("https://127.0.0.1/", "https"),
            ("ftp://127.0.0.1/", "expected http://"),
            ("http://example.com/", "IP address or localhost"),
            ("http://127.0.0.1:x/", "port"),
            ("http://127.0.0.1:99999/", "port"),
            ("http://127.0.0.1/a b", "spaces"),
            ("http://u@127.0.0.1/", "user information"),
        ] {
            let e = url(text).unwrap_err();
            assert!(e.contains(why) && e.contains(text), "{text}: {e}");
        }
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status_line(b"HTTP/1.0 200 OK\r"), Some(200));
        assert_eq!(parse_status_line(b"HTTP/1.1 204"), Some(204));
        assert_eq!(parse_status_line(b"HTTP/1.1 2000 OK"), None);
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH"), None);
    }
}
