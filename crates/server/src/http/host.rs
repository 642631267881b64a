//! The host a client addressed: what the health check and DescribeEndpoints answer with.
//!
//! DynamoDB names the endpoint the client reached (`healthy: dynamodb.us-east-1.amazonaws.com `,
//! DescribeEndpoints' `Address`). ferrodyn has no fixed name: it is reached as `localhost:8000`,
//! a container's name, a load balancer's, so it names the host from the request.

use hyper::header::HOST;
use hyper::{HeaderMap, Uri};

/// The longest host taken (a DNS name is at most 253 characters; the port comes on top).
const MAX_HOST_LEN: usize = 261;

/// The host (and port, if given) the client addressed: the HTTP/2 authority, else the `Host`
/// header. None when the request names none, or names something that is not a plain
/// `host[:port]` (the answer repeats it, so nothing else is echoed).
pub(super) fn client_host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    let host = match uri.authority() {
        Some(authority) => authority.as_str(),
        None => headers.get(HOST)?.to_str().ok()?,
    };
    plain_host(host).then_some(host)
}

/// A name, an IPv4 address or a bracketed IPv6 address, with an optional port: letters,
/// digits and `.-_:[]` only (no user info, path, space or control character).
fn plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= MAX_HOST_LEN
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn host_of(uri: &str, host: Option<&str>) -> Option<String> {
        let uri: Uri = uri.parse().unwrap();
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(HOST, HeaderValue::from_str(h).unwrap());
        }
        client_host(&uri, &headers).map(str::to_owned)
    }

    #[test]
    fn the_host_header_names_the_host() {
        assert_eq!(
            host_of("/", Some("localhost:8000")).as_deref(),
            Some("localhost:8000")
        );
        assert_eq!(
            host_of("/", Some("dynamodb.us-east-1.amazonaws.com")).as_deref(),
            Some("dynamodb.us-east-1.amazonaws.com")
        );
        assert_eq!(
            host_of("/", Some("[::1]:8000")).as_deref(),
            Some("[::1]:8000")
        );
        assert_eq!(
            host_of("/", Some("127.0.0.1")).as_deref(),
            Some("127.0.0.1")
        );
    }

    #[test]
    fn an_http2_authority_comes_first() {
        assert_eq!(
            host_of("http://db.internal:8000/", Some("other")).as_deref(),
            Some("db.internal:8000")
        );
    }

    #[test]
    fn no_host_or_anything_but_a_plain_host_is_none() {
        assert_eq!(host_of("/", None), None);
        assert_eq!(host_of("/", Some("")), None);
        assert_eq!(host_of("/", Some("a b")), None);
        assert_eq!(host_of("/", Some("user@host")), None);
        assert_eq!(host_of("/", Some("host/path")), None);
        assert_eq!(host_of("/", Some("<script>")), None);
        assert_eq!(host_of("/", Some(&"a".repeat(262))), None);
        assert_eq!(host_of("/", Some(&"a".repeat(261))), Some("a".repeat(261)));
    }
}
