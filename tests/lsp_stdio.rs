//! `annot lsp` as a process: the frames on stdin and stdout, bad frames
//! included. (The requests themselves are tested in process, in lsp.rs.)

mod common;

use common::Ws;
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn message(value: Value) -> Vec<u8> {
    frame(&value.to_string())
}

/// Every message on `stdout`, which must hold nothing but frames.
fn frames(stdout: &[u8]) -> Vec<Value> {
    let mut rest = stdout;
    let mut messages = Vec::new();
    while !rest.is_empty() {
        let text = std::str::from_utf8(rest).expect("stdout is UTF-8");
        let header_end = text
            .find("\r\n\r\n")
            .unwrap_or_else(|| panic!("stdout holds text that is not a frame: {text:?}"));
        let header = &text[..header_end];
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .unwrap_or_else(|| panic!("a frame without Content-Length: {header:?}"))
            .parse()
            .unwrap();
        let body = &rest[header_end + 4..header_end + 4 + length];
        messages.push(serde_json::from_slice(body).expect("every body is JSON"));
        rest = &rest[header_end + 4 + length..];
    }
    messages
}

/// Feeds `input` to `annot lsp` in `ws` and returns its exit status, the
/// messages it wrote and its stderr.
fn serve(ws: &Ws, input: &[u8]) -> (i32, Vec<Value>, String) {
    let mut child = ws
        .command(&["lsp"], &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        frames(&output.stdout),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn initialize(ws: &Ws) -> Vec<u8> {
    let root = lsp_types::Url::from_file_path(ws.path()).unwrap();
    message(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": null, "rootUri": root.as_str(), "capabilities": {}}}))
}

fn answer_to(messages: &[Value], id: Value) -> &Value {
    messages
        .iter()
        .find(|m| m.get("id") == Some(&id) && m.get("method").is_none())
        .unwrap_or_else(|| panic!("no answer to {id} in {messages:#?}"))
}

#[test]
fn bad_frames_are_answered_and_the_server_goes_on() {
    let ws = Ws::new();
    let mut input = initialize(&ws);
    input.extend(message(
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    ));
    input.extend(frame("{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": "));
    input.extend(frame("[]"));
    input.extend(b"Content-Length: twelve\r\n\r\n");
    input.extend(message(
        json!({"jsonrpc": "2.0", "id": 4294967296_i64, "method": "shutdown"}),
    ));
    input.extend(message(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": 5}),
    ));
    input.extend(message(
        json!({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
    ));
    input.extend(message(json!({"jsonrpc": "2.0", "method": "exit"})));
    let (status, messages, stderr) = serve(&ws, &input);
    assert_eq!(status, 0, "exit after shutdown; stderr:\n{stderr}");
    assert!(answer_to(&messages, json!(1))["result"]["capabilities"].is_object());
    let refusals: Vec<(i64, Value)> = messages
        .iter()
        .filter_map(|m| Some((m["error"]["code"].as_i64()?, m["id"].clone())))
        .collect();
    assert_eq!(
        refusals,
        [
            (-32700, Value::Null),
            (-32600, Value::Null),
            (-32600, Value::Null),
            (-32600, json!(3)),
        ],
        "{messages:#?}"
    );
    assert!(answer_to(&messages, json!(4))["result"].is_null());
    assert!(
        stderr.contains(
            "annot lsp: a `Content-Length` that is not a byte count: \"twelve\"; skipped it"
        ),
        "{stderr}"
    );
}

#[test]
fn the_end_of_stdin_without_exit_ends_the_server_with_status_1() {
    let ws = Ws::new();
    let (status, messages, _) = serve(&ws, &initialize(&ws));
    assert_eq!(status, 1);
    assert!(answer_to(&messages, json!(1))["result"]["capabilities"].is_object());
}
