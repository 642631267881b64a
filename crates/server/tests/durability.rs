//! Shutting down: SIGTERM finishes the requests in flight, refuses new connections, flushes
//! and exits 0, and the data is there after a restart. (Acknowledged writes surviving
//! SIGKILL under load: `crash.rs`.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use common::Server;

#[tokio::test]
async fn sigterm_shuts_down_cleanly_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name("clean")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name("clean")
        .item("pk", Av::S("a".into()))
        .send()
        .await
        .unwrap();
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    let server = Server::start_on_disk(dir.path());
    let got = server
        .client()
        .get_item()
        .table_name("clean")
        .key("pk", Av::S("a".into()))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
}

/// Reads from `stream` until `end` has come (or the connection closes); returns all of it.
fn read_until(stream: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(end.len()).any(|w| w == end) {
        let n = stream.read(&mut chunk).expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

#[tokio::test]
async fn sigterm_answers_requests_in_flight_refuses_new_connections_and_exits_0() {
    const IN_FLIGHT: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name("inflight")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // PutItems in flight: each sends its headers with `Expect: 100-continue` and waits for
    // `100 Continue`, which the server sends once its handler has started reading the body.
    // So at the SIGTERM every one of them is a request the server has begun.
    let mut pending = Vec::new();
    for i in 0..IN_FLIGHT {
        let body = format!(r#"{{"TableName":"inflight","Item":{{"pk":{{"S":"k{i}"}}}}}}"#);
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: DynamoDB_20120810.PutItem\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            server.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let interim = read_until(&mut stream, b"\r\n\r\n");
        assert!(
            interim.starts_with(b"HTTP/1.1 100 Continue"),
            "{}",
            String::from_utf8_lossy(&interim)
        );
        pending.push((stream, body));
    }

    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // New connections are refused once the server has seen the signal (they may still be
    // taken for the moment it takes to get there).
    let since = Instant::now();
    loop {
        match TcpStream::connect(server.addr) {
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
                break;
            }
            Ok(_) => {
                assert!(
                    since.elapsed() < Duration::from_secs(60),
                    "the server still takes connections after SIGTERM"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    // Every request in flight gets its answer.
    for (stream, body) in &mut pending {
        stream.write_all(body.as_bytes()).unwrap();
        let answer = read_until(stream, b"}");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "the connection closes after the answer: {text}"
        );
    }
    let status = server.wait();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");

    // And those writes were flushed.
    let server = Server::start_on_disk(dir.path());
    let client = server.client();
    for i in 0..IN_FLIGHT {
        let got = client
            .get_item()
            .table_name("inflight")
            .key("pk", Av::S(format!("k{i}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(got.item.is_some(), "k{i} was answered but not kept");
    }
}
