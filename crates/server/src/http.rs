//! The HTTP front: DynamoDB's JSON-over-HTTP protocol on `POST /`.
//!
//! Reads `X-Amz-Target` and the body, hands them to `ferrodyn_api::dispatch`, and answers with
//! the headers AWS SDKs expect: `Content-Type: application/x-amz-json-1.0`, `x-amzn-RequestId`
//! and `x-amz-crc32` (botocore verifies it).
//!
//! Request bodies may come gzip- or deflate-encoded and answers go out gzip-compressed when
//! asked for ([`compression`]); browsers get CORS answers ([`cors`]). A plain request and
//! answer pay two header look-ups for this, no copy.

mod compression;
mod cors;
mod host;

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrodyn_api::ApiError;
use ferrodyn_engine::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderName, HeaderValue, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ORIGIN,
    VARY,
};
use hyper::{Method, Request, Response, StatusCode};

use crate::auth;

/// The largest request body taken: 16 MiB, DynamoDB's request size limit (BatchWriteItem's
/// "up to 16 MB"). Amazon's DynamoDB Local takes 16,777,216 bytes and answers one byte more
/// with 413 Payload Too Large; so do we, before reading the body. A compressed body is held to
/// it twice: as sent, and once decoded.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Answers at least this long are gzip-compressed on a blocking thread rather than on the
/// connection's task (level 1 runs at a few hundred MB/s: 256 KiB is about a millisecond).
const GZIP_INLINE_MAX: usize = 256 * 1024;

/// Answer headers named once, not parsed from a string on every answer.
const X_AMZ_CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");
const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");

const JSON_1_0: &str = "application/x-amz-json-1.0";

/// Shared state of all connections.
pub struct AppState {
    /// The engine every request runs on.
    pub engine: Engine,
    request_ids: RequestIds,
    /// How long a client may take to send a request's body (slow-drip clients are cut off).
    body_timeout: Duration,
    /// The keys requests must be signed with; `None`: open, signatures are not checked.
    access: Option<auth::Access>,
}

impl AppState {
    /// Wraps an engine; a request body must arrive within `body_timeout`.
    pub fn new(engine: Engine, body_timeout: Duration) -> Self {
        AppState {
            engine,
            request_ids: RequestIds::new(),
            body_timeout,
            access: None,
        }
    }

    /// Requires every request but the health check to be signed by one of `access`'s keys.
    pub fn with_access(mut self, access: auth::Access) -> Self {
        self.access = Some(access);
        self
    }
}

/// Handles one HTTP request.
pub async fn handle(
    state: Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = state.request_ids.next();
    if req.method() == Method::OPTIONS {
        // A browser's CORS preflight, whatever the path.
        return Ok(cors::preflight(
            req.headers(),
            X_AMZN_REQUESTID,
            &request_id,
        ));
    }
    let from_browser = req.headers().contains_key(ORIGIN);
    let gzip_ok = compression::accepts_gzip(req.headers());
    let answer = route(&state, req, &request_id).await;
    let close = answer.close;
    let mut resp = if gzip_ok && answer.body.len() >= compression::MIN_GZIP_ANSWER {
        gzipped_response(answer, &request_id).await
    } else {
        response(answer.status, answer.content_type, answer.body, &request_id)
    };
    if close {
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if from_browser {
        let gzipped = resp.headers().contains_key(CONTENT_ENCODING);
        cors::add_answer_headers(resp.headers_mut(), gzipped);
    }
    Ok(resp)
}

/// An answer before it is encoded and given its headers.
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    /// Close the connection after it (the request body was left unread).
    close: bool,
}

impl Answer {
    fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Self {
        Answer {
            status,
            content_type,
            body,
            close: false,
        }
    }
}

async fn route(state: &AppState, req: Request<Incoming>, request_id: &str) -> Answer {
    if req.method() == Method::GET && req.uri().path() == crate::usage::USAGE_PATH {
        // ferrodyn's usage and cost report (usage.rs), outside DynamoDB's protocol; signed
        // like any other request when signatures are checked.
        if let Some(access) = &state.access {
            let (parts, _) = req.into_parts();
            if let Err(e) = access.authenticate(&parts, b"") {
                return error_answer(e, request_id);
            }
        }
        let body = crate::usage::report_json(&state.engine);
        return Answer::new(StatusCode::OK, "application/json", body);
    }
    if req.method() == Method::GET {
        // DynamoDB answers a GET with a plain-text health line naming the endpoint the
        // client reached; load balancers use it.
        let body = match host::client_host(req.uri(), req.headers()) {
            Some(host) => format!("healthy: {host} "),
            None => format!(
                "healthy: {} ",
                ferrodyn_api::regional_endpoint(&state.engine.config().region)
            ),
        };
        return Answer::new(StatusCode::OK, "text/plain", body.into_bytes());
    }
    if !is_json_content_type(req.headers()) {
        // What DynamoDB's front end says to a POST it cannot route.
        let body = b"<UnknownOperationException/>\n".to_vec();
        return Answer::new(StatusCode::NOT_FOUND, "application/xml", body);
    }
    match answer(state, req).await {
        Ok(body) => Answer::new(StatusCode::OK, JSON_1_0, body),
        Err(Refusal::Api(e)) => error_answer(e, request_id),
        Err(Refusal::Status(status, e)) => {
            tracing::debug!(request_id = %request_id, %status, message = %e.message, "error answer");
            Answer::new(status, JSON_1_0, e.to_json())
        }
        Err(Refusal::Close(status)) => {
            // The rest of the body stays unread: answer, then close the connection.
            tracing::debug!(request_id = %request_id, %status, "request body refused");
            Answer {
                close: true,
                ..Answer::new(status, JSON_1_0, b"{\"Message\":\"\"}".to_vec())
            }
        }
    }
}

fn error_answer(e: ApiError, request_id: &str) -> Answer {
    tracing::debug!(request_id = %request_id, kind = ?e.kind, message = %e.message, "error answer");
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    Answer::new(status, JSON_1_0, e.to_json())
}

/// Why a request gets no answer from the API.
enum Refusal {
    /// DynamoDB's error answer.
    Api(ApiError),
    /// The body is refused unread (too large, too slow, or broken off); the status is sent
    /// with DynamoDB Local's body for these, `{"Message":""}`, and the connection closed.
    Close(StatusCode),
    /// DynamoDB's error body with a status of its own (the body was read in full, so the
    /// connection stays open): a compressed body too large once decoded (413), or a coding
    /// we do not know (415).
    Status(StatusCode, ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Api(e)
    }
}

/// DynamoDB takes `application/x-amz-json-1.0` and plain `application/json`.
fn is_json_content_type(headers: &hyper::HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case(JSON_1_0) || mime.eq_ignore_ascii_case("application/json")
}

async fn answer(state: &AppState, req: Request<Incoming>) -> Result<Vec<u8>, Refusal> {
    // The headers stay borrowed while the body is read: the target is not copied.
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let signed = match &state.access {
        Some(_) => auth::Access::looks_signed(&parts),
        None => headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .is_some_and(auth::claims_signature),
    };
    if !signed {
        return Err(ApiError::missing_authentication_token().into());
    }
    let Some(target) = headers.get(X_AMZ_TARGET).and_then(|h| h.to_str().ok()) else {
        return Err(ApiError::unknown_operation().into());
    };
    let context = ferrodyn_api::RequestContext {
        host: host::client_host(&parts.uri, headers),
    };
    let coding = compression::request_coding(headers);
    let body = read_body(body, state.body_timeout).await?;
    // The signature covers the body as sent, before any Content-Encoding is undone.
    let principal = match &state.access {
        Some(access) => Some(access.authenticate(&parts, &body)?),
        None => None,
    };
    let body = match coding {
        Ok(compression::Coding::Identity) => body,
        Ok(coding) => decode_body(coding, body).await?,
        Err(name) => {
            return Err(Refusal::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ApiError::serialization(format!(
                    "Unsupported Content-Encoding: {name} (supported: gzip, deflate, identity)"
                )),
            ))
        }
    };
    if let (Some(access), Some(principal)) = (&state.access, &principal) {
        access.authorize(&state.engine, principal, target, &body)?;
    }
    Ok(ferrodyn_api::dispatch_in(&state.engine, target, &body, context).await?)
}

/// Decodes a compressed request body, on a blocking thread: decoding up to
/// [`MAX_BODY_BYTES`] takes milliseconds. Decoding stops, and the request is refused with 413,
/// as soon as the output passes [`MAX_BODY_BYTES`].
async fn decode_body(coding: compression::Coding, body: Bytes) -> Result<Bytes, Refusal> {
    let decoded =
        tokio::task::spawn_blocking(move || compression::decode(coding, &body, MAX_BODY_BYTES))
            .await
            .map_err(|e| ApiError::internal(format!("decoding the request body: {e}")))?;
    match decoded {
        Ok(data) => Ok(Bytes::from(data)),
        Err(compression::DecodeError::TooLarge) => Err(Refusal::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::serialization(format!(
                "Request body is larger than {MAX_BODY_BYTES} bytes once decoded \
                 (Content-Encoding: {})",
                coding.name()
            )),
        )),
        Err(compression::DecodeError::Corrupt(e)) => Err(ApiError::serialization(format!(
            "Request body could not be decoded (Content-Encoding: {}): {e}",
            coding.name()
        ))
        .into()),
    }
}

/// Reads a request body of at most [`MAX_BODY_BYTES`] within `timeout`. A declared length
/// over the limit is refused before anything is read; a chunked body as soon as it passes
/// the limit; a body still incomplete at `timeout` (a slow-drip client) with 408.
async fn read_body(body: Incoming, timeout: Duration) -> Result<Bytes, Refusal> {
    use hyper::body::Body as _;
    if body
        .size_hint()
        .exact()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(Refusal::Close(StatusCode::PAYLOAD_TOO_LARGE));
    }
    match tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(Refusal::Close(StatusCode::PAYLOAD_TOO_LARGE))
        }
        // The client broke the body off; nobody reads the answer.
        Ok(Err(_)) => Err(Refusal::Close(StatusCode::BAD_REQUEST)),
        Err(_) => Err(Refusal::Close(StatusCode::REQUEST_TIMEOUT)),
    }
}

/// [`response`] with the body gzip-compressed (`x-amz-crc32` over the compressed bytes, the
/// bytes sent), or as it is when compression does not make it shorter.
async fn gzipped_response(answer: Answer, request_id: &str) -> Response<Full<Bytes>> {
    let Answer {
        status,
        content_type,
        body,
        ..
    } = answer;
    let (body, compressed) = if body.len() < GZIP_INLINE_MAX {
        let compressed = compression::gzip(&body);
        (body, compressed)
    } else {
        tokio::task::spawn_blocking(move || {
            let compressed = compression::gzip(&body);
            (body, compressed)
        })
        .await
        .expect("gzip does not panic")
    };
    match compressed {
        Some(gz) => {
            let mut resp = response(status, content_type, gz, request_id);
            let h = resp.headers_mut();
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
            resp
        }
        None => response(status, content_type, body, request_id),
    }
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let len = body.len();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(X_AMZ_CRC32, HeaderValue::from(crc));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(X_AMZN_REQUESTID, v);
    }
    resp
}

/// Request ids in DynamoDB's shape (52 characters of A-Z0-9), unique per process: a random
/// per-process prefix and a counter, so making one costs no system call.
struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let uuid = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        RequestIds {
            prefix: uuid[..26].to_string(),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(52);
        id.push_str(&self.prefix);
        // 26 base-36 digits of the counter, zero padded.
        let mut digits = [b'0'; 26];
        let mut v = n;
        for d in digits.iter_mut().rev() {
            let r = (v % 36) as u8;
            *d = if r < 10 { b'0' + r } else { b'A' + r - 10 };
            v /= 36;
            if v == 0 {
                break;
            }
        }
        id.push_str(std::str::from_utf8(&digits).expect("ascii"));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_52_chars_and_distinct() {
        let ids = RequestIds::new();
        let a = ids.next();
        let b = ids.next();
        assert_eq!(a.len(), 52);
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    }
}
