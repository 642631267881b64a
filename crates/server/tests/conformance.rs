//! Runs the Python conformance suite (`conformance/`, written against DynamoDB's documented
//! answers and checked against Amazon's DynamoDB Local) against a real ferrodyn server.

mod common;

use std::process::Command;

use common::Server;

#[test]
fn python_conformance_suite_passes() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance");
    let server = Server::start_in_memory();
    let output = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", root])
        .env("FERRODYN_ENDPOINT", server.endpoint())
        .env("CONFORMANCE_TARGET", "ferrodyn")
        .output()
        .expect(
            "run python3 (install the suite's needs: pip install -r conformance/requirements.txt)",
        );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "conformance suite failed (exit {:?}); see output above",
        output.status.code()
    );
}
