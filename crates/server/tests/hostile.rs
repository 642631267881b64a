//! Hostile input at the HTTP layer: bodies over DynamoDB's 16 MiB request limit, JSON nested
//! 1 000 levels deep, document paths over 32 levels, invalid UTF-8, a million requests on
//! one kept-alive connection, slow-drip (slowloris) clients, thousands of idle connections.
//! Each gets DynamoDB's error or a closed connection; the server's memory (VmRSS from
//! /proc) stays under a generous bound that a leak would break; and an SDK client running
//! alongside keeps getting answers. No assertion depends on timing: waits are bounded only
//! to turn a hang into a failure.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodb::Client;
use common::{get_by_pk, validation_message, RawResponse, Server};
use serde_json::json;

const AUTH: &str = "Authorization: AWS4-HMAC-SHA256 \
    Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, \
    Signature=abc";

/// The server's resident memory in KiB.
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// The head of a POST of `op` with the given extra header lines (each ending in CRLF).
fn head(addr: SocketAddr, op: &str, extra: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{op}\r\n{AUTH}\r\n{extra}\r\n"
    )
}

/// Parses one HTTP response from the start of `buf`.
fn parse_response(buf: &[u8]) -> RawResponse {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let body = buf[split + 4..split + 4 + len].to_vec();
    RawResponse {
        status,
        headers,
        body,
    }
}

/// Reads until the server closes the connection (or resets it); returns what came.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return buf,
            Err(e) => panic!("the server neither answered nor closed the connection: {e}"),
        }
    }
}

/// A table `tbl` (hash key `pk` S) through raw HTTP.
fn create_table(server: &Server) {
    let body = json!({
        "TableName": "tbl",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    let resp = server.post(Some("CreateTable"), body.to_string().as_bytes());
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
}

/// A normal SDK client doing a put and a get while something else goes on: both must
/// succeed.
async fn normal_client_is_answered(client: &Client, n: usize) {
    let pk = format!("normal-{n}");
    client
        .put_item()
        .table_name("tbl")
        .item("pk", Av::S(pk.clone()))
        .item("n", Av::N(n.to_string()))
        .send()
        .await
        .expect("a normal client's PutItem succeeds");
    let got = client
        .get_item()
        .table_name("tbl")
        .key("pk", Av::S(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("a normal client's GetItem succeeds");
    assert_eq!(got.item.unwrap()["n"], Av::N(n.to_string()));
}

/// Raises this process's soft limit on open files to the hard limit.
fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

#[test]
fn body_declared_over_16_mib_is_refused_with_413_before_it_is_sent() {
    let server = Server::start_in_memory();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    // Headers only: the 100 MiB body is never sent, so an answer proves it was not awaited.
    let request = head(
        server.addr,
        "BatchWriteItem",
        "Content-Length: 104857600\r\n",
    );
    stream.write_all(request.as_bytes()).unwrap();
    let resp = parse_response(&read_until_closed(&mut stream));
    assert_eq!(resp.status, 413);
    assert_eq!(resp.header("connection"), Some("close"));
    assert_eq!(resp.json(), json!({"Message": ""}));
    assert!(resp.header("x-amzn-requestid").is_some());
}

#[test]
fn chunked_body_over_16_mib_is_cut_off_with_413_and_memory_stays_bounded() {
    let server = Server::start_in_memory();
    let before = rss_kib(&server);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let request = head(
        server.addr,
        "BatchWriteItem",
        "Transfer-Encoding: chunked\r\n",
    );
    stream.write_all(request.as_bytes()).unwrap();
    // An endless body, 64 KiB a chunk, until the server stops taking it.
    let mut writer = stream.try_clone().unwrap();
    let sent = std::thread::spawn(move || {
        let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
        let mut sent = 0usize;
        while writer.write_all(chunk.as_bytes()).is_ok() {
            sent += 0x10000;
            if sent > 1 << 30 {
                break;
            }
        }
        sent
    });
    let resp = parse_response(&read_until_closed(&mut stream));
    let sent = sent.join().unwrap();
    assert_eq!(resp.status, 413);
    assert_eq!(resp.header("connection"), Some("close"));
    // The server stopped reading at the limit (plus what the socket buffers hold).
    assert!(sent < 64 << 20, "the server read {sent} bytes");
    let after = rss_kib(&server);
    assert!(
        after < before + 100 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}

#[test]
fn body_of_exactly_16_mib_is_read_and_answered() {
    let server = Server::start_in_memory();
    // ListTables with an unknown member padding the body to the limit exactly.
    let prefix = r#"{"Limit":5,"Padding":""#;
    let pad = (16 << 20) - prefix.len() - 2;
    let body = format!("{prefix}{}\"}}", "a".repeat(pad));
    assert_eq!(body.len(), 16 << 20);
    let resp = server.post(Some("ListTables"), body.as_bytes());
    assert_ne!(resp.status, 413);
    let v = resp.json();
    assert!(
        v.get("TableNames").is_some() || v.get("__type").is_some(),
        "{v}"
    );
}

#[test]
fn deep_json_and_invalid_utf8_get_serialization_or_validation_errors() {
    let server = Server::start_in_memory();
    create_table(&server);
    let nested_item = format!(
        r#"{{"TableName":"tbl","Item":{{"pk":{{"S":"a"}},"x":{}{{"S":"v"}}{}}}}}"#,
        r#"{"M":{"k":"#.repeat(1000),
        "}}".repeat(1000)
    );
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("1000 nested arrays", "[".repeat(1000).into_bytes()),
        (
            "1000 nested arrays in a member",
            format!(r#"{{"TableName":{}"#, "[".repeat(1000)).into_bytes(),
        ),
        (
            "1000 nested objects",
            format!("{}1{}", r#"{"a":"#.repeat(1000), "}".repeat(1000)).into_bytes(),
        ),
        ("an item nested 1000 levels", nested_item.into_bytes()),
        (
            "invalid UTF-8 in a string",
            b"{\"TableName\":\"tbl\",\"Item\":{\"pk\":{\"S\":\"\xc3\x28\"}}}".to_vec(),
        ),
        (
            "invalid UTF-8 in a member name",
            b"{\"TableName\":\"tbl\",\"\xff\xfe\":1}".to_vec(),
        ),
        (
            "a lone surrogate",
            br#"{"TableName":"tbl","Item":{"pk":{"S":"\ud800"}}}"#.to_vec(),
        ),
        ("a bare invalid byte", b"\xff".to_vec()),
    ];
    for op in [
        "PutItem",
        "UpdateItem",
        "Query",
        "BatchWriteItem",
        "TransactWriteItems",
        "CreateTable",
    ] {
        for (what, body) in &bodies {
            let resp = server.post(Some(op), body);
            assert_eq!(
                resp.status,
                400,
                "{op} with {what}: {}",
                String::from_utf8_lossy(&resp.body)
            );
            let kind = resp.error_type();
            assert!(
                kind == "SerializationException" || kind == "ValidationException",
                "{op} with {what}: {kind}"
            );
        }
    }
    // JSON nested deeper than the parser goes is malformed JSON to DynamoDB's front end:
    // SerializationException, no message.
    let resp = server.post(Some("PutItem"), "[".repeat(1000).as_bytes());
    assert_eq!(resp.error_type(), "SerializationException");
    // The server is fine afterwards.
    let resp = server.post(Some("ListTables"), b"{}");
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn document_paths_deeper_than_32_levels_are_validation_errors() {
    let server = Server::start_in_memory();
    create_table(&server);
    let client = server.client();
    // An item 32 levels deep (DynamoDB's limit): x.b.b...b with 31 `.b`.
    let mut value = Av::S("leaf".into());
    for _ in 0..31 {
        value = Av::M([("b".to_string(), value)].into());
    }
    client
        .put_item()
        .table_name("tbl")
        .item("pk", Av::S("deep".into()))
        .item("x", value)
        .send()
        .await
        .unwrap();
    let path = |levels: usize| format!("x{}", ".b".repeat(levels - 1));
    let got = client
        .get_item()
        .table_name("tbl")
        .key("pk", Av::S("deep".into()))
        .projection_expression(path(32))
        .send()
        .await
        .unwrap();
    assert!(got.item.unwrap().contains_key("x"));

    assert_eq!(
        validation_message(
            client
                .get_item()
                .table_name("tbl")
                .key("pk", Av::S("deep".into()))
                .projection_expression(path(33))
                .send()
                .await
        ),
        "Invalid ProjectionExpression: The document path has too many nesting levels; \
             nesting levels: 33"
    );
    assert_eq!(
        validation_message(
            client
                .update_item()
                .table_name("tbl")
                .key("pk", Av::S("deep".into()))
                .update_expression(format!("SET {} = :v", path(40)))
                .expression_attribute_values(":v", Av::N("1".into()))
                .send()
                .await
        ),
        "Invalid UpdateExpression: The document path has too many nesting levels; \
             nesting levels: 40"
    );
    let err = client
        .put_item()
        .table_name("tbl")
        .item("pk", Av::S("deep".into()))
        .condition_expression(format!("attribute_exists({})", path(1000)))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));
}

/// `leaf` inside `wraps` alternating maps and lists: an attribute value `wraps + 1` levels deep.
fn nested_value(wraps: usize, leaf: Av) -> Av {
    (0..wraps).fold(leaf, |v, i| {
        if i % 2 == 0 {
            Av::M([("k".to_string(), v)].into())
        } else {
            Av::L(vec![v])
        }
    })
}

#[tokio::test]
async fn attribute_values_nested_deeper_than_32_levels_are_validation_errors() {
    const NESTING: &str = "Nesting Levels have exceeded supported limits: \
                           Attributes in the item have nested levels beyond supported limit";
    let server = Server::start_in_memory();
    create_table(&server);
    let client = server.client();
    // 32 levels (the attribute's value is level 1) are DynamoDB's limit, accepted; on reading
    // back the item is whole.
    let deepest = nested_value(31, Av::S("leaf".into()));
    client
        .put_item()
        .table_name("tbl")
        .item("pk", Av::S("ok".into()))
        .item("x", deepest.clone())
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name("tbl")
        .key("pk", Av::S("ok".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap().get("x"), Some(&deepest));
    client
        .update_item()
        .table_name("tbl")
        .key("pk", Av::S("ok".into()))
        .update_expression("SET y = :v")
        .expression_attribute_values(":v", nested_value(31, Av::M(Default::default())))
        .send()
        .await
        .unwrap();

    // 33 levels are refused, whatever the leaf, in an item and in an expression value.
    for leaf in [Av::S("leaf".into()), Av::L(vec![])] {
        assert_eq!(
            validation_message(
                client
                    .put_item()
                    .table_name("tbl")
                    .item("pk", Av::S("bad".into()))
                    .item("x", nested_value(32, leaf.clone()))
                    .send()
                    .await
            ),
            NESTING
        );
        assert_eq!(
            validation_message(
                client
                    .update_item()
                    .table_name("tbl")
                    .key("pk", Av::S("ok".into()))
                    .update_expression("SET y = :v")
                    .expression_attribute_values(":v", nested_value(32, leaf))
                    .send()
                    .await
            ),
            NESTING
        );
    }
    let batch = client
        .batch_write_item()
        .request_items(
            "tbl",
            vec![aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .item("pk", Av::S("bad".into()))
                        .item("x", nested_value(40, Av::Null(true)))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(batch.code(), Some("ValidationException"));
    assert_eq!(batch.message(), Some(NESTING));
    // Nothing of the refused writes was stored.
    assert!(get_by_pk(&client, "tbl", "bad").await.is_none());
}

/// How many requests `a_million_requests_on_one_connection` pipelines (by hand:
/// `HOSTILE_REQUESTS=1000000`).
fn pipelined_requests() -> usize {
    std::env::var("HOSTILE_REQUESTS")
        .ok()
        .map(|v| v.parse().expect("HOSTILE_REQUESTS is a number"))
        .unwrap_or(1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_requests_on_one_connection_keep_memory_bounded() {
    let server = Server::start_in_memory();
    create_table(&server);
    let client = server.client();
    normal_client_is_answered(&client, 0).await;
    let before = rss_kib(&server);
    let total = pipelined_requests();

    // Tiny requests, pipelined: a writer thread sends them all, a reader thread counts the
    // answers. Half health checks, half DynamoDB requests without a body.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let host = server.addr;
    let write = std::thread::spawn(move || {
        let get = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let post = head(host, "ListTables", "Content-Length: 2\r\n") + "{}";
        let mut batch = String::new();
        for i in 0..total {
            batch.push_str(if i % 2 == 0 { &get } else { &post });
            if batch.len() > 64 * 1024 || i + 1 == total {
                writer.write_all(batch.as_bytes()).expect("send requests");
                batch.clear();
            }
        }
    });
    let done = Arc::new(AtomicBool::new(false));
    let read_done = Arc::clone(&done);
    let read = std::thread::spawn(move || {
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let needle = b"HTTP/1.1 200 ";
        let (mut answers, mut carry) = (0usize, Vec::new());
        let mut chunk = vec![0u8; 1 << 16];
        while answers < total {
            let n = stream.read(&mut chunk).expect("answers keep coming");
            assert!(n > 0, "the connection closed after {answers} answers");
            carry.extend_from_slice(&chunk[..n]);
            let mut last = 0;
            let mut i = 0;
            while i + needle.len() <= carry.len() {
                if &carry[i..i + needle.len()] == needle {
                    answers += 1;
                    i += needle.len();
                    last = i;
                } else {
                    i += 1;
                }
            }
            // Keep a tail that may hold the start of the next status line.
            let keep = last.max(carry.len().saturating_sub(needle.len()));
            carry.drain(..keep);
        }
        read_done.store(true, Ordering::Relaxed);
        answers
    });

    // Meanwhile a normal client is answered, and the server's memory is sampled.
    let mut peak = before;
    let mut n = 1;
    while !done.load(Ordering::Relaxed) {
        normal_client_is_answered(&client, n).await;
        peak = peak.max(rss_kib(&server));
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    write.join().unwrap();
    assert_eq!(read.join().unwrap(), total);
    let after = rss_kib(&server);
    eprintln!(
        "{total} pipelined requests on one connection: RSS {before} KiB before, peak {peak} KiB, \
         {after} KiB after; {n} normal requests answered meanwhile"
    );
    assert!(
        peak < before + 64 * 1024,
        "RSS grew from {before} KiB to {peak} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_drip_clients_are_disconnected_and_others_unaffected() {
    let server = Server::start(&["--in-memory", "--idle-timeout", "2"], None);
    create_table(&server);
    let client = server.client();
    let addr = server.addr;

    // Slowloris: headers one byte at a time, a byte every 200 ms, never finished.
    // Slow body: complete headers, then a body byte every 200 ms.
    let drip = |body: bool| {
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            let request = if body {
                head(addr, "ListTables", "Content-Length: 1000\r\n")
            } else {
                head(addr, "ListTables", "Content-Length: 2\r\n")
            };
            let (now, rest) = if body {
                (request.as_bytes(), vec![b' '; 1000])
            } else {
                (&request.as_bytes()[..0], request.as_bytes().to_vec())
            };
            stream.write_all(now).unwrap();
            let started = Instant::now();
            for byte in rest {
                if stream.write_all(&[byte]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "the server never cut off a slow client"
                );
                // A closed connection shows as EOF on a non-blocking read.
                stream.set_nonblocking(true).unwrap();
                let mut probe = [0u8; 4096];
                let closed = match stream.read(&mut probe) {
                    Ok(0) => true,
                    Ok(n) => {
                        // An answer: it must be the 408 of a body that came too slowly.
                        let resp = parse_response(&probe[..n]);
                        assert!(body, "an answer to unfinished headers: {resp:?}");
                        assert_eq!(resp.status, 408);
                        assert_eq!(resp.header("connection"), Some("close"));
                        true
                    }
                    Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                };
                stream.set_nonblocking(false).unwrap();
                if closed {
                    return;
                }
            }
        })
    };
    let drippers: Vec<_> = (0..20).map(|i| drip(i % 2 == 1)).collect();
    let mut n = 0;
    while drippers.iter().any(|d| !d.is_finished()) {
        normal_client_is_answered(&client, n).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for d in drippers {
        d.join().expect("each slow client is cut off");
    }
    assert!(n > 0);
    normal_client_is_answered(&client, n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_connections_are_held_then_closed_and_others_unaffected() {
    const IDLE: usize = 2_000;
    let limit = raise_open_files_limit();
    assert!(
        limit > IDLE as u64 + 200,
        "this test needs {IDLE} sockets; the open files limit is {limit}"
    );
    let server = Server::start(&["--in-memory", "--idle-timeout", "20"], None);
    create_table(&server);
    let client = server.client();
    normal_client_is_answered(&client, 0).await;
    let before = rss_kib(&server);

    // Half of them make one request and then stay open (kept alive); half send nothing.
    let mut idle: Vec<TcpStream> = (0..IDLE)
        .map(|i| {
            let mut stream = TcpStream::connect(server.addr).expect("connect an idle client");
            if i % 2 == 0 {
                let request = format!("GET / HTTP/1.1\r\nHost: {i}\r\n\r\n");
                stream.write_all(request.as_bytes()).unwrap();
            }
            stream
        })
        .collect();
    for stream in idle.iter_mut().step_by(2) {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    for n in 1..20 {
        normal_client_is_answered(&client, n).await;
    }
    let held = rss_kib(&server);
    let descriptors =
        std::fs::read_dir(format!("/proc/{}/fd", server.pid())).map_or(0, |d| d.count());
    eprintln!(
        "{IDLE} idle connections: RSS {before} KiB before, {held} KiB while held \
         ({descriptors} open descriptors in the server)"
    );
    assert!(
        held < before + 200 * 1024,
        "RSS grew from {before} KiB to {held} KiB"
    );

    // The idle timeout closes every one of them.
    for stream in &mut idle {
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut buf = [0u8; 64];
        match stream.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("an idle connection was not closed: {other:?}"),
        }
    }
    normal_client_is_answered(&client, 99).await;
}
