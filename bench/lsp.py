#!/usr/bin/env python3
"""`annot lsp` on a generated workspace, driven over stdio as an editor
drives it (SPEC §8 and §12): first diagnostics after start, diagnostics
after single edits of a 100-annotation file, hover / definition /
completion, resident memory. Prints the floor of the same run: the time
to start the process and answer `initialize`, and to `cat` the files.

    python3 bench/lsp.py ANNOT WORKSPACE [EDITS]

WORKSPACE comes from `cargo run --release --example gen -- M DIR`;
bench/lsp.sh does both.
"""
import json, os, queue, statistics, subprocess, sys, threading, time

annot, root = os.path.abspath(sys.argv[1]), os.path.realpath(sys.argv[2])
edits = int(sys.argv[3]) if len(sys.argv) > 3 else 40


class Server:
    def __init__(self):
        self.started = time.perf_counter()
        self.p = subprocess.Popen([annot, "lsp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=root)
        self.q = queue.Queue()
        self.next = 0
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        f = self.p.stdout
        while True:
            headers = {}
            while True:
                line = f.readline()
                if not line:
                    self.q.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                k, v = line.split(b":", 1)
                headers[k.lower()] = int(v) if k.lower() == b"content-length" else v
            body = f.read(headers[b"content-length"])
            self.q.put((time.perf_counter(), json.loads(body)))

    def send(self, message):
        body = json.dumps(message).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next += 1
        sent = time.perf_counter()
        self.send({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})
        while True:
            at, m = self.q.get(timeout=60)
            if m.get("id") == self.next and "method" not in m:
                if "error" in m:
                    sys.exit(f"{method}: {m['error']}")
                return at - sent, m.get("result")

    def diagnostics(self, uri, version):
        while True:
            at, m = self.q.get(timeout=60)
            if (m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri and m["params"].get("version") == version):
                return at, m["params"]["diagnostics"]

    def rss_mb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def pick_file():
    for dirpath, _, names in sorted(os.walk(os.path.join(root, "annotations"))):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            text = open(path, encoding="utf-8").read()
            if text.count("\n  - id: ") == 100 and "\nsource:" in "\n" + text:
                return os.path.relpath(path, root), text
    sys.exit("no 100-annotation file under annotations/")


def median_ms(xs):
    return f"{statistics.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f}, n={len(xs)})"


rel, text = pick_file()
uri = "file://" + os.path.join(root, rel)

# The floor: reading every file the server reads.
t = time.perf_counter()
subprocess.run("find annotations seeds schema -type f -exec cat {} + > /dev/null", shell=True, cwd=root, check=True)
floor_cat = time.perf_counter() - t

s = Server()
init, _ = s.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + root, "capabilities": {}})
initialized_at = time.perf_counter()
s.notify("initialized", {})
s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
first_at, first = s.diagnostics(uri, 1)
first_diagnostics = first_at - s.started

lines = text.split("\n")
start_lines = [i for i, l in enumerate(lines) if l.startswith("    start: ")]
latencies = []
current = list(lines)
version = 1
for n in range(edits):
    i = start_lines[(n // 2) % len(start_lines)]
    # Break one offset, then put it back: every other edit clears it again.
    old = current[i]
    value = int(old.split(": ")[1])
    new = f"    start: {value + 1}" if n % 2 == 0 else f"    start: {value - 1}"
    version += 1
    change = {"range": {"start": {"line": i, "character": 0}, "end": {"line": i, "character": len(old)}}, "text": new}
    sent = time.perf_counter()
    s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
    at, diagnostics = s.diagnostics(uri, version)
    latencies.append(at - sent)
    current[i] = new
    expected = 1 if n % 2 == 0 else 0
    if len(diagnostics) != expected:
        sys.exit(f"edit {n}: expected {expected} diagnostic(s), got {diagnostics}")

def positions(prefix, shift):
    return [(i, len(prefix) + shift) for i, l in enumerate(current) if l.startswith(prefix)]

quotes = positions("    quote: ", 2)[:40]
targets = [(i, l.index("target: ") + 10) for i, l in enumerate(current) if "target: " in l][:40]
kinds = positions("    kind: ", 0)[:40]
measured = {}
for name, method, places in [
    ("hover on a quote", "textDocument/hover", quotes),
    ("hover on a link target", "textDocument/hover", targets),
    ("definition of a link target", "textDocument/definition", targets),
    ("completion of a kind", "textDocument/completion", kinds),
    ("completion of a link target", "textDocument/completion", targets),
]:
    times = []
    for line, character in places:
        took, result = s.request(method, {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        if not result:
            sys.exit(f"{name}: no result at {line}:{character}")
        times.append(took)
    measured[name] = times

rss, peak = s.rss_mb()
s.request("shutdown", None)
s.notify("exit", None)
status = s.p.wait(timeout=10)

# The floor of starting: a server that only answers initialize and stops.
t = time.perf_counter()
f = Server()
f.request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {}})
f.request("shutdown", None)
f.notify("exit", None)
f.p.wait(timeout=10)
floor_start = time.perf_counter() - t

files = sum(len(n) for _, _, n in os.walk(os.path.join(root, "annotations")))
print(f"workspace: {root} ({files} annotation files); edited file: {rel}")
print(f"floor: cat every file {floor_cat * 1000:.0f} ms; start + initialize + shutdown {floor_start * 1000:.0f} ms")
print(f"first diagnostics after process start: {first_diagnostics * 1000:.0f} ms (target <= 1000 ms)")
print(f"diagnostics after an edit: median {median_ms(latencies)} (target <= 50 ms)")
for name, times in measured.items():
    print(f"{name}: median {median_ms(times)} (target <= 20 ms)")
print(f"resident memory at the end: {rss:.0f} MB, peak {peak:.0f} MB (target <= 300 MB)")
print(f"exit status after shutdown: {status}")
