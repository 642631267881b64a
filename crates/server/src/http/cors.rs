//! CORS, as DynamoDB's endpoint answers browsers, so that the AWS SDK for JavaScript works from
//! a web page: an `OPTIONS` preflight on any path is answered 200 with the origin allowed
//! (`*`: requests are signed, no cookies), the requested headers echoed and a two-day
//! `Access-Control-Max-Age`; every other answer to a request with an `Origin` allows the
//! origin and exposes the headers the SDK reads.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, CONTENT_LENGTH,
};
use hyper::{HeaderMap, Response, StatusCode};

const ANY_ORIGIN: HeaderValue = HeaderValue::from_static("*");
const METHODS: HeaderValue = HeaderValue::from_static("GET, POST, OPTIONS");
/// 48 hours, what AWS's JSON endpoints send.
const MAX_AGE: HeaderValue = HeaderValue::from_static("172800");
/// The headers the JavaScript SDK reads: the request id, the error type and message, the
/// server's clock (for clock skew), and the CRC32 it checks the body against.
const EXPOSE: HeaderValue = HeaderValue::from_static(
    "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-crc32, Date",
);
/// A gzip answer's `x-amz-crc32` is over the compressed bytes, and the browser hands the
/// script the decompressed body: the script must not see that CRC, or the SDK's check
/// fails (which is also why AWS does not expose it).
const EXPOSE_GZIPPED: HeaderValue =
    HeaderValue::from_static("x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date");

/// The answer to an `OPTIONS` request (a browser's preflight), whatever its path.
pub fn preflight(
    request: &HeaderMap,
    request_id_header: HeaderName,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
    h.insert(ACCESS_CONTROL_ALLOW_METHODS, METHODS);
    if let Some(asked) = request.get(ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(ACCESS_CONTROL_MAX_AGE, MAX_AGE);
    h.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(request_id_header, v);
    }
    resp
}

/// Adds the CORS headers of an answer to a request that had an `Origin`.
pub fn add_answer_headers(h: &mut HeaderMap, gzipped: bool) {
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
    h.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        if gzipped { EXPOSE_GZIPPED } else { EXPOSE },
    );
}
