#!/usr/bin/env python3
"""Dashboard budget bench: 500 servers, a live-update flood, and the gzipped sizes.

Serves a built dashboard (dist/) and a generated fake API from one local port, opens it in
headless Chromium, and prints what the page itself measured with the browser's performance
timing:

  * render: from the end of the /api/servers response to the first frame painted with every
    card in the DOM (and the same from navigation start, which adds download and WASM compile);
  * live: while the fake /api/events pushes N updates a second for D seconds, the longest gap
    between animation frames, the 95th percentile, the long tasks (> 50 ms) and how late a 50 ms
    timer fired (input would wait as long);
  * sizes: gzip -9 of the WASM, the JS, the CSS and uPlot.

Usage: python3 frontend/bench/bench.py [--dist dist] [--servers 500] [--rate 200] [--seconds 10]
       [--serve-only]   (just serve the fake fleet on --port, to look at it in a browser)
Needs python3 and chromium (no packages beyond the standard library).
"""

import argparse
import gzip
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BENCH_JS = r"""
(async () => {
  const want = %(servers)d;
  const longTasks = [];
  try {
    new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)))
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
  const post = (r) => fetch('/__bench/result', {method: 'POST', body: JSON.stringify(r)});
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  const deadline = performance.now() + 60000;
  let firstCards = null;
  while (document.querySelectorAll('.server-card[data-server]').length < want) {
    if (performance.now() > deadline) { await post({error: 'cards never appeared'}); return; }
    if (firstCards === null && document.querySelector('.server-card[data-server]')) {
      firstCards = performance.now();
      await frame();
      firstCards = await new Promise((r) => setTimeout(() => r(performance.now()), 0));
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  const inDom = performance.now();
  await frame();
  // After the frame's style, layout and paint: the next task.
  const painted = await new Promise((r) => setTimeout(() => r(performance.now()), 0));
  const api = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/servers'));
  const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
  const result = {
    cards: document.querySelectorAll('.server-card[data-server]').length,
    dom_nodes: document.getElementsByTagName('*').length,
    first_screen_ms: api ? firstCards - api.responseEnd : null,
    parsed_ms: api ? performance.getEntriesByName('fw:servers-parsed')[0]?.startTime - api.responseEnd : null,
    applied_ms: api ? performance.getEntriesByName('fw:servers-applied')[0]?.startTime - api.responseEnd : null,
    render_ms: api ? painted - api.responseEnd : null,
    dom_ms: api ? inDom - api.responseEnd : null,
    from_navigation_ms: painted,
    wasm_fetched_ms: wasm ? wasm.responseEnd : null,
    api_response_end_ms: api ? api.responseEnd : null,
  };
  // Long tasks up to here: WASM start, decoding, the card chunks.
  result.load_long_tasks = longTasks.length;
  result.load_long_task_max_ms = longTasks.length ? Math.max(...longTasks) : 0;
  longTasks.length = 0;
  // Live flood: frames, long tasks, timer lag.
  const sampledBefore = [...document.querySelectorAll('.server-card')].map((c) => c.dataset.sampled).join();
  await fetch('/__bench/flood', {method: 'POST'});
  const gaps = []; const lags = [];
  const end = performance.now() + %(seconds)d * 1000;
  let last = await frame();
  const lagLoop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await new Promise((r) => setTimeout(r, 50));
      lags.push(performance.now() - t - 50);
    }
  };
  const lagDone = lagLoop();
  while (last < end) { const t = await frame(); gaps.push(t - last); last = t; }
  await lagDone;
  gaps.sort((a, b) => a - b); lags.sort((a, b) => a - b);
  const pct = (a, p) => a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : null;
  const sampledAfter = [...document.querySelectorAll('.server-card')].map((c) => c.dataset.sampled);
  const before = sampledBefore.split(',');
  result.live = {
    seconds: %(seconds)d,
    events_sent_per_s: %(rate)d,
    cards_updated: sampledAfter.filter((s, i) => s !== before[i]).length,
    frames: gaps.length,
    frame_gap_p50_ms: pct(gaps, 0.5), frame_gap_p95_ms: pct(gaps, 0.95), frame_gap_max_ms: gaps[gaps.length - 1],
    long_tasks: longTasks.length, long_task_max_ms: longTasks.length ? Math.max(...longTasks) : 0,
    timer_lag_p95_ms: pct(lags, 0.95), timer_lag_max_ms: lags[lags.length - 1],
    link: document.querySelector('[data-testid=live-indicator]')?.dataset.state,
  };
  await post(result);
})();
"""

STATUSES = ["healthy"] * 8 + ["warning", "critical", "offline"]


def iso(t):
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def make_server(i, now, rng):
    name = f"srv-{i:04d}"
    status = rng.choice(STATUSES)
    offline = status == "offline"
    sample = {
        "server_name": name,
        "cpu_percent": rng.uniform(0, 100), "cpu_load_1min": rng.uniform(0, 4),
        "cpu_load_5min": rng.uniform(0, 4), "cpu_load_15min": rng.uniform(0, 4),
        "ram_percentage": rng.uniform(5, 95), "swap_percentage": rng.uniform(0, 20),
        "disk_percentage": rng.uniform(10, 95), "logged_users": rng.randint(0, 5),
        "tcp_connections": rng.randint(1, 400), "uptime_seconds": rng.randint(600, 9_000_000),
        "timestamp": iso(now), "cpu_cores": 8, "ram_total_bytes": 16 << 30, "ram_used_bytes": 7 << 30,
        "disk_total_bytes": 500 << 30, "disk_used_bytes": 200 << 30, "disk_mount": "/", "hostname": name,
    }
    return {
        "name": name, "transport": "ssh", "host": f"10.0.{i // 250}.{i % 250 + 1}", "port": 22,
        "tags": [rng.choice(["prod", "staging", "dev"]), rng.choice(["web", "db", "cache", "batch"])],
        "status": {
            "server_name": name, "status": status,
            "cpu_status": "normal", "ram_status": "normal", "disk_status": "normal",
            "last_seen": iso(now), "reason": "timeout" if offline else None,
            "detail": "no answer within 10 s" if offline else None,
        },
        "latest": sample,
    }


class Fleet:
    def __init__(self, n):
        self.rng = random.Random(42)
        now = datetime.now(timezone.utc)
        self.servers = [make_server(i, now, self.rng) for i in range(n)]
        self.lock = threading.Lock()
        self.flood_until = 0.0
        self.result = None
        self.done = threading.Event()

    def bump(self):
        with self.lock:
            s = self.rng.choice(self.servers)
            s["latest"]["cpu_percent"] = self.rng.uniform(0, 100)
            s["latest"]["timestamp"] = iso(datetime.now(timezone.utc))
            s["status"]["last_seen"] = s["latest"]["timestamp"]
            return json.dumps(s)


def make_handler(dist: Path, fleet: Fleet, args):
    bench_js = (BENCH_JS % {"servers": args.servers, "seconds": args.seconds, "rate": args.rate}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def json(self, v, code=200):
            self.send(code, json.dumps(v).encode())

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            if self.path == "/__bench/flood":
                fleet.flood_until = time.time() + args.seconds
                self.send(204, b"")
            elif self.path == "/__bench/result":
                fleet.result = json.loads(body)
                self.send(204, b"")
                fleet.done.set()
            else:
                self.send(404, b"")

        def do_GET(self):
            url = urlparse(self.path)
            p, q = url.path, parse_qs(url.query)
            if p == "/__bench.js":
                return self.send(200, bench_js, "text/javascript")
            if p == "/api/servers":
                with fleet.lock:
                    return self.json(fleet.servers)
            if p == "/api/ui-config":
                return self.json({"refresh_secs": 30, "version": "bench"})
            if p == "/api/system/overview":
                return self.json({
                    "total_servers": len(fleet.servers), "online_servers": len(fleet.servers), "offline_servers": 0,
                    "avg_cpu": 50.0, "avg_ram": 50.0, "avg_disk": 50.0, "total_users": 3, "alerts": [],
                    "timestamp": iso(datetime.now(timezone.utc))})
            if p == "/api/users/top":
                now = iso(datetime.now(timezone.utc))
                return self.json([{"username": f"user{i}", "server_name": f"srv-{i % 7:04d}", "cpu": 90.0 - i,
                                   "mem": i * 1.5, "disk": None, "process_count": i + 1, "top_process": "python3",
                                   "timestamp": now, "rss_bytes": i << 24} for i in range(60)])
            if p.endswith("/metrics/range"):
                start = datetime.fromisoformat(q["from"][0].replace("Z", "+00:00"))
                end = datetime.fromisoformat(q["to"][0].replace("Z", "+00:00"))
                n = 300
                step = (end - start) / n
                return self.json([{"timestamp": iso(start + step * i), "cpu_percent": 40 + 30 * ((i % 50) / 50),
                                   "cpu_load_5min": 1.0, "ram_percentage": 60.0, "disk_percentage": 70.0,
                                   "cpu_load_1min": 1.2, "cpu_load_15min": 0.8, "swap_percentage": 2.0,
                                   "tcp_connections": 40.0 + i % 7, "logged_users": 2.0, "samples": 1}
                                  for i in range(n)])
            if p.endswith("/processes") or p.endswith("/disks"):
                now = iso(datetime.now(timezone.utc))
                procs = [{"pid": 100 + i, "user": "root", "command": f"worker-{i}", "cpu_percent": 9.5 - i,
                          "rss_bytes": (i + 1) << 24, "mem_percent": 1.0 + i, "threads": 4, "open_fds": None}
                         for i in range(5)]
                data = {"by_cpu": procs, "by_memory": procs[::-1]} if p.endswith("/processes") else {
                    "usage": [{"mount": "/", "device": "/dev/vda1", "fstype": "ext4", "size_bytes": 100 << 30,
                               "used_bytes": 40 << 30, "available_bytes": 60 << 30, "used_percent": 40.0,
                               "inodes_total": None, "inodes_used": None, "inodes_percent": None}],
                    "io": [{"device": "vda", "read_bytes_per_sec": 1536.0, "write_bytes_per_sec": 2.5e6,
                            "reads_per_sec": 3.0, "writes_per_sec": 12.0, "busy_percent": 4.2}]}
                return self.json({"server_name": p.split("/")[3], "timestamp": now, "data": data})
            if p == "/api/events":
                return self.events()
            if p.startswith("/api/"):
                return self.json({"success": False, "error": "no such API endpoint",
                                  "details": {"code": "NOT_FOUND", "timestamp": iso(datetime.now(timezone.utc))}}, 404)
            return self.static(p)

        def events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                self.wfile.write(b": hello\n\n")
                self.wfile.flush()
                while not fleet.done.is_set():
                    if time.time() < fleet.flood_until:
                        batch = max(1, args.rate // 20)
                        out = "".join(f"event: server\ndata: {fleet.bump()}\n\n" for _ in range(batch))
                        self.wfile.write(out.encode())
                        self.wfile.flush()
                        time.sleep(0.05)
                    else:
                        time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def static(self, p):
            f = (dist / p.lstrip("/")).resolve()
            if not str(f).startswith(str(dist.resolve())) or not f.is_file():
                f = dist / "index.html"
            body = f.read_bytes()
            if f.name == "index.html":
                body = body.replace(b"</body>", b'<script src="/__bench.js"></script></body>')
            ctype = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                     ".wasm": "application/wasm"}.get(f.suffix, "application/octet-stream")
            self.send(200, body, ctype)

    return Handler


def sizes(dist: Path):
    files = [dist / "fleetwatch_frontend_bg.wasm", dist / "fleetwatch_frontend.js", dist / "style.css",
             dist / "vendor" / "uPlot.iife.min.js"] + sorted((dist / "snippets").rglob("*.js"))
    out = {}
    for f in files:
        raw = f.read_bytes()
        out[str(f.relative_to(dist))] = {"bytes": len(raw), "gzip": len(gzip.compress(raw, 9))}
    out["total_gzip"] = sum(v["gzip"] for v in out.values())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", default=str(Path(__file__).resolve().parents[2] / "dist"))
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--rate", type=int, default=200, help="live updates per second during the flood")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serve-only", action="store_true")
    args = ap.parse_args()
    dist = Path(args.dist)
    fleet = Fleet(args.servers)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(dist, fleet, args))
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.serve_only:
        print(f"serving {args.servers} fake servers on http://127.0.0.1:{port}/", flush=True)
        threading.Event().wait()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium not found (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="fw-bench-")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         f"http://127.0.0.1:{port}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not fleet.done.wait(120 + args.seconds):
            sys.exit("the page never reported (is the dashboard built in --dist?)")
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps({"servers": args.servers, "page": fleet.result, "sizes": sizes(dist)}, indent=2))


if __name__ == "__main__":
    main()
