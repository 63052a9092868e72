//! The server survives garbage, concurrency and large uploads.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{curl, jq, tools_available};
use runbook_sandbox::{FakeApi, FakeApiConfig};

fn raw_exchange(api: &FakeApi, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", api.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn malformed_requests_get_400_and_the_server_keeps_serving() {
    let api = FakeApi::start(FakeApiConfig::default());
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
        b"GET /health\r\n\r\n",
        b"GET /health HTTP/1.1\r\nbroken header\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    ] {
        let response = raw_exchange(&api, garbage);
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request"),
            "{response:?} for {garbage:?}"
        );
    }
    let oversized = raw_exchange(
        &api,
        b"POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n",
    );
    assert!(oversized.starts_with("HTTP/1.1 413"), "{oversized}");
    // Connecting and leaving without a byte must not disturb anything either.
    drop(TcpStream::connect(("127.0.0.1", api.port())).expect("connect"));

    let response = raw_exchange(&api, b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.ends_with("{\n  \"ready\": true\n}\n"),
        "{response}"
    );
    assert_eq!(
        api.requests().len(),
        1,
        "garbage is not recorded as requests"
    );
}

#[test]
fn concurrent_clients_are_all_answered() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig::default());
    let base = api.base_url();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let base = base.clone();
                scope.spawn(move || {
                    for round in 0..3 {
                        let answer = curl(&[
                            "-X",
                            "POST",
                            &format!("{base}/mcp"),
                            "-H",
                            "Authorization: Bearer t",
                            "-d",
                            &format!(
                                r#"{{"jsonrpc":"2.0","method":"ping","id":{}}}"#,
                                worker * 10 + round
                            ),
                        ]);
                        assert_eq!(answer.status, 200);
                        assert_eq!(
                            jq(&[".id"], &answer.body),
                            (worker * 10 + round).to_string()
                        );
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("worker finished");
        }
    });
    assert_eq!(api.requests().len(), 24);
}

#[test]
fn large_uploads_with_expect_continue_and_chunking_arrive_whole() {
    if !tools_available(&["curl", "jq"]) {
        return;
    }
    let api = FakeApi::start(FakeApiConfig::default());
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("big.sql");
    let line = "INSERT INTO memories VALUES('0123456789abcdef0123456789abcdef');\n";
    let body = line.repeat(40_000);
    std::fs::write(&dump, &body).expect("write dump");
    let restore = format!("{}/restore", api.base_url());
    let upload = format!("@{}", dump.display());

    // curl sends `Expect: 100-continue` for bodies over 1 MiB.
    let sent = curl(&[
        "-X",
        "POST",
        &restore,
        "-H",
        "Authorization: Bearer t",
        "--data-binary",
        &upload,
    ]);
    assert_eq!(sent.status, 200);
    assert_eq!(
        jq(&["-c", "[.bytes, .statements]"], &sent.body),
        format!("[{},40000]", body.len())
    );

    let chunked = curl(&[
        "-X",
        "POST",
        &restore,
        "-H",
        "Authorization: Bearer t",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &upload,
    ]);
    assert_eq!(chunked.status, 200);
    assert_eq!(jq(&[".bytes"], &chunked.body), body.len().to_string());
    let recorded = api.requests();
    assert_eq!(recorded.len(), 2);
    assert!(
        recorded
            .iter()
            .all(|request| request.body == body.as_bytes())
    );
}

#[test]
fn dropping_the_api_frees_the_port() {
    let api = FakeApi::start(FakeApiConfig::default());
    let port = api.port();
    drop(api);
    // A process forked by a parallel test may hold the listening socket until it
    // execs (close-on-exec), so the port is released "soon", not necessarily at once.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "port {port} still accepts"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
