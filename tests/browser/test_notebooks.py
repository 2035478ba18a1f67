"""The learner's path through each notebook, in JupyterLab in a real (headless) Chromium.

For every notebook given:
  1. open the committed file as a learner opens it (untrusted: a fresh Jupyter data folder, so
     no notebook signature exists): every figure output in the file must render (an <img> or
     <svg> with a non-zero natural size), and no output may show raw EVCXR_BEGIN_CONTENT text;
  2. "Restart the kernel and run all cells" from the notebook toolbar: every code cell gets an
     execution count, no error output, no `panicked` / `error[E` on stderr, the same number of
     figures rendered; the wall time is recorded;
  3. "Clear Outputs of All Cells" (Edit menu), then the first five code cells one at a time with
     Shift+Enter, as a learner following along does: each one that has outputs in the file
     shows output again.
Screenshots (top and a few scroll positions, on open and after running) go to --out.

JupyterLab is the workshop's own (.venv, started here on 127.0.0.1 with a random token and
throw-away settings: autosave off, so the committed notebooks are never written — checked by
hashing them before and after; no windowing, so every cell is in the page). Chromium and
chromedriver are Debian's (tests/browser/ensure_chromium.sh).

Usage: tests/browser/.venv/bin/python tests/browser/test_notebooks.py --jupyter .venv/bin/jupyter
           --out DIR [--cell-timeout S] [--open-only] NOTEBOOK.ipynb...
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

# settings a learner's JupyterLab does not need but a test does (see the module doc)
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}

# one JS pass over the notebook's outputs: how many show a figure, how many figures are broken
COUNT_FIGURES = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
if (!nb) return null;
let shown = 0, broken = 0, raw = 0, outputs = 0;
for (const out of nb.querySelectorAll('.jp-OutputArea-output')) {
  outputs += 1;
  if (out.innerText.includes('EVCXR_BEGIN_CONTENT')) raw += 1;
  const imgs = [...out.querySelectorAll('img')], svgs = [...out.querySelectorAll('svg')]
      .filter(s => !s.closest('button, .jp-icon, jp-button'));
  if (!imgs.length && !svgs.length) continue;
  const ok = imgs.every(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)
      && svgs.every(s => { const r = s.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  if (ok) shown += 1; else broken += 1;
}
return {shown, broken, raw, outputs};
"""

PROMPTS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
return [...nb.querySelectorAll('.jp-CodeCell')].map(c => {
  const p = c.querySelector('.jp-InputPrompt');
  return p ? p.innerText.trim() : '';
});
"""

STDERR_TEXT = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
return [...nb.querySelectorAll('.jp-CodeCell')].map(c =>
  [...c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(o => o.innerText).join('\\n'));
"""

CELL_OUTPUTS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
return [...nb.querySelectorAll('.jp-CodeCell')].map(c => c.querySelectorAll('.jp-OutputArea-output').length);
"""

BAD_STDERR = re.compile(r"panicked|error\[E\d+\]|^Error: |Child process terminated", re.M)


def file_figures(nb):
    """Figure outputs in the notebook file: PNG or SVG outputs, or HTML holding an <img>."""
    n = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data or "image/svg+xml" in data or "<img" in "".join(data.get("text/html", "")):
                n += 1
    return n


def code_cells_with_outputs(nb):
    return [bool(c.get("outputs")) for c in nb["cells"] if c["cell_type"] == "code"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(pred, timeout, what, step=0.5):
    t = time.time()
    while True:
        v = pred()
        if v:
            return v
        if time.time() - t > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


class Lab:
    def __init__(self, jupyter, root, out):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="brainml-browser-"))
        for rel, value in SETTINGS.items():
            p = self.tmp / "settings" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(value))
        self.port, self.token = free_port(), secrets.token_hex(16)
        env = dict(os.environ,
                   JUPYTER_DATA_DIR=str(self.tmp / "data"),      # no notebook signatures: untrusted
                   JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(self.tmp / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"))
        args = [jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                f"--IdentityProvider.token={self.token}", f"--notebook-dir={root}",
                "--ServerApp.open_browser=False", "--LabApp.news_url=", "--ServerApp.disable_check_xsrf=False"]
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.log = open(out / "jupyterlab.log", "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"

        def up():
            try:
                return urllib.request.urlopen(url, timeout=2).status == 200
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited; see {out / 'jupyterlab.log'}")
                return False
        wait(up, 120, "JupyterLab to answer")

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/lab/tree/{name}?token={self.token}&reset"

    def kernels_idle(self):
        """True when every running kernel has started and reports `idle` (REST /api/kernels)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/kernels?token={self.token}",
                                    timeout=10) as r:
            kernels = json.load(r)
        return bool(kernels) and all(k.get("execution_state") == "idle" for k in kernels)

    def shutdown_kernels(self):
        """End every session's kernel (each holds a build slot and rust-analyzer's memory)."""
        base = f"http://127.0.0.1:{self.port}/api/sessions"
        with urllib.request.urlopen(f"{base}?token={self.token}", timeout=10) as r:
            sessions = json.load(r)
        for s in sessions:
            req = urllib.request.Request(f"{base}/{s['id']}?token={self.token}", method="DELETE")
            urllib.request.urlopen(req, timeout=60).close()

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]:
        o.add_argument(a)
    o.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='brainml-chromium-')}")
    # leaving a notebook with unsaved changes (autosave is off) asks "leave the page?": yes
    o.set_capability("unhandledPromptBehavior", "accept")
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=o)


def screenshots(d, out, stem, n=3):
    """Top of the notebook and n-1 further scroll positions."""
    d.execute_script("document.querySelectorAll('.jp-WindowedPanel-outer').forEach(e => e.scrollTop = 0)")
    for k in range(n):
        d.execute_script("""
const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
if (s) s.scrollTop = arguments[0] * (s.scrollHeight - s.clientHeight) / Math.max(1, arguments[1] - 1);""", k, n)
        time.sleep(0.5)
        d.save_screenshot(str(out / f"{stem}-{k + 1}.png"))


def count_when_settled(d, timeout=60):
    """Figures counted once the images have decoded (the count stops changing)."""
    last, same = None, 0
    t = time.time()
    while time.time() - t < timeout:
        c = d.execute_script(COUNT_FIGURES)
        if c and c == last and c["broken"] == 0:
            same += 1
            if same >= 3:
                return c
        else:
            same = 0
        last = c
        time.sleep(0.5)
    return last


def click_command(d, command, timeout=30):
    el = wait(lambda: next(iter(d.find_elements(By.CSS_SELECTOR,
              f'.jp-NotebookPanel:not(.lm-mod-hidden) [data-command="{command}"]')), None), timeout, command)
    el.click()  # a real click: lumino ignores a scripted one on its toolbar buttons


def accept_dialog(d, timeout=30):
    btn = wait(lambda: next(iter(d.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept")), None),
               timeout, "the dialog's accept button")
    btn.click()


def wait_executed(d, n_cells, timeout, what):
    def done():
        p = d.execute_script(PROMPTS)
        return len(p) == n_cells and all(re.fullmatch(r"\[\d+\]:", x) for x in p) and p
    return wait(done, timeout, what, step=1.0)


def check_figures(d, want, when, row, problems):
    """Every figure output rendered, none broken, no raw evcxr protocol text."""
    c = count_when_settled(d)
    row[f"shown {when}"] = c["shown"]
    if c["shown"] != want or c["broken"]:
        problems.append(f"{when}: {c['shown']} of {want} figures rendered, {c['broken']} broken")
    if c["raw"]:
        problems.append(f"{when}: {c['raw']} outputs show raw EVCXR_BEGIN_CONTENT text")


def check_notebook(d, lab, path, out, cell_timeout, row, problems, open_only=False):
    """Fills `row` (figures, times) and `problems` as it goes, so a step that raises still
    leaves what the earlier steps found."""
    name = path.name
    stem = path.stem
    nb = json.loads(path.read_text())
    want = file_figures(nb)
    has_out = code_cells_with_outputs(nb)
    row["figures in file"] = want

    # 1. open the committed notebook
    d.get(lab.url(name))
    wait(lambda: d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Notebook .jp-CodeCell"),
         120, f"{name} to open")
    check_figures(d, want, "on open", row, problems)
    screenshots(d, out, f"{stem}-open")
    if open_only:
        return

    # 2. restart the kernel and run all cells, from the notebook toolbar — once the kernel that
    # opening the notebook started is up and idle (a restart while evcxr is still starting
    # broke the kernel's websocket and left every cell queued for ever)
    wait(lab.kernels_idle, 120, f"{name}: the kernel to start", step=0.5)
    time.sleep(1)
    t = time.time()
    click_command(d, "notebook:restart-run-all")
    accept_dialog(d)
    n_code = len(has_out)
    # the file's own prompts ([1]: … [n]:) look exactly like a finished run: wait until the
    # restarted kernel has queued the cells ([*]:) before waiting for them to finish (a fixed
    # pause raced a slow kernel restart and "finished" after 2 s)
    try:
        wait(lambda: "[*]:" in d.execute_script(PROMPTS), 180, f"{name}: the cells to be queued", step=0.1)
    except TimeoutError as e:
        problems.append(f"run all did not start: {e}")
    try:
        # bounded: a kernel that stops answering must fail the test, not outlast CI's 90 minutes
        wait_executed(d, n_code, min(cell_timeout * n_code, 1500), f"{name}: every cell to run")
    except TimeoutError as e:
        problems.append(f"run all: {e}; prompts {d.execute_script(PROMPTS)}")
    row["run all (s)"] = round(time.time() - t, 1)
    for i, text in enumerate(d.execute_script(STDERR_TEXT)):
        m = BAD_STDERR.search(text)
        if m:
            problems.append(f"run all: code cell {i + 1} shows an error: {text[max(0, m.start() - 80):m.end() + 200]!r}")
    check_figures(d, want, "after run all", row, problems)
    screenshots(d, out, f"{stem}-run", n=2)

    # 3. clear all outputs, then the first five code cells one at a time with Shift+Enter
    menu = wait(lambda: next((m for m in d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
                              if m.text.strip() == "Edit"), None), 30, "the Edit menu")
    menu.click()
    item = wait(lambda: next((m for m in d.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")
                              if m.text.startswith("Clear Outputs of All Cells")), None), 30,
                "Edit > Clear Outputs of All Cells")
    item.click()
    wait(lambda: sum(d.execute_script(CELL_OUTPUTS)) == 0, 30, "outputs to clear")
    stepped = 0
    for k in range(min(5, n_code)):
        cell = d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell")[k]
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").click()
        ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

        def ran():
            p = d.execute_script(PROMPTS)[k]
            return re.fullmatch(r"\[\d+\]:", p) is not None
        try:
            wait(ran, cell_timeout, f"code cell {k + 1} to run")
        except TimeoutError as e:
            problems.append(f"step through: {e}")
            break
        if has_out[k]:
            try:
                wait(lambda: d.execute_script(CELL_OUTPUTS)[k] > 0, 30, f"code cell {k + 1}'s output")
            except TimeoutError as e:
                problems.append(f"step through: {e}")
        stepped += 1
    row["stepped through"] = stepped
    d.save_screenshot(str(out / f"{stem}-stepped.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+", type=pathlib.Path)
    ap.add_argument("--jupyter", required=True)
    ap.add_argument("--out", required=True, type=pathlib.Path)
    ap.add_argument("--cell-timeout", type=float, default=900)
    ap.add_argument("--open-only", action="store_true", help="only step 1 (no kernel needed)")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    paths = [p.resolve() for p in a.notebooks]
    root = paths[0].parent
    if any(p.parent != root for p in paths):
        sys.exit("all notebooks must be in one folder")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    lab = Lab(a.jupyter, root, a.out)
    d = browser()
    rows, failures = [], []
    try:
        for p in paths:
            row, problems = {"notebook": p.name}, []
            try:
                check_notebook(d, lab, p, a.out, a.cell_timeout, row, problems, a.open_only)
            except Exception as e:  # a step that could not even be tried is a failure of that notebook
                d.save_screenshot(str(a.out / f"{p.stem}-failure.png"))
                problems.append(f"{type(e).__name__}: {e}")
            rows.append(row)
            failures += [f"{p.name}: {x}" for x in problems]
            print(f"   {p.name}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "notebook")
                  + ("" if not problems else f"  -- {len(problems)} problem(s)"), flush=True)
            # leave the notebook without saving (autosave is off): close its kernel for the next
            d.get("about:blank")
            lab.shutdown_kernels()
    finally:
        d.quit()
        lab.close()
    for p in paths:
        if hashlib.sha256(p.read_bytes()).hexdigest() != before[p]:
            failures.append(f"{p.name}: the committed notebook was modified by the browser session")
    (a.out / "summary.json").write_text(json.dumps({"rows": rows, "failures": failures}, indent=1))
    print(f"   screenshots and summary.json in {a.out}")
    for f in failures:
        print(f"   FAIL {f}", file=sys.stderr)
    n_ok = len(paths) - len({f.split(':')[0] for f in failures})
    print(f"browser: {n_ok} passed, {len(paths) - n_ok} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
