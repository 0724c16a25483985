#!/usr/bin/env python3
"""End-to-end test of `annot lsp` with an independent LSP client (pygls).

Usage:
    pip install -r scripts/requirements-lsp.txt     # pygls==2.1.1
    python3 scripts/lsp-e2e.py PATH/TO/annot [-v] [--log FILE]

It copies this repository's workspace (annotations/, seeds/, schema/) into a
temporary directory, commits it there with git, starts `annot lsp` in it and
drives it over stdio with pygls's LanguageClient: initialize, diagnostics
after an edit, the quick fix, hover, definition, references, document
symbols, completion, error codes, shutdown/exit, stdin closing, and position
encodings. Every wait is bounded. Each check prints `ok  ...` or
`FAIL ...` with the messages exchanged during that check; the exit status is
0 only if every check passed.

Pinned: pygls==2.1.1 (lsprotocol 2025.0.0), see scripts/requirements-lsp.txt;
also runs with pygls 1.3.1 (lsprotocol 2023.0.1).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import unquote, urlparse

try:
    from lsprotocol import types as T
    try:
        from pygls.lsp.client import LanguageClient as _Client  # pygls 2.x
    except ImportError:  # pygls 1.x
        from pygls.lsp.client import BaseLanguageClient as _Client
    from pygls.exceptions import JsonRpcException
except ImportError as e:  # pragma: no cover
    sys.exit(f"lsp-e2e: needs pygls (pip install -r scripts/requirements-lsp.txt): {e}")

# lsprotocol 2023.x (pygls 1.x) names some nested types differently
for _new, _old in (
    ("ClientCompletionItemOptions", "CompletionClientCapabilitiesCompletionItemType"),
    ("ClientCodeActionLiteralOptions", "CodeActionClientCapabilitiesCodeActionLiteralSupportType"),
    ("ClientCodeActionKindOptions", "CodeActionClientCapabilitiesCodeActionLiteralSupportTypeCodeActionKindType"),
    ("TextDocumentContentChangePartial", "TextDocumentContentChangeEvent_Type1"),
    ("TextDocumentContentChangeWholeDocument", "TextDocumentContentChangeEvent_Type2"),
    ("ClientInfo", "InitializeParamsClientInfoType"),
):
    if not hasattr(T, _new):
        setattr(T, _new, getattr(T, _old))

REPO = Path(__file__).resolve().parent.parent
VERBOSE = False
LOG = None  # --log FILE: every message of every run, one JSON object a line

STEP_TIMEOUT = 10.0      # any single request / awaited notification
EXIT_TIMEOUT = 5.0       # process exit after `exit` or closed stdin

TASS = "annotations/tass.yaml"
POLISH = "annotations/polish.yaml"
TASS_SEED = "seeds/000_58609d336a8452fe.txt"
SAPPERS_QUOTE = "1,000 combat engineers"


# --------------------------------------------------------------------------
# text positions in LSP units


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them (\n, \r\n, \r end a line), without the ends."""
    return re.split(r"\r\n|\r|\n", text)


def _units(ch: str, enc: str) -> int:
    if enc == "utf-8":
        return len(ch.encode("utf-8"))
    if enc == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return 1  # utf-32: code points


def col_to_units(line: str, cp_col: int, enc: str) -> int:
    return sum(_units(c, enc) for c in line[:cp_col])


def units_to_col(line: str, units: int, enc: str) -> int:
    """Code-point column of a column in `enc` units; raises if it splits a
    character or lies past the end of the line."""
    n = 0
    for i, c in enumerate(line):
        if n == units:
            return i
        n += _units(c, enc)
        if n > units:
            raise ValueError(f"column {units} ({enc}) falls inside the character {c!r} at {i}")
    if n == units:
        return len(line)
    raise ValueError(f"column {units} ({enc}) is past the end of the line ({n} units)")


def line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer(r"\r\n|\r|\n", text):
        starts.append(m.end())
    return starts


def pos_to_index(text: str, line: int, character: int, enc: str) -> int:
    lines = split_lines(text)
    if line < 0 or line >= len(lines):
        raise ValueError(f"line {line} is outside the document ({len(lines)} lines)")
    return line_starts(text)[line] + units_to_col(lines[line], character, enc)


def index_to_pos(text: str, index: int, enc: str) -> tuple[int, int]:
    starts = line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= index)
    lines = split_lines(text)
    return line, col_to_units(lines[line], index - starts[line], enc)


def range_text(text: str, rng, enc: str) -> str:
    a = pos_to_index(text, rng.start.line, rng.start.character, enc)
    b = pos_to_index(text, rng.end.line, rng.end.character, enc)
    return text[a:b]


def apply_text_edits(text: str, edits, enc: str) -> str:
    spans = []
    for e in edits:
        a = pos_to_index(text, e.range.start.line, e.range.start.character, enc)
        b = pos_to_index(text, e.range.end.line, e.range.end.character, enc)
        if b < a:
            raise ValueError(f"edit with end before start: {e}")
        spans.append((a, b, e.new_text))
    spans.sort(key=lambda s: (s[0], s[1]))
    for (a1, b1, _), (a2, _b2, _) in zip(spans, spans[1:]):
        if a2 < b1:
            raise ValueError("overlapping text edits")
    for a, b, new in reversed(spans):
        text = text[:a] + new + text[b:]
    return text


def find_line(lines: list[str], pattern: str, after: int = 0) -> int:
    rx = re.compile(pattern)
    for i in range(after, len(lines)):
        if rx.search(lines[i]):
            return i
    raise Check(f"no line matching {pattern!r} after line {after} (test fixture changed?)")


# --------------------------------------------------------------------------
# uris


def path_to_uri(p: Path) -> str:
    return p.resolve().as_uri()


def uri_to_path(uri: str) -> Path:
    u = urlparse(uri)
    if u.scheme != "file":
        raise ValueError(f"not a file uri: {uri}")
    return Path(unquote(u.path)).resolve()


# --------------------------------------------------------------------------
# reporting


class Check(Exception):
    """A check failed; the message says how."""


def _shrink(obj, limit: int = 240):
    if isinstance(obj, str) and len(obj) > limit:
        return obj[:limit] + f"... ({len(obj)} chars)"
    if isinstance(obj, dict):
        return {k: _shrink(v, limit) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shrink(v, limit) for v in obj]
    return obj


def short(obj, limit: int = 4000) -> str:
    s = json.dumps(_shrink(obj), ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"


class Results:
    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []

    def ok(self, name: str) -> None:
        self.passed.append(name)
        print(f"ok   {name}", flush=True)

    def fail(self, name: str, why: str, transcript: list | None = None, stderr: str = "") -> None:
        self.failed.append(name)
        print(f"FAIL {name}\n     {why}", flush=True)
        if transcript:
            print("     messages during this check:")
            for direction, msg in transcript:
                print(f"       {direction} {short(msg)}")
        if stderr.strip():
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            print("     server stderr (last lines):")
            for ln in tail.splitlines():
                print(f"       | {ln}")
        sys.stdout.flush()


# --------------------------------------------------------------------------
# the client session


class Session:
    """One `annot lsp` process driven by a pygls LanguageClient."""

    def __init__(self, binary: str, root: Path, results: Results, label: str):
        self.binary = binary
        self.root = root
        self.results = results
        self.label = label
        self.client = _Client("annot-lsp-e2e", "1")
        self.transcript: list[tuple[str, dict]] = []
        self.stderr = ""
        self.publishes: list[T.PublishDiagnosticsParams] = []
        self.log_messages: list[str] = []
        self.registrations: list = []
        self.client_errors: list[str] = []
        self.encoding = "utf-16"
        self.capabilities = None
        self._changed = asyncio.Condition()
        self._tap_protocol()
        self._register_handlers()

    # record every message both ways, as the wire carried it
    def _tap_protocol(self) -> None:
        proto = self.client.protocol
        # pygls 2.x parses with structure_message, 1.x with _deserialize_message
        hook = "structure_message" if hasattr(proto, "structure_message") else "_deserialize_message"
        orig_structure = getattr(proto, hook)
        orig_send = proto._send_data

        def structure(data):
            if isinstance(data, dict) and "jsonrpc" in data:
                self.transcript.append(("<-", data))
                self._log("<-", data)
            return orig_structure(data)

        def send(data):
            try:
                raw = json.loads(json.dumps(data, default=proto._serialize_message))
            except Exception:  # noqa: BLE001
                raw = repr(data)
            self.transcript.append(("->", raw))
            self._log("->", raw)
            return orig_send(data)

        setattr(proto, hook, structure)
        proto._send_data = send

        def report_server_error(error, source):
            self.client_errors.append(f"{source.__name__}: {error!r}")

        self.client.report_server_error = report_server_error

    def _log(self, direction: str, msg) -> None:
        if LOG is not None:
            LOG.write(json.dumps({"run": self.label, "dir": direction, "msg": msg}, ensure_ascii=False) + "\n")
            LOG.flush()

    def _register_handlers(self) -> None:
        c = self.client

        @c.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def on_diagnostics(params: T.PublishDiagnosticsParams):
            self.publishes.append(params)
            async with self._changed:
                self._changed.notify_all()

        @c.feature(T.WINDOW_LOG_MESSAGE)
        def on_log(params: T.LogMessageParams):
            self.log_messages.append(params.message)
            if VERBOSE:
                print(f"     [{self.label} log] {params.message}", file=sys.stderr)

        @c.feature(T.WINDOW_SHOW_MESSAGE)
        def on_show(params: T.ShowMessageParams):
            self.log_messages.append(params.message)

        @c.feature(T.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: T.RegistrationParams):
            self.registrations.extend(params.registrations)
            return None

        @c.feature(T.CLIENT_UNREGISTER_CAPABILITY)
        def on_unregister(params):
            return None

        @c.feature(T.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(params):
            return None

        @c.feature(T.WORKSPACE_CONFIGURATION)
        def on_configuration(params: T.ConfigurationParams):
            return [None for _ in params.items]

    # --- process

    async def start(self) -> None:
        await self.client.start_io(self.binary, "lsp", cwd=str(self.root))
        self.proc = self.client._server
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    async def _drain_stderr(self) -> None:
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            s = line.decode("utf-8", "replace")
            self.stderr += s
            if VERBOSE:
                print(f"     [{self.label} stderr] {s.rstrip()}", file=sys.stderr)

    async def wait_exit(self, timeout: float) -> int | None:
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            return None

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        try:
            await asyncio.wait_for(self.client.stop(), 5)
        except Exception:  # noqa: BLE001
            pass

    # --- helpers

    def uri(self, rel: str) -> str:
        return path_to_uri(self.root / rel)

    async def request(self, coro, timeout: float = STEP_TIMEOUT):
        try:
            return await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError:
            extra = f"; client-side errors: {self.client_errors}" if self.client_errors else ""
            raise Check(f"no response within {timeout:g} s{extra}") from None
        except JsonRpcException:
            raise
        except RuntimeError as e:
            raise Check(f"request failed: {e}") from None

    async def wait_publish(self, uri: str, pred, timeout: float = STEP_TIMEOUT, start: int = 0):
        """The first publishDiagnostics for `uri` (at index >= start) that
        satisfies pred; raises Check after `timeout`."""
        deadline = time.monotonic() + timeout
        seen = start
        async with self._changed:
            while True:
                for i in range(seen, len(self.publishes)):
                    p = self.publishes[i]
                    if uri_eq(p.uri, uri) and pred(p):
                        return p, i
                seen = len(self.publishes)
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [
                        {"version": p.version, "diagnostics": len(p.diagnostics)}
                        for p in self.publishes[start:]
                        if uri_eq(p.uri, uri)
                    ]
                    raise Check(
                        f"no matching publishDiagnostics for {uri} within {timeout:g} s "
                        f"(publishes for it seen: {got})"
                    )
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    pass

    async def step(self, name: str, fn, *args):
        """Run one check; record ok/FAIL with the messages it exchanged."""
        mark = len(self.transcript)
        err_mark = len(self.client_errors)
        try:
            value = await fn(*args)
        except Check as e:
            why = str(e)
            new_errors = self.client_errors[err_mark:]
            if new_errors:
                why += f"\n     pygls could not read a server message: {new_errors}"
            self.results.fail(f"{name} [{self.label}]", why, self.transcript[mark:], self.stderr)
            return None
        except JsonRpcException as e:
            self.results.fail(
                f"{name} [{self.label}]",
                f"the server answered with an error: {e!r}",
                self.transcript[mark:],
                self.stderr,
            )
            return None
        except Exception as e:  # noqa: BLE001  (a bug in this script, or a broken reply)
            self.results.fail(
                f"{name} [{self.label}]",
                f"unexpected {type(e).__name__}: {e}\n{traceback.format_exc()}",
                self.transcript[mark:],
                self.stderr,
            )
            return None
        self.results.ok(f"{name} [{self.label}]")
        return value if value is not None else True


def uri_eq(a: str, b: str) -> bool:
    try:
        return uri_to_path(a) == uri_to_path(b)
    except ValueError:
        return a == b


def client_capabilities(encodings: list[str]) -> T.ClientCapabilities:
    return T.ClientCapabilities(
        general=T.GeneralClientCapabilities(position_encodings=encodings),
        workspace=T.WorkspaceClientCapabilities(
            workspace_folders=True,
            configuration=True,
            did_change_watched_files=T.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True, relative_pattern_support=True
            ),
            workspace_edit=T.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=T.TextDocumentClientCapabilities(
            synchronization=T.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=T.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            hover=T.HoverClientCapabilities(
                content_format=[T.MarkupKind.Markdown, T.MarkupKind.PlainText]
            ),
            definition=T.DefinitionClientCapabilities(link_support=True),
            references=T.ReferenceClientCapabilities(),
            completion=T.CompletionClientCapabilities(
                completion_item=T.ClientCompletionItemOptions(snippet_support=False)
            ),
            document_symbol=T.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            code_action=T.CodeActionClientCapabilities(
                code_action_literal_support=T.ClientCodeActionLiteralOptions(
                    code_action_kind=T.ClientCodeActionKindOptions(
                        value_set=[
                            T.CodeActionKind.QuickFix,
                            T.CodeActionKind.Refactor,
                            T.CodeActionKind.Source,
                        ]
                    )
                )
            ),
        ),
    )


# --------------------------------------------------------------------------
# checks


def hover_text(h) -> tuple[str, str | None]:
    """(text, markup kind or None for the deprecated MarkedString forms)."""
    c = h.contents
    if isinstance(c, T.MarkupContent):
        return c.value, str(c.kind.value if hasattr(c.kind, "value") else c.kind)
    if isinstance(c, str):
        return c, None
    if isinstance(c, (list, tuple)):
        return "\n".join(x if isinstance(x, str) else x.value for x in c), None
    return getattr(c, "value", str(c)), None


def first_location(result):
    """(uri, range) of the first target of a definition result."""
    if result is None:
        raise Check("definition returned null")
    items = result if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise Check("definition returned an empty list")
    x = items[0]
    if isinstance(x, T.LocationLink):
        return x.target_uri, x.target_selection_range
    return x.uri, x.range


def action_edits_for(action, uri: str) -> tuple[list, list[str]]:
    """TextEdits of a CodeAction's WorkspaceEdit for `uri`, and the other uris it touches."""
    edit = action.edit
    if edit is None:
        return [], []
    edits, others = [], []
    if edit.document_changes:
        for dc in edit.document_changes:
            if isinstance(dc, T.TextDocumentEdit):
                if uri_eq(dc.text_document.uri, uri):
                    edits.extend(dc.edits)
                else:
                    others.append(dc.text_document.uri)
            else:
                others.append(f"{type(dc).__name__}")
    if edit.changes:
        for u, es in edit.changes.items():
            if uri_eq(u, uri):
                edits.extend(es)
            else:
                others.append(u)
    return edits, others


async def run_main(binary: str, root: Path, results: Results) -> None:
    s = Session(binary, root, results, "utf-16 run")
    await s.start()
    try:
        await main_checks(s)
    finally:
        await s.kill()


async def initialize(s: Session, encodings: list[str], expect_enc: str):
    res = await s.request(
        s.client.initialize_async(
            T.InitializeParams(
                process_id=os.getpid(),
                root_uri=path_to_uri(s.root),
                root_path=str(s.root),
                workspace_folders=[T.WorkspaceFolder(uri=path_to_uri(s.root), name=s.root.name)],
                capabilities=client_capabilities(encodings),
                client_info=T.ClientInfo(name="annot-lsp-e2e", version="1"),
            )
        )
    )
    caps = res.capabilities
    s.capabilities = caps
    problems = []
    enc = caps.position_encoding
    enc = getattr(enc, "value", enc)
    if enc != expect_enc:
        problems.append(f"positionEncoding is {enc!r}, expected {expect_enc!r}")
    for name in (
        "hover_provider",
        "definition_provider",
        "references_provider",
        "completion_provider",
        "document_symbol_provider",
        "code_action_provider",
    ):
        v = getattr(caps, name)
        if v is None or v is False:
            problems.append(f"{name} is {v!r}")
    sync = caps.text_document_sync
    if isinstance(sync, T.TextDocumentSyncOptions):
        if sync.change != T.TextDocumentSyncKind.Incremental:
            problems.append(f"textDocumentSync.change is {sync.change!r}, expected 2 (incremental)")
        if sync.open_close is not True:
            problems.append(f"textDocumentSync.openClose is {sync.open_close!r}, expected true")
    else:
        problems.append(
            f"textDocumentSync is {sync!r}; expected an object with change 2 and openClose true"
        )
    if problems:
        raise Check("; ".join(problems))
    s.encoding = expect_enc
    s.client.initialized(T.InitializedParams())
    return res


async def main_checks(s: Session) -> None:
    root = s.root
    tass_uri = s.uri(TASS)
    seed_uri = s.uri(TASS_SEED)
    original = (root / TASS).read_text(encoding="utf-8")
    lines = split_lines(original)
    sapper_id = find_line(lines, r"^\s*- id: tass\.lead-sappers\s*$")
    start_line = find_line(lines, r"^    start: 70$", sapper_id)
    quote_line = find_line(lines, r"^\s*quote: ", sapper_id)
    buf = {"text": original, "version": 1}

    if not await s.step("initialize: capabilities, utf-16 positions", initialize, s, ["utf-16"], "utf-16"):
        raise Check("cannot go on without initialize")

    # --- didOpen -> empty diagnostics
    async def open_clean():
        mark = len(s.publishes)
        s.client.text_document_did_open(
            T.DidOpenTextDocumentParams(
                text_document=T.TextDocumentItem(uri=tass_uri, language_id="yaml", version=1, text=original)
            )
        )
        p, _ = await s.wait_publish(tass_uri, lambda p: True, start=mark)
        if p.diagnostics:
            raise Check(f"the first publish for the clean file has {len(p.diagnostics)} diagnostics: "
                        f"{[d.message for d in p.diagnostics]}")
        if p.version is not None and p.version != 1:
            raise Check(f"publish carries version {p.version}, expected 1")
        if p.version is None:
            raise Check("publish carries no version (the spec says diagnostics carry the document version)")

    await s.step("didOpen: a clean file gets an empty diagnostics list", open_clean)

    # --- incremental edit 70 -> 71 -> quote-mismatch
    state = {}

    async def break_offset():
        mark = len(s.publishes)
        col = lines[start_line].index("70")
        rng = T.Range(
            start=T.Position(line=start_line, character=col_to_units(lines[start_line], col, s.encoding)),
            end=T.Position(line=start_line, character=col_to_units(lines[start_line], col + 2, s.encoding)),
        )
        s.client.text_document_did_change(
            T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=tass_uri, version=2),
                content_changes=[T.TextDocumentContentChangePartial(range=rng, text="71")],
            )
        )
        buf["text"] = apply_text_edits(original, [T.TextEdit(range=rng, new_text="71")], s.encoding)
        buf["version"] = 2
        assert split_lines(buf["text"])[start_line] == "    start: 71"
        p, _ = await s.wait_publish(tass_uri, lambda p: p.version == 2, start=mark)
        ds = p.diagnostics
        if len(ds) != 1:
            raise Check(f"expected exactly one diagnostic, got {len(ds)}: "
                        f"{[(d.code, d.message) for d in ds]}")
        d = ds[0]
        problems = []
        if d.code != "quote-mismatch":
            problems.append(f"code is {d.code!r}, expected 'quote-mismatch'")
        if d.source != "annot":
            problems.append(f"source is {d.source!r}, expected 'annot'")
        if d.severity != T.DiagnosticSeverity.Error:
            problems.append(f"severity is {d.severity!r}, expected 1 (Error)")
        if d.range.start.line != quote_line:
            problems.append(
                f"range starts on line {d.range.start.line} (0-based), expected the quote line {quote_line} "
                f"({lines[quote_line].strip()!r})"
            )
        try:
            range_text(buf["text"], d.range, s.encoding)
        except ValueError as e:
            problems.append(f"range is not a valid range in the buffer: {e}")
        rel = d.related_information or []
        seed_text = (root / TASS_SEED).read_text(encoding="utf-8")
        hits = []
        for r in rel:
            if uri_eq(r.location.uri, seed_uri):
                try:
                    hits.append(range_text(seed_text, r.location.range, s.encoding))
                except ValueError as e:
                    hits.append(f"<invalid range: {e}>")
        if not hits:
            problems.append(
                f"relatedInformation has no location in {TASS_SEED}: "
                f"{[(r.location.uri, r.message) for r in rel]}"
            )
        elif SAPPERS_QUOTE not in hits:
            problems.append(
                f"relatedInformation in the seed covers {hits!r}, expected the text {SAPPERS_QUOTE!r} (70..92)"
            )
        if problems:
            raise Check("; ".join(problems))
        state["diag"] = d

    await s.step("didChange: start 70 -> 71 gives a quote-mismatch with the seed's place", break_offset)

    # --- quick fix
    async def quick_fix():
        d = state.get("diag")
        if d is None:
            raise Check("not run: no quote-mismatch diagnostic from the previous check")
        res = await s.request(
            s.client.text_document_code_action_async(
                T.CodeActionParams(
                    text_document=T.TextDocumentIdentifier(uri=tass_uri),
                    range=d.range,
                    context=T.CodeActionContext(diagnostics=[d], trigger_kind=T.CodeActionTriggerKind.Invoked),
                )
            )
        )
        actions = [a for a in (res or []) if isinstance(a, T.CodeAction)]
        quickfixes = [a for a in actions if a.kind is not None and str(getattr(a.kind, "value", a.kind)) == "quickfix"]
        if not quickfixes:
            raise Check(f"no action of kind 'quickfix' among {[(a.title, a.kind) for a in actions]} "
                        f"(commands: {[a for a in (res or []) if not isinstance(a, T.CodeAction)]})")
        tried = []
        for a in quickfixes:
            edits, others = action_edits_for(a, tass_uri)
            if not edits:
                tried.append(f"{a.title!r}: no text edits for {TASS}")
                continue
            try:
                new = apply_text_edits(buf["text"], edits, s.encoding)
            except ValueError as e:
                tried.append(f"{a.title!r}: edits do not apply: {e}")
                continue
            if others:
                tried.append(f"{a.title!r}: also edits {others}")
                continue
            new_lines = split_lines(new)
            if start_line < len(new_lines) and new_lines[start_line] == "    start: 70" and new == original:
                state["fixed"] = new
                return
            if new == buf["text"]:
                tried.append(f"{a.title!r}: changes nothing")
            else:
                import difflib

                diff = "".join(
                    list(difflib.unified_diff(original.splitlines(True), new.splitlines(True), "original", "fixed", n=0))[:30]
                )
                tried.append(f"{a.title!r}: result differs from the original file:\n{diff}")
        raise Check("no quickfix restores `start: 70` and only that:\n     " + "\n     ".join(tried))

    await s.step("codeAction: a quickfix restores start: 70 and nothing else", quick_fix)

    async def apply_fix():
        mark = len(s.publishes)
        text = state.get("fixed")
        s.client.text_document_did_change(
            T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=tass_uri, version=3),
                content_changes=[T.TextDocumentContentChangeWholeDocument(text=text or original)],
            )
        )
        buf["text"], buf["version"] = original, 3
        if text is None:
            # the buffer is restored so that later checks run on a clean file
            raise Check("not run: no quick fix to apply (sent the original text as version 3 instead)")
        p, _ = await s.wait_publish(tass_uri, lambda p: p.version == 3, start=mark)
        if p.diagnostics:
            raise Check(f"{len(p.diagnostics)} diagnostics remain: {[(d.code, d.message) for d in p.diagnostics]}")

    await s.step("didChange (full text, the fix applied): diagnostics clear", apply_fix)

    # --- hover on the quote
    async def hover_quote():
        line = lines[quote_line]
        col = line.index(SAPPERS_QUOTE) + 3
        h = await s.request(
            s.client.text_document_hover_async(
                T.HoverParams(
                    text_document=T.TextDocumentIdentifier(uri=tass_uri),
                    position=T.Position(line=quote_line, character=col_to_units(line, col, s.encoding)),
                )
            )
        )
        if h is None:
            raise Check("hover returned null")
        text, kind = hover_text(h)
        if kind != "markdown":
            raise Check(f"hover contents are not MarkupContent of kind markdown (kind {kind!r})")
        if SAPPERS_QUOTE not in text:
            raise Check(f"hover does not contain {SAPPERS_QUOTE!r}: {text!r}")

    await s.step("hover on a quote: markdown with the quoted text", hover_quote)

    # --- link target: hover, definition, references
    role = find_line(lines, r"^\s*- id: tass\.role-secretary\s*$")
    target_line = find_line(lines, r"^\s*target: ent\.shoigu\s*$", role)
    tcol = lines[target_line].index("ent.shoigu") + 4
    tpos = T.Position(line=target_line, character=col_to_units(lines[target_line], tcol, s.encoding))

    async def hover_target():
        h = await s.request(
            s.client.text_document_hover_async(
                T.HoverParams(text_document=T.TextDocumentIdentifier(uri=tass_uri), position=tpos)
            )
        )
        if h is None:
            raise Check("hover returned null")
        text, _ = hover_text(h)
        if "ent.shoigu" not in text:
            raise Check(f"hover does not mention ent.shoigu: {text!r}")

    await s.step("hover on a link target mentions the target id", hover_target)

    async def definition_target():
        res = await s.request(
            s.client.text_document_definition_async(
                T.DefinitionParams(text_document=T.TextDocumentIdentifier(uri=tass_uri), position=tpos)
            )
        )
        uri, rng = first_location(res)
        path = uri_to_path(uri)
        try:
            rel = path.relative_to(root.resolve())
        except ValueError:
            raise Check(f"definition points outside the workspace: {uri}") from None
        if rel.parts[0] != "annotations":
            raise Check(f"definition points at {rel}, not a file under annotations/")
        tlines = split_lines(path.read_text(encoding="utf-8"))
        if rng.start.line >= len(tlines) or "id: ent.shoigu" not in tlines[rng.start.line]:
            got = tlines[rng.start.line] if rng.start.line < len(tlines) else "<past the end>"
            raise Check(f"definition line {rng.start.line} of {rel} reads {got!r}, expected `id: ent.shoigu`")

    await s.step("definition of a link target: its `id:` line", definition_target)

    async def references_target():
        res = await s.request(
            s.client.text_document_references_async(
                T.ReferenceParams(
                    text_document=T.TextDocumentIdentifier(uri=tass_uri),
                    position=tpos,
                    context=T.ReferenceContext(include_declaration=True),
                )
            )
        )
        res = res or []
        files = {str(uri_to_path(loc.uri)) for loc in res}
        if len(res) <= 1 or len(files) <= 1:
            raise Check(f"{len(res)} references in {len(files)} files; expected more than one in more than one file")

    await s.step("references of an id: several locations in several files", references_target)

    # --- document symbols
    async def symbols():
        res = await s.request(
            s.client.text_document_document_symbol_async(
                T.DocumentSymbolParams(text_document=T.TextDocumentIdentifier(uri=tass_uri))
            )
        )
        res = res or []
        flat = []

        def walk(xs):
            for x in xs:
                flat.append(x)
                walk(getattr(x, "children", None) or [])

        walk(res)
        names = [x.name for x in flat]
        ids = [m.group(1) for m in re.finditer(r"(?m)^\s*- id:\s*(\S+)\s*$", original)]
        if "tass.dateline" not in names:
            raise Check(f"no symbol named tass.dateline among {names[:10]}...")
        if len(flat) != len(ids):
            raise Check(f"{len(flat)} symbols (top level {len(res)}), expected {len(ids)}, one per `- id:` line")
        if sorted(names) != sorted(ids):
            raise Check(f"symbol names differ from the ids: extra {sorted(set(names) - set(ids))}, "
                        f"missing {sorted(set(ids) - set(names))}")
        state["symbols"] = flat

    await s.step("documentSymbol: one symbol per annotation, named by id", symbols)

    async def symbol_details():
        flat = state.get("symbols")
        if not flat:
            raise Check("not run: no symbols")
        kinds = {}
        cur = None
        for ln in lines:
            m = re.match(r"^\s*- id:\s*(\S+)\s*$", ln)
            if m:
                cur = m.group(1)
                continue
            m = re.match(r"^    kind:\s*(\S+)\s*$", ln)
            if m and cur and cur not in kinds:
                kinds[cur] = m.group(1)
        wrong = [(x.name, getattr(x, "detail", None), kinds.get(x.name)) for x in flat
                 if getattr(x, "detail", None) != kinds.get(x.name)]
        if wrong:
            raise Check(f"{len(wrong)} symbols whose detail is not the annotation's kind, e.g. "
                        f"(name, detail, kind) {wrong[:3]}")

    await s.step("documentSymbol: the detail is the annotation's kind (spec §12)", symbol_details)

    # --- completion after `kind: `
    async def completion_kind():
        kl = find_line(lines, r"^    kind: ")
        col = lines[kl].index("kind: ") + len("kind: ")
        res = await s.request(
            s.client.text_document_completion_async(
                T.CompletionParams(
                    text_document=T.TextDocumentIdentifier(uri=tass_uri),
                    position=T.Position(line=kl, character=col_to_units(lines[kl], col, s.encoding)),
                    context=T.CompletionContext(trigger_kind=T.CompletionTriggerKind.Invoked),
                )
            )
        )
        items = res.items if isinstance(res, T.CompletionList) else (res or [])
        labels = [i.label for i in items]
        if "claim" not in labels:
            raise Check(f"no item 'claim' at line {kl} col {col}; labels: {labels[:20]}")

    await s.step("completion after `kind: ` offers claim", completion_kind)

    # --- unknown method
    async def unknown_method():
        try:
            res = await s.request(s.client.protocol.send_request_async("annot/nonsense", {}))
        except JsonRpcException as e:
            code = getattr(e, "code", None)
            if code != -32601:
                raise Check(f"error code {code}, expected -32601 ({e!r})") from None
        else:
            raise Check(f"got a result instead of an error: {res!r}")
        await hover_target()

    await s.step("unknown method: -32601, and the server answers a hover after it", unknown_method)

    # --- positions with non-ASCII text
    await polish_checks(s)

    async def close_clears():
        uri = s.uri(POLISH)
        mark = len(s.publishes)
        s.client.text_document_did_close(
            T.DidCloseTextDocumentParams(text_document=T.TextDocumentIdentifier(uri=uri))
        )
        p, _ = await s.wait_publish(uri, lambda p: True, start=mark)
        if p.diagnostics:
            raise Check(f"the publish after didClose has {len(p.diagnostics)} diagnostics")

    await s.step(f"didClose {POLISH}: diagnostics cleared (an empty publish)", close_clears)

    # --- shutdown / exit
    async def shutdown():
        await s.request(s.client.shutdown_async(None))

    if not await s.step("shutdown: answered", shutdown):
        return

    async def after_shutdown():
        try:
            res = await s.request(
                s.client.text_document_hover_async(
                    T.HoverParams(text_document=T.TextDocumentIdentifier(uri=tass_uri), position=tpos)
                )
            )
        except JsonRpcException as e:
            if getattr(e, "code", None) != -32600:
                raise Check(f"error code {getattr(e, 'code', None)}, expected -32600 ({e!r})") from None
        else:
            raise Check(f"a hover after shutdown got a result, expected error -32600: {res!r}")

    await s.step("a request after shutdown: error -32600 (spec §12)", after_shutdown)

    async def shutdown_exit():
        s.client.exit(None)
        rc = await s.wait_exit(EXIT_TIMEOUT)
        if rc is None:
            raise Check(f"still running {EXIT_TIMEOUT:g} s after exit")
        if rc != 0:
            raise Check(f"exit status {rc} after shutdown + exit, expected 0")

    await s.step("exit after shutdown: status 0 within 5 s", shutdown_exit)


async def polish_checks(s: Session) -> None:
    """Hover and a diagnostic range on lines with Polish letters, with columns
    in the negotiated encoding."""
    uri = s.uri(POLISH)
    text = (s.root / POLISH).read_text(encoding="utf-8")
    lines = split_lines(text)
    enc = s.encoding

    async def open_polish():
        mark = len(s.publishes)
        s.client.text_document_did_open(
            T.DidOpenTextDocumentParams(
                text_document=T.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
            )
        )
        p, _ = await s.wait_publish(uri, lambda p: True, start=mark)
        if p.diagnostics:
            raise Check(f"{len(p.diagnostics)} diagnostics on the clean file: {[d.message for d in p.diagnostics]}")

    await s.step(f"didOpen {POLISH}: empty diagnostics", open_polish)

    ql = find_line(lines, r'^\s*quote: "drugiej w ciągu miesiąca wizyty"')
    quote = "drugiej w ciągu miesiąca wizyty"

    async def hover_polish():
        line = lines[ql]
        # the last letter of the quote: after ą and ą, so the unit matters
        col = line.index(quote) + len(quote) - 1
        units = col_to_units(line, col, enc)
        h = await s.request(
            s.client.text_document_hover_async(
                T.HoverParams(
                    text_document=T.TextDocumentIdentifier(uri=uri),
                    position=T.Position(line=ql, character=units),
                )
            )
        )
        if h is None:
            raise Check(f"hover at line {ql} column {units} ({enc}) returned null")
        t, _ = hover_text(h)
        if quote not in t:
            raise Check(f"hover does not contain {quote!r}: {t!r}")
        if h.range is not None:
            try:
                covered = range_text(text, h.range, enc)
            except ValueError as e:
                raise Check(f"hover range is not valid in {enc}: {e}") from None
            if not covered:
                raise Check(f"hover range {h.range} is empty")

    await s.step(f"hover on a Polish quote at a column in {enc} units", hover_polish)

    async def diag_range_polish():
        sl = find_line(lines, r"^    start: 65$", ql)
        col = lines[sl].index("65")
        rng = T.Range(start=T.Position(line=sl, character=col), end=T.Position(line=sl, character=col + 2))
        mark = len(s.publishes)
        s.client.text_document_did_change(
            T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[T.TextDocumentContentChangePartial(range=rng, text="66")],
            )
        )
        broken = apply_text_edits(text, [T.TextEdit(range=rng, new_text="66")], enc)
        p, _ = await s.wait_publish(uri, lambda p: p.version == 2, start=mark)
        mism = [d for d in p.diagnostics if d.code == "quote-mismatch"]
        # put the file back whatever happens, and wait for its re-check
        mark = len(s.publishes)
        s.client.text_document_did_change(
            T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=3),
                content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        restored, _ = await s.wait_publish(uri, lambda p: p.version == 3, start=mark)
        if not mism:
            raise Check(f"no quote-mismatch after start 65 -> 66: {[(d.code, d.message) for d in p.diagnostics]}")
        if restored.diagnostics:
            raise Check(f"after restoring the text (version 3), {len(restored.diagnostics)} diagnostics remain")
        d = mism[0]
        # the place in the seed, in the negotiated unit too
        seed_rel = re.search(r"(?m)^source: (\S+)", text).group(1)
        seed_text = (s.root / seed_rel).read_text(encoding="utf-8")
        seen = []
        for r in d.related_information or []:
            if uri_eq(r.location.uri, s.uri(seed_rel)):
                try:
                    seen.append(range_text(seed_text, r.location.range, enc))
                except ValueError as e:
                    seen.append(f"<invalid range in {enc}: {e}>")
        if quote not in seen:
            raise Check(f"relatedInformation in {seed_rel} covers {seen!r}, expected the quote {quote!r} "
                        f"(ranges in {enc} units)")
        if d.range.start.line != ql:
            raise Check(f"range on line {d.range.start.line}, expected the quote line {ql}")
        try:
            covered = range_text(broken, d.range, enc)
        except ValueError as e:
            raise Check(f"diagnostic range is not valid in {enc} units: {e} (range {d.range})") from None
        if d.range.end.line != ql:
            return  # a range over several lines: nothing to say about columns
        # Where the range meets the quoted value it must cover all of it: with
        # a wrong unit the end column lands short of the value's end (each ą
        # is 2 bytes in UTF-8, 1 unit in UTF-16).
        line = split_lines(broken)[ql]
        vs = line.index('"' + quote + '"')
        ve = vs + len(quote) + 2
        a = units_to_col(line, d.range.start.character, enc)
        b = units_to_col(line, d.range.end.character, enc)
        covers_quote = a <= vs + 1 and b >= ve - 1
        misses_value = b <= vs or a >= ve
        if not (covers_quote or misses_value):
            raise Check(f"the diagnostic range covers {covered!r}, a cut-off piece of the quoted value: "
                        f"are its columns in {enc} units? (range {d.range})")

    await s.step(f"diagnostic range on a Polish quote is in {enc} units", diag_range_polish)


async def run_utf8_and_eof(binary: str, root: Path, results: Results) -> None:
    s = Session(binary, root, results, "utf-8 run")
    await s.start()
    try:
        ok = await s.step("initialize with positionEncodings [utf-8]: positionEncoding utf-8",
                          initialize, s, ["utf-8"], "utf-8")
        if ok:
            await polish_checks(s)

        async def eof_exit():
            await asyncio.sleep(0.2)
            if s.proc.returncode is not None:
                raise Check(f"the server had already exited (status {s.proc.returncode}) before stdin was closed")
            s.proc.stdin.close()
            rc = await s.wait_exit(EXIT_TIMEOUT)
            if rc is None:
                raise Check(f"still running {EXIT_TIMEOUT:g} s after stdin closed")
            if rc != 1:
                raise Check(f"exit status {rc} after stdin closed without shutdown, expected 1")

        await s.step("stdin closed without shutdown: exits with status 1 within 5 s", eof_exit)
    finally:
        await s.kill()


async def run_no_encoding(binary: str, root: Path, results: Results) -> None:
    """A client that offers no positionEncodings gets UTF-16."""
    s = Session(binary, root, results, "no-encoding run")
    await s.start()
    try:
        async def before_init():
            try:
                res = await s.request(
                    s.client.text_document_hover_async(
                        T.HoverParams(
                            text_document=T.TextDocumentIdentifier(uri=s.uri(TASS)),
                            position=T.Position(line=0, character=0),
                        )
                    )
                )
            except JsonRpcException as e:
                if getattr(e, "code", None) != -32002:
                    raise Check(f"error code {getattr(e, 'code', None)}, expected -32002 ({e!r})") from None
            else:
                raise Check(f"a hover before initialize got a result, expected error -32002: {res!r}")

        await s.step("a request before initialize: error -32002 (spec §12)", before_init)
        await s.step("initialize without positionEncodings: utf-16", initialize, s, [], "utf-16")
    finally:
        await s.kill()


def make_workspace() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="annot-lsp-e2e-")).resolve()
    for d in ("annotations", "seeds", "schema"):
        shutil.copytree(REPO / d, tmp / d)
    if (REPO / ".gitattributes").exists():
        shutil.copy2(REPO / ".gitattributes", tmp / ".gitattributes")
    env = dict(os.environ, GIT_AUTHOR_NAME="lsp-e2e", GIT_AUTHOR_EMAIL="lsp-e2e@example.invalid",
               GIT_COMMITTER_NAME="lsp-e2e", GIT_COMMITTER_EMAIL="lsp-e2e@example.invalid")
    git = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "workspace"]):
        subprocess.run(git + args, cwd=tmp, env=env, check=True)
    return tmp


async def amain(binary: str) -> int:
    results = Results()
    root = make_workspace()
    print(f"workspace: {root}\nserver:    {binary} lsp", flush=True)
    try:
        for run in (run_main, run_utf8_and_eof, run_no_encoding):
            try:
                await run(binary, root, results)
            except Check as e:
                results.fail(run.__name__, str(e))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n_ok, n_fail = len(results.passed), len(results.failed)
    print(f"\n{n_ok} passed, {n_fail} failed")
    return 0 if n_fail == 0 else 1


def main() -> int:
    global VERBOSE, LOG
    args = []
    argv = sys.argv[1:]
    while argv:
        a = argv.pop(0)
        if a in ("-v", "--verbose"):
            VERBOSE = True
        elif a == "--log" and argv:
            LOG = open(argv.pop(0), "w", encoding="utf-8")
        elif a.startswith("--log="):
            LOG = open(a[len("--log="):], "w", encoding="utf-8")
        else:
            args.append(a)
    if len(args) != 1:
        print("usage: python3 scripts/lsp-e2e.py PATH/TO/annot [-v] [--log FILE]", file=sys.stderr)
        print("  -v          echo the server's stderr and window/logMessage", file=sys.stderr)
        print("  --log FILE  write every message exchanged, one JSON object a line", file=sys.stderr)
        return 2
    binary = shutil.which(args[0]) or args[0]
    binary = str(Path(binary).resolve())
    if not os.access(binary, os.X_OK):
        print(f"lsp-e2e: {binary} is not an executable", file=sys.stderr)
        return 2
    return asyncio.run(amain(binary))


if __name__ == "__main__":
    sys.exit(main())
