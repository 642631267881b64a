//! The ceiling for `ferrodyn bench`: an HTTP server on the same stack as ferrodyn (hyper and
//! tokio, keep-alive, no Nagle) that reads each request and answers every one with the same
//! GetItem-shaped body of a 1 KB item, doing no other work. What the load generator gets
//! from it on a machine bounds what any server can show on that machine with this client.
//!
//! ```sh
//! cargo run --release -p ferrodyn-bench --example fixed_answer -- 8799 &
//! ferrodyn bench --endpoint http://127.0.0.1:8799 -w get --skip-setup
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{server::conn::http1, service::service_fn, Request, Response};
use hyper_util::rt::TokioIo;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8799);
    let item = format!(
        r#"{{"Item":{{"pk":{{"S":"k0000000001"}},"sk":{{"N":"0"}},"data":{{"S":"{}"}}}}}}"#,
        "x".repeat(1003)
    );
    let body = Bytes::from(item);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    println!("fixed answer on 127.0.0.1:{port}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let body = body.clone();
                async move {
                    let _ = req.into_body().collect().await;
                    let mut resp = Response::new(Full::new(body));
                    let h = resp.headers_mut();
                    h.insert(
                        hyper::header::CONTENT_TYPE,
                        "application/x-amz-json-1.0".parse().expect("header"),
                    );
                    h.insert(
                        "x-amzn-requestid",
                        "0000000000000000000000000000000000000000000000000000"
                            .parse()
                            .expect("header"),
                    );
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
