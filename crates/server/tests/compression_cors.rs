//! Compressed requests and answers (`Content-Encoding` / `Accept-Encoding`, with `x-amz-crc32`
//! over the bytes on the wire) and CORS for browsers, over raw HTTP.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{RawResponse, Server};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::{json, Value};

/// The server's request size limit (http::MAX_BODY_BYTES).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// POSTs a DynamoDB request with the usual headers plus `extra`.
fn send(server: &Server, op: &str, extra: &[(&str, &str)], body: &[u8]) -> RawResponse {
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\n\
         X-Amz-Target: DynamoDB_20120810.{op}\r\nContent-Length: {}\r\nConnection: close\r\n",
        server.addr,
        body.len()
    );
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    server.raw(&bytes)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn shown(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body[..r.body.len().min(400)]).into_owned()
}

/// The answer carries a correct x-amz-crc32 and Content-Length for the bytes received.
fn assert_wire_crc(r: &RawResponse) {
    let crc: u32 = r
        .header("x-amz-crc32")
        .expect("x-amz-crc32")
        .parse()
        .unwrap();
    assert_eq!(crc, crc32fast::hash(&r.body), "crc32 of the bytes sent");
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    assert_eq!(len, r.body.len());
}

fn create_table_body(name: &str) -> Value {
    json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    })
}

/// A table holding item `big` whose attribute `v` is `len` repeated characters.
fn table_with_big_item(server: &Server, len: usize) -> String {
    let table = common::table_name("gz");
    common::ok(server, "CreateTable", create_table_body(&table));
    let item = json!({"TableName": table, "Item": {"pk": {"S": "big"}, "v": {"S": "abcd".repeat(len / 4)}}});
    common::ok(server, "PutItem", item);
    table
}

#[test]
fn gzip_request_bodies_are_decoded() {
    let server = Server::start_in_memory();
    let table = common::table_name("gzreq");
    let gz = [("Content-Encoding", "gzip")];

    let r = send(
        &server,
        "CreateTable",
        &gz,
        &gzip(create_table_body(&table).to_string().as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", shown(&r));
    assert_eq!(r.json()["TableDescription"]["TableName"], table.as_str());

    let put = json!({"TableName": table, "Item": {"pk": {"S": "a"}, "n": {"N": "42"}}});
    let r = send(&server, "PutItem", &gz, &gzip(put.to_string().as_bytes()));
    assert_eq!(r.status, 200, "{}", shown(&r));

    let get = json!({"TableName": table, "Key": {"pk": {"S": "a"}}, "ConsistentRead": true});
    let r = send(&server, "GetItem", &gz, &gzip(get.to_string().as_bytes()));
    assert_eq!(r.status, 200, "{}", shown(&r));
    assert_eq!(
        r.json(),
        json!({"Item": {"pk": {"S": "a"}, "n": {"N": "42"}}})
    );
    // No Accept-Encoding: the answer is plain, whatever the request's coding.
    assert_eq!(r.header("content-encoding"), None);
    assert_wire_crc(&r);

    // The coding's name is case-insensitive, x-gzip is gzip, and identity is nothing.
    for coding in ["GZIP", "x-gzip", "identity, gzip"] {
        let r = send(
            &server,
            "GetItem",
            &[("Content-Encoding", coding)],
            &gzip(get.to_string().as_bytes()),
        );
        assert_eq!(r.status, 200, "{coding}: {}", shown(&r));
        assert_eq!(r.json()["Item"]["n"], json!({"N": "42"}), "{coding}");
    }
    let r = send(
        &server,
        "GetItem",
        &[("Content-Encoding", "identity")],
        get.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", shown(&r));
    assert_eq!(r.json()["Item"]["n"], json!({"N": "42"}));
}

#[test]
fn deflate_request_bodies_are_decoded_zlib_or_raw() {
    let server = Server::start_in_memory();
    let table = common::table_name("deflate");
    common::ok(&server, "CreateTable", create_table_body(&table));
    let deflate = [("Content-Encoding", "deflate")];

    // HTTP's deflate: the zlib format.
    let put = json!({"TableName": table, "Item": {"pk": {"S": "zlib"}}});
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(put.to_string().as_bytes()).unwrap();
    let r = send(&server, "PutItem", &deflate, &e.finish().unwrap());
    assert_eq!(r.status, 200, "{}", shown(&r));

    // What some clients send instead: a raw deflate stream.
    let put = json!({"TableName": table, "Item": {"pk": {"S": "raw"}}});
    let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
    e.write_all(put.to_string().as_bytes()).unwrap();
    let r = send(&server, "PutItem", &deflate, &e.finish().unwrap());
    assert_eq!(r.status, 200, "{}", shown(&r));

    for pk in ["zlib", "raw"] {
        let got = common::ok(
            &server,
            "GetItem",
            json!({"TableName": table, "Key": {"pk": {"S": pk}}, "ConsistentRead": true}),
        );
        assert_eq!(got, json!({"Item": {"pk": {"S": pk}}}));
    }
}

#[test]
fn broken_or_unknown_codings_are_refused_with_json_errors() {
    let server = Server::start_in_memory();
    let table = common::table_name("badgz");
    common::ok(&server, "CreateTable", create_table_body(&table));
    let put = json!({"TableName": table, "Item": {"pk": {"S": "never"}}}).to_string();
    let good = gzip(put.as_bytes());
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0x55; // the gzip trailer's CRC32

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("gzip", put.clone().into_bytes()),        // not compressed at all
        ("gzip", good[..good.len() / 2].to_vec()), // cut short
        ("gzip", bad_crc),
        ("deflate", b"\xff\xfe not deflate".to_vec()),
    ];
    for (coding, body) in cases {
        let r = send(&server, "PutItem", &[("Content-Encoding", coding)], &body);
        assert_eq!(r.status, 400, "{coding}: {}", shown(&r));
        assert_eq!(r.error_type(), "SerializationException", "{}", shown(&r));
        assert_eq!(
            r.json()["__type"],
            "com.amazon.coral.service#SerializationException"
        );
        let message = r.message().unwrap();
        assert!(
            message.starts_with(&format!(
                "Request body could not be decoded (Content-Encoding: {coding})"
            )),
            "{message}"
        );
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
        assert_wire_crc(&r);
    }

    // A coding the server does not know: 415, with DynamoDB's JSON error body.
    for coding in ["br", "zstd", "gzip, gzip"] {
        let r = send(&server, "PutItem", &[("Content-Encoding", coding)], &good);
        assert_eq!(r.status, 415, "{coding}: {}", shown(&r));
        assert_eq!(r.error_type(), "SerializationException");
        assert_eq!(
            r.message().as_deref(),
            Some(
                format!(
                    "Unsupported Content-Encoding: {coding} (supported: gzip, deflate, identity)"
                )
                .as_str()
            )
        );
        assert_wire_crc(&r);
    }

    // None of them stored anything, and the server works.
    let got = common::ok(
        &server,
        "GetItem",
        json!({"TableName": table, "Key": {"pk": {"S": "never"}}, "ConsistentRead": true}),
    );
    assert_eq!(got, json!({}));
}

/// Peak resident memory of a process (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_zip_bomb_is_refused_quickly_with_bounded_memory() {
    let server = Server::start_in_memory();
    // 100 MiB of zeros: about 100 KB on the wire.
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..100 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());

    // Warm the server up so the peak before is its working size.
    assert_eq!(server.post(Some("ListTables"), b"{}").status, 200);
    let before = peak_rss(server.pid());
    let started = Instant::now();
    let r = send(&server, "PutItem", &[("Content-Encoding", "gzip")], &bomb);
    let took = started.elapsed();
    assert_eq!(r.status, 413, "{}", shown(&r));
    assert_eq!(r.error_type(), "SerializationException");
    assert_eq!(
        r.message().as_deref(),
        Some("Request body is larger than 16777216 bytes once decoded (Content-Encoding: gzip)")
    );
    assert_wire_crc(&r);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The bomb is measured, not kept: it costs less memory than even the 16 MiB limit,
    // let alone its 100 MiB.
    let grew = peak_rss(server.pid()).saturating_sub(before);
    assert!(grew < 16 * 1024 * 1024, "peak memory grew by {grew} bytes");

    // The same bomb as deflate.
    let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
    for _ in 0..100 {
        e.write_all(&zeros).unwrap();
    }
    let r = send(
        &server,
        "PutItem",
        &[("Content-Encoding", "deflate")],
        &e.finish().unwrap(),
    );
    assert_eq!(r.status, 413, "{}", shown(&r));
    assert_eq!(r.error_type(), "SerializationException");

    // The server is fine afterwards.
    assert_eq!(server.post(Some("ListTables"), b"{}").status, 200);
}

#[test]
fn the_decoded_size_limit_is_exactly_the_request_limit() {
    let server = Server::start_in_memory();
    // `{}` padded with spaces to exactly the limit is a valid ListTables request.
    let mut body = vec![b' '; MAX_BODY_BYTES];
    body[0] = b'{';
    body[MAX_BODY_BYTES - 1] = b'}';
    let r = send(
        &server,
        "ListTables",
        &[("Content-Encoding", "gzip")],
        &gzip(&body),
    );
    assert_eq!(r.status, 200, "{}", shown(&r));
    assert_eq!(r.json(), json!({"TableNames": []}));

    body.insert(1, b' ');
    let r = send(
        &server,
        "ListTables",
        &[("Content-Encoding", "gzip")],
        &gzip(&body),
    );
    assert_eq!(r.status, 413, "{}", shown(&r));
    assert_eq!(r.error_type(), "SerializationException");
}

#[test]
fn large_answers_are_gzipped_when_asked_with_the_crc_over_the_compressed_bytes() {
    let server = Server::start_in_memory();
    let table = table_with_big_item(&server, 50_000);
    let get = json!({"TableName": table, "Key": {"pk": {"S": "big"}}, "ConsistentRead": true})
        .to_string();

    let plain = send(&server, "GetItem", &[], get.as_bytes());
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_wire_crc(&plain);

    for accept in ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"] {
        let r = send(
            &server,
            "GetItem",
            &[("Accept-Encoding", accept)],
            get.as_bytes(),
        );
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{accept}");
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
        assert!(r.header("x-amzn-requestid").is_some());
        // What the Go and Java SDKs check: the CRC32 of the bytes received, compressed.
        assert_wire_crc(&r);
        assert!(
            r.body.len() * 10 < plain.body.len(),
            "{} bytes",
            r.body.len()
        );
        let decoded = gunzip(&r.body);
        assert_ne!(
            crc32fast::hash(&decoded),
            crc32fast::hash(&r.body),
            "the crc is not the plain body's"
        );
        let value: Value = serde_json::from_slice(&decoded).expect("JSON");
        assert_eq!(value, plain.json(), "{accept}");
    }

    // Error answers are compressed too when large enough; a small error is not.
    let r = send(
        &server,
        "GetItem",
        &[("Accept-Encoding", "gzip")],
        br#"{"TableName":"nope","Key":{"pk":{"S":"a"}}}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.error_type(), "ResourceNotFoundException");
}

#[test]
fn answers_are_plain_unless_gzip_is_asked_for_and_worth_it() {
    let server = Server::start_in_memory();
    let table = table_with_big_item(&server, 20_000);
    let get = json!({"TableName": table, "Key": {"pk": {"S": "big"}}}).to_string();
    for accept in [
        None,
        Some("identity"),
        Some("br, deflate"),
        Some("gzip;q=0"),
        Some("*, gzip;q=0"),
    ] {
        let extra: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept-Encoding", *a)).collect();
        let r = send(&server, "GetItem", &extra, get.as_bytes());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), None, "{accept:?}");
        assert_eq!(r.header("vary"), None, "{accept:?}");
        assert_wire_crc(&r);
        assert_eq!(r.json()["Item"]["pk"], json!({"S": "big"}));
    }
    // Small answers are sent as they are, even when gzip is welcome.
    let r = send(&server, "ListTables", &[("Accept-Encoding", "gzip")], b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);
    assert_wire_crc(&r);
    assert_eq!(r.json()["TableNames"], json!([table]));
}

#[tokio::test]
async fn the_sdk_works_with_large_answers() {
    // Whatever the Rust SDK sends as Accept-Encoding, its checks must pass on what it gets.
    let server = Server::start_in_memory();
    let table = table_with_big_item(&server, 100_000);
    let client = server.client();
    let item = common::get_by_pk(&client, &table, "big")
        .await
        .expect("item");
    assert_eq!(item["v"].as_s().unwrap().len(), 100_000);
}

#[test]
fn options_preflight_is_answered_on_any_path() {
    let server = Server::start_in_memory();
    for path in ["/", "/some/path?x=1"] {
        let req = format!(
            "OPTIONS {path} HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:3000\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent\r\n\
             Connection: close\r\n\r\n",
            server.addr
        );
        let r = server.raw(req.as_bytes());
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let methods = r.header("access-control-allow-methods").unwrap();
        for m in ["GET", "POST", "OPTIONS"] {
            assert!(methods.split(", ").any(|x| x == m), "{methods}");
        }
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent")
        );
        assert_eq!(r.header("access-control-max-age"), Some("172800"));
        assert_eq!(r.header("content-length"), Some("0"));
        assert!(r.body.is_empty());
        assert_eq!(r.header("x-amzn-requestid").map(str::len), Some(52));
    }
    // Nothing asked: no headers echoed.
    let req = format!(
        "OPTIONS / HTTP/1.1\r\nHost: {}\r\nOrigin: https://example.com\r\n\
         Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let r = server.raw(req.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-headers"), None);
}

fn exposed(r: &RawResponse) -> Vec<String> {
    r.header("access-control-expose-headers")
        .expect("access-control-expose-headers")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

#[test]
fn answers_to_browsers_allow_the_origin_and_expose_the_sdks_headers() {
    let server = Server::start_in_memory();
    let origin = [("Origin", "http://localhost:3000")];

    let r = send(&server, "ListTables", &origin, b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let expose = exposed(&r);
    for h in [
        "x-amzn-requestid",
        "x-amz-crc32",
        "x-amzn-errortype",
        "date",
    ] {
        assert!(expose.iter().any(|e| e == h), "{h} in {expose:?}");
    }
    // The exposed headers are there to read.
    assert!(r.header("x-amzn-requestid").is_some());
    assert!(r.header("date").is_some());
    assert_wire_crc(&r);

    // Error answers too (the SDK reads their type).
    let r = send(
        &server,
        "DescribeTable",
        &origin,
        br#"{"TableName":"nope"}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(exposed(&r).iter().any(|e| e == "x-amzn-requestid"));
    assert_eq!(r.error_type(), "ResourceNotFoundException");

    // A gzip answer's CRC is over bytes the page never sees (the browser decompresses):
    // it is not exposed, so the SDK does not check the decompressed body against it.
    let table = table_with_big_item(&server, 20_000);
    let get = json!({"TableName": table, "Key": {"pk": {"S": "big"}}}).to_string();
    let r = send(
        &server,
        "GetItem",
        &[
            ("Origin", "http://localhost:3000"),
            ("Accept-Encoding", "gzip, deflate, br"),
        ],
        get.as_bytes(),
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let expose = exposed(&r);
    assert!(expose.iter().any(|e| e == "x-amzn-requestid"), "{expose:?}");
    assert!(!expose.iter().any(|e| e == "x-amz-crc32"), "{expose:?}");

    // The health check answers a browser too.
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:3000\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let r = server.raw(req.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    // No Origin, no CORS headers.
    let r = send(&server, "ListTables", &[], b"{}");
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-expose-headers"), None);
}
