//! [`parse_request`]: a line into a [`Request`], or the error to answer.

use super::Request;
use super::response::{ErrorKind, ErrorView};

/// Parses one request line (without its newline). A line that is not a
/// JSON object, or whose fields are wrong, is [`ErrorKind::Malformed`];
/// an object whose `op` the host does not know is
/// [`ErrorKind::UnknownOp`].
///
/// # Errors
///
/// The [`ErrorView`] to send back (in a [`Response::refusal`](super::Response::refusal)).
///
/// # Examples
///
/// ```
/// use clusworker_host::protocol::{ErrorKind, Request, parse_request};
///
/// assert_eq!(parse_request(r#"{"op":"list"}"#), Ok(Request::List));
/// let kind = |line| parse_request(line).unwrap_err().kind;
/// assert_eq!(kind("{\"op\":"), ErrorKind::Malformed);
/// assert_eq!(kind(r#"{"op":"reboot"}"#), ErrorKind::UnknownOp);
/// assert_eq!(kind(r#"{"op":"online"}"#), ErrorKind::Malformed); // no name
/// ```
pub fn parse_request(line: &str) -> Result<Request, ErrorView> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| ErrorView::new(ErrorKind::Malformed, format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(ErrorView::new(
            ErrorKind::Malformed,
            "a request is a JSON object, such as {\"op\":\"list\"}",
        ));
    };
    match object.get("op") {
        Some(serde_json::Value::String(op)) if !Request::OPS.contains(&op.as_str()) => {
            return Err(ErrorView::new(
                ErrorKind::UnknownOp,
                format!("unknown op {op:?}; known: {}", Request::OPS.join(", ")),
            ));
        }
        Some(serde_json::Value::String(_)) => {}
        _ => {
            return Err(ErrorView::new(
                ErrorKind::Malformed,
                "a request needs \"op\", a string",
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| ErrorView::new(ErrorKind::Malformed, e.to_string()))
}
