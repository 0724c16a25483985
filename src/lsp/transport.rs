//! The stdio transport: `Content-Length` framed JSON-RPC on stdin and
//! stdout.
//!
//! `lsp-server` has one, but its reader thread ends at the first frame it
//! cannot read (a body that is not JSON, a request id it cannot hold), and
//! with it the server. Here a bad frame is answered the way JSON-RPC says
//! (`-32700` for a body that is not JSON, `-32600` for JSON that is not a
//! message), logged on stderr, and reading goes on with the next frame.
//! Only the framing is ours: the messages are `lsp-server`'s, so the rest
//! of the server cannot tell this transport from its in-memory one.

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Connection, Message};
use serde_json::{json, Value};
use std::io::{self, BufRead, Read, Write};
use std::thread::{self, JoinHandle};

/// The largest message body read; a larger one is skipped and answered
/// with an error. Twice the largest annotation file the loader reads, so a
/// whole-buffer edit of such a file, escaped as JSON, still fits.
pub const MAX_BODY_BYTES: usize = 2 * crate::yaml::MAX_FILE_BYTES;

/// The longest header line kept; longer ones are read to their end and
/// reported as malformed.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// The threads that move messages between stdio and the connection.
pub struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl IoThreads {
    /// Waits for the writer to write out what the server sent (it ends
    /// when the connection is dropped) and, with `reader`, for the reader
    /// (it ends at `exit` or the end of stdin).
    pub fn join(self, reader: bool) {
        let _ = self.writer.join();
        if reader {
            let _ = self.reader.join();
        }
    }
}

/// A connection over this process's stdin and stdout.
pub fn stdio() -> (Connection, IoThreads) {
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (refusals, refused) = crossbeam_channel::unbounded::<Value>();
    let writer = thread::Builder::new()
        .name("annot-lsp-writer".to_string())
        .spawn(move || {
            let stdout = io::stdout();
            let _ = write_frames(&mut stdout.lock(), &from_server, refused);
        })
        .expect("the writer thread starts");
    let reader = thread::Builder::new()
        .name("annot-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            read_frames(&mut stdin.lock(), &to_server, &refusals, &mut |line| {
                eprintln!("annot lsp: {line}");
            });
        })
        .expect("the reader thread starts");
    let connection = Connection {
        sender: to_client,
        receiver: from_client,
    };
    (connection, IoThreads { reader, writer })
}

/// Writes the server's messages, and the reader's answers to frames it
/// could not read, until the server drops its side.
pub fn write_frames(
    out: &mut impl Write,
    messages: &Receiver<Message>,
    mut refused: Receiver<Value>,
) -> io::Result<()> {
    loop {
        crossbeam_channel::select! {
            recv(messages) -> message => match message {
                Ok(message) => message.write(out)?,
                Err(_) => {
                    // The server is done; what the reader refused before
                    // it ended still goes out.
                    for answer in refused.try_iter() {
                        write_frame(out, &answer)?;
                    }
                    return Ok(());
                }
            },
            recv(refused) -> answer => match answer {
                Ok(answer) => write_frame(out, &answer)?,
                // The reader has ended; only the server's messages remain.
                Err(_) => refused = crossbeam_channel::never(),
            },
        }
    }
}

fn write_frame(out: &mut impl Write, value: &Value) -> io::Result<()> {
    let body = value.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// Reads frames from `input` until its end or until `exit`: each message
/// goes to `to_server`; each frame that is not a message gets its
/// JSON-RPC error answer on `refusals` and a line in `log`.
pub fn read_frames(
    input: &mut impl BufRead,
    to_server: &Sender<Message>,
    refusals: &Sender<Value>,
    log: &mut dyn FnMut(&str),
) {
    loop {
        let body = match read_frame(input) {
            Ok(Frame::Body(body, skipped)) => {
                if let Some(why) = skipped {
                    log(&format!("{why} before a message; skipped it"));
                }
                body
            }
            Ok(Frame::Unframed(why)) => {
                log(&format!("{why}; skipped it"));
                continue;
            }
            Ok(Frame::TooLarge(size)) => {
                let why = format!(
                    "a message of {size} bytes is over the limit of {MAX_BODY_BYTES} bytes; it was skipped"
                );
                log(&why);
                let _ = refusals.send(refusal(Value::Null, -32600, &why));
                continue;
            }
            Ok(Frame::End) => return,
            Err(err) => {
                log(&format!("stopped reading stdin: {err}"));
                return;
            }
        };
        match message(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_server.send(message).is_err() || exit {
                    return;
                }
            }
            Err((id, code, why)) => {
                log(&why);
                // A response from the client is never answered.
                if code != 0 {
                    let _ = refusals.send(refusal(id, code, &why));
                }
            }
        }
    }
}

/// A JSON-RPC error response.
fn refusal(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

enum Frame {
    /// A body, and what was skipped in its headers.
    Body(Vec<u8>, Option<String>),
    /// Headers that do not frame a body; nothing was read past them.
    Unframed(String),
    /// A body over [`MAX_BODY_BYTES`], skipped.
    TooLarge(usize),
    End,
}

fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut malformed: Option<String> = None;
    let mut seen_header = false;
    loop {
        let mut line = Vec::new();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(Frame::End);
        }
        if !line.ends_with(b"\n") {
            // Longer than any header: read past the rest of it.
            let mut rest = Vec::new();
            let more = read_to_newline(input, &mut rest)?;
            malformed
                .get_or_insert_with(|| format!("a header line of {} bytes or more", read + more));
            seen_header = true;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            if !seen_header {
                // Blank lines between frames.
                continue;
            }
            break;
        }
        seen_header = true;
        // A body sent without headers runs into the next frame's header.
        let header = match text.find("Content-Length:") {
            Some(at) if at > 0 => {
                malformed.get_or_insert_with(|| {
                    format!(
                        "text that is not a header before `Content-Length`: {:?}",
                        clip(&text[..at])
                    )
                });
                &text[at..]
            }
            _ => text,
        };
        let Some((name, value)) = header.split_once(':') else {
            malformed
                .get_or_insert_with(|| format!("a header line without `:`: {:?}", clip(header)));
            continue;
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            length = Some(value.trim().parse::<usize>().map_err(|_| {
                format!(
                    "a `Content-Length` that is not a byte count: {:?}",
                    clip(value.trim())
                )
            }));
        }
    }
    let size = match length {
        Some(Ok(size)) => size,
        Some(Err(why)) => return Ok(Frame::Unframed(why)),
        None => {
            let why = malformed.unwrap_or_else(|| "headers without `Content-Length`".to_string());
            return Ok(Frame::Unframed(why));
        }
    };
    if size > MAX_BODY_BYTES {
        io::copy(&mut input.by_ref().take(size as u64), &mut io::sink())?;
        return Ok(Frame::TooLarge(size));
    }
    let mut body = Vec::with_capacity(size);
    input.by_ref().take(size as u64).read_to_end(&mut body)?;
    if body.len() < size {
        return Ok(Frame::End);
    }
    Ok(Frame::Body(body, malformed))
}

fn read_to_newline(input: &mut impl BufRead, scratch: &mut Vec<u8>) -> io::Result<usize> {
    let mut total = 0;
    loop {
        scratch.clear();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', scratch)?;
        total += read;
        if read == 0 || scratch.ends_with(b"\n") {
            return Ok(total);
        }
    }
}

fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(60).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
}

/// The message in `body`, or the id, JSON-RPC error code and reason to
/// answer with (code 0: a response, which is not answered).
fn message(body: &[u8]) -> Result<Message, (Value, i64, String)> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        (
            Value::Null,
            -32700,
            format!("parse error: the message is not JSON ({err})"),
        )
    })?;
    let Value::Object(fields) = &value else {
        let what = match value {
            Value::Array(_) => "a batch (a JSON array); send one message per frame",
            _ => "not a JSON object",
        };
        return Err((
            Value::Null,
            -32600,
            format!("invalid request: the message is {what}"),
        ));
    };
    let id = fields.get("id");
    let valid_id = |id: &Value| match id {
        Value::String(_) => true,
        Value::Number(n) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        _ => false,
    };
    let id_answer = id.filter(|id| valid_id(id)).cloned().unwrap_or(Value::Null);
    let invalid = |why: String| Err((id_answer.clone(), -32600, format!("invalid request: {why}")));
    let Some(method) = fields.get("method") else {
        if !(fields.contains_key("result") || fields.contains_key("error")) {
            return invalid("the message has neither `method` nor `result` or `error`".to_string());
        }
        // A response to the server: never answered, only logged.
        return match id {
            Some(id) if valid_id(id) => serde_json::from_value(value).map_err(|err| {
                (
                    Value::Null,
                    0,
                    format!("a response that could not be read: {err}"),
                )
            }),
            _ => Err((
                Value::Null,
                0,
                "a response without a usable id; ignored".to_string(),
            )),
        };
    };
    if !method.is_string() {
        return invalid("`method` is not a string".to_string());
    }
    if let Some(params) = fields.get("params") {
        if !(params.is_object() || params.is_array() || params.is_null()) {
            return invalid("`params` is neither an object nor an array".to_string());
        }
    }
    match id {
        Some(Value::Null) => {
            invalid("a request's id is null; leave `id` out for a notification".to_string())
        }
        Some(id) if !valid_id(id) => invalid(format!(
            "the id {id} is neither a string nor an integer between -2^31 and 2^31-1"
        )),
        _ => serde_json::from_value(value).or_else(|err| invalid(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// What the server received and what was refused, for `input`.
    fn read_all(input: &str) -> (Vec<Message>, Vec<Value>, Vec<String>) {
        let (to_server, received) = crossbeam_channel::unbounded();
        let (refusals, refused) = crossbeam_channel::unbounded();
        let mut logged = Vec::new();
        read_frames(&mut input.as_bytes(), &to_server, &refusals, &mut |line| {
            logged.push(line.to_string())
        });
        drop((to_server, refusals));
        (received.iter().collect(), refused.iter().collect(), logged)
    }

    fn methods(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|m| match m {
                Message::Request(r) => format!("request {} {}", r.id, r.method),
                Message::Notification(n) => format!("notification {}", n.method),
                Message::Response(r) => format!("response {}", r.id),
            })
            .collect()
    }

    const HOVER: &str = r#"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{}}"#;

    #[test]
    fn a_body_that_is_not_json_is_answered_and_reading_goes_on() {
        let input = frame("{not json") + &frame(HOVER);
        let (received, refused, logged) = read_all(&input);
        assert_eq!(methods(&received), ["request 2 textDocument/hover"]);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0]["id"], Value::Null);
        assert_eq!(refused[0]["error"]["code"], -32700);
        assert!(
            logged[0].starts_with("parse error: the message is not JSON"),
            "{logged:?}"
        );
    }

    #[test]
    fn json_that_is_not_a_message_gets_invalid_request() {
        let cases = [
            ("[1,2]", Value::Null, "a batch"),
            ("42", Value::Null, "not a JSON object"),
            (
                r#"{"jsonrpc":"2.0"}"#,
                Value::Null,
                "neither `method` nor `result`",
            ),
            (
                r#"{"id":7,"method":3}"#,
                json!(7),
                "`method` is not a string",
            ),
            (
                r#"{"id":"a","method":"x","params":5}"#,
                json!("a"),
                "`params` is neither",
            ),
            (
                r#"{"id":4294967296,"method":"x"}"#,
                Value::Null,
                "the id 4294967296 is neither",
            ),
            (
                r#"{"id":1.5,"method":"x"}"#,
                Value::Null,
                "the id 1.5 is neither",
            ),
            (
                r#"{"id":null,"method":"x"}"#,
                Value::Null,
                "a request's id is null",
            ),
        ];
        for (body, id, why) in cases {
            let (received, refused, _) = read_all(&(frame(body) + &frame(HOVER)));
            assert_eq!(
                methods(&received),
                ["request 2 textDocument/hover"],
                "{body}"
            );
            assert_eq!(refused.len(), 1, "{body}");
            assert_eq!(refused[0]["error"]["code"], -32600, "{body}");
            assert_eq!(refused[0]["id"], id, "{body}");
            let message = refused[0]["error"]["message"].as_str().unwrap();
            assert!(message.contains(why), "{body}: {message}");
        }
    }

    #[test]
    fn bad_headers_are_skipped_up_to_the_next_frame() {
        let cases = [
            ("Content-Length: ten\r\n\r\n", "not a byte count"),
            (
                "Content-Type: x\r\n\r\n",
                "headers without `Content-Length`",
            ),
            ("garbage\r\n\r\n", "a header line without `:`"),
        ];
        for (head, why) in cases {
            let (received, refused, logged) = read_all(&(head.to_string() + &frame(HOVER)));
            assert_eq!(
                methods(&received),
                ["request 2 textDocument/hover"],
                "{head:?}"
            );
            assert!(refused.is_empty(), "{head:?}");
            assert!(logged[0].contains(why), "{head:?}: {logged:?}");
        }
    }

    #[test]
    fn a_body_without_headers_resynchronises_at_the_next_header() {
        let input = r#"{"id":1,"method":"x"}"#.to_string() + &frame(HOVER);
        let (received, _, logged) = read_all(&input);
        assert_eq!(methods(&received), ["request 2 textDocument/hover"]);
        assert!(logged[0].contains("before `Content-Length`"), "{logged:?}");
    }

    #[test]
    fn lenient_line_ends_and_blank_lines_between_frames() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!("\r\ncontent-length:{}\n\n{body}", body.len()) + &frame(HOVER);
        let (received, refused, _) = read_all(&input);
        assert_eq!(
            methods(&received),
            ["notification initialized", "request 2 textDocument/hover"]
        );
        assert!(refused.is_empty());
    }

    #[test]
    fn an_oversized_body_is_skipped_without_being_kept() {
        let size = MAX_BODY_BYTES + 1;
        let mut input = format!("Content-Length: {size}\r\n\r\n").into_bytes();
        input.resize(input.len() + size, b' ');
        input.extend_from_slice(frame(HOVER).as_bytes());
        let (to_server, received) = crossbeam_channel::unbounded();
        let (refusals, refused) = crossbeam_channel::unbounded();
        read_frames(&mut input.as_slice(), &to_server, &refusals, &mut |_| {});
        drop((to_server, refusals));
        assert_eq!(
            methods(&received.iter().collect::<Vec<_>>()),
            ["request 2 textDocument/hover"]
        );
        let refused: Vec<Value> = refused.iter().collect();
        assert_eq!(refused[0]["error"]["code"], -32600);
    }

    #[test]
    fn a_huge_content_length_with_a_short_body_ends_reading() {
        let input = "Content-Length: 99999999999999\r\n\r\n{}";
        let (received, refused, _) = read_all(input);
        assert!(received.is_empty());
        assert_eq!(refused.len(), 1, "answered as too large");
        let input = "Content-Length: 100\r\n\r\n{}";
        let (received, refused, _) = read_all(input);
        assert!(received.is_empty() && refused.is_empty());
    }

    #[test]
    fn reading_stops_after_exit_and_responses_are_never_answered() {
        let input = frame(r#"{"jsonrpc":"2.0","id":99999999999,"result":null}"#)
            + &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#)
            + &frame(HOVER);
        let (received, refused, logged) = read_all(&input);
        assert_eq!(methods(&received), ["notification exit"]);
        assert!(refused.is_empty());
        assert_eq!(logged.len(), 1);
    }

    #[test]
    fn the_writer_interleaves_whole_frames() {
        let (server, messages) = crossbeam_channel::unbounded();
        let (refusals, refused) = crossbeam_channel::unbounded();
        refusals.send(refusal(Value::Null, -32700, "x")).unwrap();
        drop(refusals);
        server
            .send(Message::Notification(lsp_server::Notification::new(
                "window/logMessage".to_string(),
                json!({"type": 3, "message": "ü"}),
            )))
            .unwrap();
        drop(server);
        let mut out = Vec::new();
        write_frames(&mut out, &messages, refused).unwrap();
        let (received, refused, _) = read_all(std::str::from_utf8(&out).unwrap());
        assert!(refused.is_empty());
        // The refusal is a response without a usable id; the log line is
        // the one message that reads back.
        assert_eq!(methods(&received), ["notification window/logMessage"]);
    }
}
