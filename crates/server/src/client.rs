//! A small blocking HTTP/1.1 client for the subcommands that talk to a running server
//! (`ferrodyn usage`, `ferrodyn backup`, `export`, `import`): one request per connection
//! (`Connection: close`), SigV4-signed with [`ferrodyn_bench::Signer`] as any other request to
//! a server that checks signatures. Plain `http://` endpoints only.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

/// An answer: its status code, its status line and its body (chunked encoding undone).
pub struct Answer {
    pub status: u16,
    pub status_line: String,
    pub body: Vec<u8>,
}

/// Sends one request to `endpoint` (`http://host[:port][/...]`) at `path` with `headers`
/// (`Host` is added) and `body`, signed by `signer`, and reads the whole answer.
pub fn send(
    endpoint: &str,
    signer: &ferrodyn_bench::Signer,
    method: hyper::http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: bytes::Bytes,
) -> Result<Answer, String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("endpoint must start with http://: {endpoint}"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = std::net::TcpStream::connect(&address)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let timeout = Some(Duration::from_secs(60));
    let _ = stream.set_read_timeout(timeout);
    let _ = stream.set_write_timeout(timeout);
    let mut builder = hyper::http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header("host", authority);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder
        .body(body)
        .map_err(|e| format!("invalid endpoint {endpoint}: {e}"))?;
    signer.sign(&mut request)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        let value = value.to_str().map_err(|e| e.to_string())?;
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !request.body().is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", request.body().len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(request.body());
    stream
        .write_all(&message)
        .map_err(|e| format!("cannot send the request to {address}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("cannot read the answer from {address}: {e}"))?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP answer")?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let status_line = head.lines().next().unwrap_or("").to_owned();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
        })
    });
    let raw = &answer[split + 4..];
    let body = if chunked { dechunk(raw)? } else { raw.to_vec() };
    Ok(Answer {
        status,
        status_line,
        body,
    })
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("malformed chunked answer")?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("malformed chunk size {size_text:?}"))?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if raw.len() < size {
            return Err("truncated chunked answer".into());
        }
        body.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or(&[]);
    }
}

/// An error answer of the DynamoDB protocol: `__type`'s short name (after `#`) and the
/// message.
#[derive(Debug)]
pub struct ServiceError {
    pub error_type: String,
    pub message: String,
}

/// Why a DynamoDB call failed.
#[derive(Debug)]
pub enum CallError {
    /// The server answered with an error of the protocol.
    Service(ServiceError),
    /// The request did not get a usable answer (connection, HTTP, JSON).
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Service(e) if e.message.is_empty() => write!(f, "{}", e.error_type),
            CallError::Service(e) => write!(f, "{}: {}", e.error_type, e.message),
            CallError::Transport(e) => write!(f, "{e}"),
        }
    }
}

impl From<String> for CallError {
    fn from(e: String) -> Self {
        CallError::Transport(e)
    }
}

/// A DynamoDB endpoint and the credentials to sign with.
pub struct DynamoDb {
    endpoint: String,
    signer: ferrodyn_bench::Signer,
}

impl DynamoDb {
    pub fn new(endpoint: &str, signing: &ferrodyn_bench::SigningArgs) -> DynamoDb {
        DynamoDb {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            signer: signing.signer(),
        }
    }

    /// Calls `DynamoDB_20120810.<op>` with `input`; the answer's JSON, or its error.
    pub fn call(&self, op: &str, input: &Value) -> Result<Value, CallError> {
        let target = format!("DynamoDB_20120810.{op}");
        let answer = send(
            &self.endpoint,
            &self.signer,
            hyper::http::Method::POST,
            "/",
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", &target),
            ],
            bytes::Bytes::from(input.to_string()),
        )?;
        // TagResource and UntagResource answer 200 with an empty body.
        if answer.status == 200 && answer.body.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
        if answer.status == 200 {
            return json.ok_or_else(|| {
                CallError::Transport(format!("{op}: the answer of {} is not JSON", self.endpoint))
            });
        }
        match json.as_ref().and_then(|j| j.get("__type")?.as_str()) {
            Some(t) => {
                let json = json.as_ref().expect("parsed");
                let message = json
                    .get("message")
                    .or_else(|| json.get("Message"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Err(CallError::Service(ServiceError {
                    error_type: t.rsplit('#').next().unwrap_or(t).to_owned(),
                    message: message.to_owned(),
                }))
            }
            None => Err(CallError::Transport(format!(
                "{op}: {} answered {}",
                self.endpoint, answer.status_line
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_put_together() {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        assert_eq!(dechunk(raw).unwrap(), b"hello, world");
        assert!(dechunk(b"5\r\nhel").is_err());
    }
}
