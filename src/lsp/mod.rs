//! `annot lsp`: a language server over stdio that shows, as the annotator
//! types, what `annot validate` would say if every open buffer were saved,
//! and helps where the cursor is (hover, definition, references,
//! completion, symbols, quick fixes).
//!
//! The protocol loop is here; [`session`] holds the state (open buffers,
//! the kept validation) and turns changes into re-checks; each request
//! family has its own module over the same loader and rules as the
//! commands. Nothing here writes files: edits go to the client as
//! `WorkspaceEdit`s.

mod actions;
mod completion;
mod cursor;
mod diagnostics;
mod documents;
mod encoding;
mod hover;
mod navigate;
mod session;
mod symbols;
mod transport;

pub use encoding::{Encoding, LineIndex};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use session::Session;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Serves the client on stdin/stdout until `exit` or the end of stdin;
/// the process's exit status: 0 after `shutdown`, 1 otherwise.
pub fn run() -> i32 {
    let (connection, io_threads) = transport::stdio();
    let status = serve(&connection);
    drop(connection);
    // What the server sent is written out in any case; the reader ends at
    // `exit` or at the end of stdin, and when the client is still writing,
    // it is not waited for.
    io_threads.join(status == 0);
    status
}

/// Answers `connection` until `exit` or until the other side goes away;
/// returns the exit status.
pub fn serve(connection: &Connection) -> i32 {
    let Some((id, params)) = wait_for_initialize(connection) else {
        return 1;
    };
    let mut session = Session::new(params, connection.sender.clone());
    let result = session.initialize_result();
    if connection
        .sender
        .send(Response::new_ok(id, result).into())
        .is_err()
    {
        return 1;
    }
    let mut shutting_down = false;
    loop {
        let message = if session.has_pending() {
            match connection.receiver.try_recv() {
                Ok(message) => message,
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    if let Err(message) = guarded("re-checking", || session.flush()) {
                        session.log_error(&message);
                    }
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => break,
            }
        } else {
            match connection.receiver.recv() {
                Ok(message) => message,
                Err(_) => break,
            }
        };
        match message {
            Message::Request(request) if shutting_down => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down: after `shutdown` only `exit` is accepted"
                        .to_string(),
                );
                let _ = connection.sender.send(response.into());
            }
            Message::Request(request) if request.method == "initialize" => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is already initialized: `initialize` is sent once".to_string(),
                );
                let _ = connection.sender.send(response.into());
            }
            Message::Request(request) if request.method == "shutdown" => {
                shutting_down = true;
                let _ = connection
                    .sender
                    .send(Response::new_ok(request.id, Value::Null).into());
            }
            Message::Request(request) => {
                // Answers look at the findings and the ids as they are now.
                if session.has_pending() {
                    if let Err(message) = guarded("re-checking", || session.flush()) {
                        session.log_error(&message);
                    }
                }
                let response = answer(&mut session, request);
                let _ = connection.sender.send(response.into());
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return if shutting_down { 0 } else { 1 };
            }
            Message::Notification(_) if shutting_down => {}
            Message::Notification(notification) => {
                let method = notification.method.clone();
                if let Err(message) = guarded(&method, || session.notify(notification)) {
                    session.log_error(&message);
                }
            }
            // Answers to what the server asked (the watchers' registration).
            Message::Response(response) => session.answered(response),
        }
    }
    if shutting_down {
        0
    } else {
        1
    }
}

/// Waits for `initialize`, answering any other request with
/// ServerNotInitialized; `None` when `exit` comes first or the client goes
/// away.
fn wait_for_initialize(
    connection: &Connection,
) -> Option<(RequestId, lsp_types::InitializeParams)> {
    loop {
        match connection.receiver.recv().ok()? {
            Message::Request(request) if request.method == "initialize" => {
                match serde_json::from_value(request.params) {
                    Ok(params) => return Some((request.id, params)),
                    Err(err) => {
                        let response = Response::new_err(
                            request.id,
                            ErrorCode::InvalidParams as i32,
                            format!("invalid params for `initialize`: {err}"),
                        );
                        connection.sender.send(response.into()).ok()?;
                    }
                }
            }
            Message::Request(request) => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!(
                        "the server is not initialized: send `initialize` before `{}`",
                        request.method
                    ),
                );
                connection.sender.send(response.into()).ok()?;
            }
            Message::Notification(notification) if notification.method == "exit" => return None,
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// Runs `work`; a panic inside it becomes an error message, and the server
/// goes on.
fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        format!("annot lsp failed while handling {what}: {why}; this is a bug in annot, please report it with the file that caused it")
    })
}

/// Why a request got no result.
pub(crate) enum Failure {
    InvalidParams(String),
    Unknown,
}

/// The response to one request.
fn answer(session: &mut Session, request: Request) -> Response {
    let Request { id, method, params } = request;
    let handled = guarded(&format!("`{method}`"), || {
        dispatch(session, &method, params)
    });
    match handled {
        Ok(Ok(value)) => Response::new_ok(id, value),
        Ok(Err(Failure::InvalidParams(why))) => Response::new_err(
            id,
            ErrorCode::InvalidParams as i32,
            format!("invalid params for `{method}`: {why}"),
        ),
        Ok(Err(Failure::Unknown)) => Response::new_err(
            id,
            ErrorCode::MethodNotFound as i32,
            format!("annot lsp does not handle `{method}`"),
        ),
        Err(message) => {
            session.log_error(&message);
            Response::new_err(id, ErrorCode::InternalError as i32, message)
        }
    }
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params).map_err(|err| Failure::InvalidParams(err.to_string()))
}

fn dispatch(session: &mut Session, method: &str, params: Value) -> Result<Value, Failure> {
    let value = match method {
        "textDocument/hover" => to_value(hover::hover(session, parse(params)?)),
        "textDocument/definition" => to_value(navigate::definition(session, parse(params)?)),
        "textDocument/references" => to_value(navigate::references(session, parse(params)?)),
        "textDocument/completion" => to_value(completion::complete(session, parse(params)?)),
        "textDocument/documentSymbol" => to_value(symbols::symbols(session, parse(params)?)),
        "textDocument/codeAction" => to_value(actions::actions(session, parse(params)?)),
        _ => return Err(Failure::Unknown),
    };
    Ok(value)
}

fn to_value<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A notification to the client.
pub(crate) fn notification<N: lsp_types::notification::Notification>(params: N::Params) -> Message {
    Notification::new(N::METHOD.to_string(), params).into()
}

/// What the server offers, with positions in `encoding`.
pub fn capabilities(encoding: Encoding) -> lsp_types::ServerCapabilities {
    use lsp_types::*;
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".to_string(), " ".to_string(), "/".to_string()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::SOURCE_FIX_ALL,
            ]),
            work_done_progress_options: WorkDoneProgressOptions::default(),
            resolve_provider: Some(false),
        })),
        ..ServerCapabilities::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_message() {
        let failed = guarded("`textDocument/hover`", || -> i32 {
            panic!("index out of bounds")
        });
        let message = failed.unwrap_err();
        assert!(
            message.starts_with(
                "annot lsp failed while handling `textDocument/hover`: index out of bounds"
            ),
            "{message}"
        );
        assert_eq!(guarded("x", || 7), Ok(7));
    }
}
