#!/usr/bin/env python3
"""Loads pages of an `annot render` report in headless Chromium and reports
what a reader's browser sees, for tests/browser.rs.

    check.py JOB.json   (prints one JSON object on stdout)

JOB: {"chromium": PATH, "axe": PATH-OF-axe.min.js-or-null,
      "pages": [{"url", "seed", "quotes"}],
      "screenshots": [{"url", "path", "width", "height", "mobile"}]}

Chromium is driven over --remote-debugging-pipe (the DevTools protocol on
file descriptors 3 and 4), so nothing but the standard library is needed.
For each page: console messages and uncaught exceptions, every request
that is not file: or data:, failed loads, whether the source-text element's
text is the seed, whether each highlight's text (its parts joined in
document order, per container) is its quote, axe-core's serious and
critical violations (when JOB names axe.min.js), horizontal overflow at 390
and 320 CSS px, and whether the first highlight marker opens the details
panel and Escape closes it again.
"""

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

CHECK = r"""
(function (seed, quotes) {
  var out = {};
  var text = document.querySelector('[data-role="source-text"]');
  out.has_text = !!text;
  if (text && seed !== null) {
    var got = text.textContent;
    out.text_equal = got === seed || (seed.charAt(0) === "\ufeff" && got === seed.slice(1));
    out.white_space = getComputedStyle(text).whiteSpace;
  }
  var groups = {};
  var order = [];
  var marks = document.querySelectorAll("[data-annot-id]");
  for (var i = 0; i < marks.length; i++) {
    var m = marks[i];
    var box = m.closest("[data-role], figure") || document.body;
    if (!box.hasAttribute("data-box")) { box.setAttribute("data-box", String(order.length)); order.push(box); }
    var key = box.getAttribute("data-box") + " " + m.getAttribute("data-annot-id");
    if (!(key in groups)) { groups[key] = ""; }
    groups[key] += m.textContent;
  }
  out.highlights = 0;
  out.mismatches = [];
  for (var key in groups) {
    out.highlights++;
    var id = key.slice(key.indexOf(" ") + 1);
    if (quotes[id] !== groups[key]) { out.mismatches.push(id); }
  }
  if (text) {
    var ids = {};
    var inText = text.querySelectorAll("[data-annot-id]");
    for (var k = 0; k < inText.length; k++) { ids[inText[k].getAttribute("data-annot-id")] = true; }
    out.text_ids = Object.keys(ids).length;
    out.text_refs = text.querySelectorAll("a.ref").length;
  }
  var refs = document.querySelectorAll("[data-role] a.ref");
  out.refs = refs.length;
  out.unlabelled_refs = 0;
  for (var j = 0; j < refs.length; j++) {
    if (!refs[j].getAttribute("aria-label") || !refs[j].getAttribute("href")) { out.unlabelled_refs++; }
  }
  var first = document.querySelector('[data-role="source-text"] a.ref');
  if (first) {
    var panel = document.getElementById("_panel");
    first.focus();
    first.click();
    out.panel_opened = !panel.hidden && panel.querySelector(".panel-body").children.length > 0
      && document.activeElement === panel;
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    out.panel_closed = panel.hidden && document.activeElement === first;
  }
  for (var b = 0; b < order.length; b++) { order[b].removeAttribute("data-box"); }
  return JSON.stringify(out);
})
"""


# Accessibility: axe-core's serious and critical violations (WCAG A/AA).
AXE_RUN = r"""
axe.run(document, {preload: false, runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then(function (r) {
    return JSON.stringify(r.violations
      .filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
      .map(function (v) { return v.id + " (" + v.impact + "): " + v.nodes.length + " nodes, e.g. " + v.nodes[0].html.slice(0, 160); }));
  })
"""


class Cdp:
    def __init__(self, read_fd, write_fd):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buf += chunk
        message, _, self.buf = self.buf.partition(b"\0")
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.write_fd, data):]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    del self.events[i]
                    return event
            self.events.append(self._read(deadline))


def high_fd(fd):
    """A copy of fd numbered 10 or more, so placing 3 and 4 clobbers nothing."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


def start(chromium, profile):
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    child_r, child_w = high_fd(to_chrome_r), high_fd(from_chrome_w)
    os.close(to_chrome_r)
    os.close(from_chrome_w)

    def place_fds():
        os.dup2(child_r, 3)
        os.dup2(child_w, 4)

    args = [
        chromium, "--headless", "--remote-debugging-pipe", "--no-sandbox",
        "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps",
        "--hide-scrollbars", "--mute-audio", "--user-data-dir=" + profile,
        "about:blank",
    ]
    proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=place_fds,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(child_r)
    os.close(child_w)
    return proc, Cdp(from_chrome_r, to_chrome_w)


def open_page(cdp):
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(domain + ".enable", session=session)
    return session


def viewport(cdp, session, width, height, mobile):
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
             session=session)


def evaluate(cdp, session, expression):
    result = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                      session=session)
    if "exceptionDetails" in result:
        raise RuntimeError(json.dumps(result["exceptionDetails"]))
    return result["result"].get("value")


def navigate(cdp, session, url):
    cdp.events.clear()
    cdp.send("Page.navigate", {"url": url}, session=session)
    cdp.wait_for("Page.loadEventFired")


def seen(cdp):
    """Console output, exceptions and requests since the last navigation."""
    console, outside, failed = [], [], []
    for event in cdp.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            console.append(params.get("type", "") + ": " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            console.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            console.append(entry.get("level", "") + ": " + entry.get("text", ""))
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if not (url.startswith("file:") or url.startswith("data:")):
                outside.append(url)
        elif method == "Network.loadingFailed":
            failed.append(params.get("errorText", ""))
    return console, outside, failed


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    profile = tempfile.mkdtemp(prefix="annot-chromium-")
    proc, cdp = start(job.get("chromium", "chromium"), profile)
    results = []
    axe = None
    if job.get("axe"):
        with open(job["axe"], encoding="utf-8") as f:
            axe = f.read()
    try:
        session = open_page(cdp)
        for page in job.get("pages", []):
            viewport(cdp, session, 1280, 900, False)
            navigate(cdp, session, page["url"])
            check = json.loads(evaluate(
                cdp, session,
                CHECK + "(" + json.dumps(page.get("seed")) + "," + json.dumps(page.get("quotes", {})) + ")"))
            # What the page itself did, before anything is injected.
            console, outside, failed = seen(cdp)
            if axe:
                evaluate(cdp, session, axe)
                found = cdp.send("Runtime.evaluate", {
                    "expression": AXE_RUN, "returnByValue": True, "awaitPromise": True,
                }, session=session, timeout=60)
                check["axe"] = json.loads(found["result"]["value"])
            overflow = {}
            for width in (390, 320):
                viewport(cdp, session, width, 800, True)
                overflow[str(width)] = evaluate(
                    cdp, session,
                    "document.documentElement.scrollWidth > document.documentElement.clientWidth")
            check.update({"url": page["url"], "console": console, "outside": outside,
                          "failed": failed, "overflow": overflow})
            results.append(check)
        for shot in job.get("screenshots", []):
            viewport(cdp, session, shot["width"], shot["height"], shot.get("mobile", False))
            navigate(cdp, session, shot["url"])
            if shot.get("click"):
                evaluate(cdp, session, "document.querySelector(" + json.dumps(shot["click"]) + ").click()")
            import base64
            data = cdp.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            with open(shot["path"], "wb") as f:
                f.write(base64.b64decode(data))
        try:
            cdp.send("Browser.close", timeout=5)
        except Exception:
            pass
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    json.dump({"pages": results}, sys.stdout)


if __name__ == "__main__":
    main()
