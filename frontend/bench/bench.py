#!/usr/bin/env python3
"""Dashboard budget bench: 500 servers, scrolling, a live-update flood, and the gzipped sizes.

Serves a built dashboard (dist/) and a generated fake API from one local port, opens it in
headless Chromium (1280x900), and prints what the page itself measured with the browser's
performance timing:

  * first screen: from the end of the /api/servers response to the first frame painted with the
    viewport covered by cards (the dashboard builds only the cards near the viewport), and the
    same from navigation start (download and WASM compile added); the page's own marks split it:
    body received, decoded, applied to the fleet;
  * scroll: the whole list scrolled through twice, down at one screen per animation frame
    ("jump") and back up at --scroll-speed px/s ("steady"): gaps between frames, long tasks
    (> 50 ms), and the frames whose viewport was not fully covered by built cards;
  * live: while the fake /api/events pushes --rate updates a second for --seconds, the gaps
    between animation frames, the long tasks and how late a 50 ms timer fired (input would wait
    as long); then, scrolled down at the steady speed, how many of all the cards show their
    server's latest sample as /api/servers has it (nothing lost off screen);
  * sizes: gzip -9 of the WASM, the JS, the CSS and uPlot.

Each run has a fresh browser profile, so the WASM is compiled from cold every time (the slowest
case: a returning visitor's browser may have it cached).

Usage: python3 frontend/bench/bench.py [--dist dist] [--servers 500] [--rate 200] [--seconds 10]
       [--scroll-speed 5000] [--runs 1]   (with --runs N, a summary with the median of each figure)
       [--load-only]        (the first screen only)
       [--api-delay MS]     (/api/servers answers MS later: the page is idle when the data comes,
                             which separates its own work from its start-up's)
       [--serve-only]       (just serve the fake fleet on --port, to look at it in a browser)
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
    new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e)))
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
  const post = (r) => fetch('/__bench/result', {method: 'POST', body: JSON.stringify(r)});
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  // The first task after the next frame's style, layout and paint, ahead of the tasks already
  // queued: what the page shows now is what that frame painted, and the time is when it ended.
  const afterFrame = () => frame().then(() => new Promise((r) => window.scheduler?.postTask
    ? scheduler.postTask(() => r(performance.now()), {priority: 'user-blocking'})
    : setTimeout(() => r(performance.now()), 0)));
  const pct = (a, p) => a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : null;
  const round = (x) => x === null || x === undefined ? x : Math.round(x * 10) / 10;
  // (The second selector finds the grid of builds older than the windowed one.)
  const grid = () => document.querySelector('[data-testid=server-grid], section.grid[aria-label=Servers]');
  const cards = () => grid()?.querySelectorAll('.server-card[data-server]') ?? [];
  const tasksSince = (t) => longTasks.filter((e) => e.startTime >= t);
  const taskStats = (t) => {
    const l = tasksSince(t).map((e) => e.duration);
    return {long_tasks: l.length, long_task_max_ms: round(l.length ? Math.max(...l) : 0)};
  };
  // How many px of the viewport's share of the grid no built card covers (0: all of it shown).
  const uncovered = () => {
    const g = grid();
    if (!g) return innerHeight;
    const r = g.getBoundingClientRect();
    const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
    if (bottom <= top) return 0;
    const c = cards();
    if (!c.length) return bottom - top;
    const first = c[0].getBoundingClientRect(), last = c[c.length - 1].getBoundingClientRect();
    return Math.max(0, first.top - top) + Math.max(0, bottom - last.bottom);
  };

  // 1. Load: the end of the /api/servers response to the end of the first frame that painted
  // the viewport covered with cards (the totals render in the same pass). Looked at after every
  // frame until then.
  const deadline = performance.now() + 60000;
  let shown;
  for (;;) {
    if (performance.now() > deadline) { await post({error: 'cards never filled the viewport'}); return; }
    shown = await afterFrame();
    if (cards().length && uncovered() < 1) break;
  }
  const builtFirst = cards().length;
  const api = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/servers'));
  const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
  const since = (name) => api ? round(performance.getEntriesByName(name)[0]?.startTime - api.responseEnd) : null;
  const result = {
    first_screen_ms: api ? round(shown - api.responseEnd) : null,
    received_ms: since('fw:servers-received'),
    parsed_ms: since('fw:servers-parsed'),
    applied_ms: since('fw:servers-applied'),
    from_navigation_ms: round(shown),
    wasm_fetched_ms: wasm ? round(wasm.responseEnd) : null,
    api_response_end_ms: api ? round(api.responseEnd) : null,
    cards_built: builtFirst,
    dom_nodes: document.getElementsByTagName('*').length,
    shown_count: document.querySelector('[data-testid=shown-count]')?.textContent,
    total: document.querySelector('.totals .total strong')?.textContent,
  };
  // Long tasks up to here: WASM start, decoding, the first cards.
  Object.assign(result, {load_long_tasks: tasksSince(0).length,
                         load_long_task_max_ms: taskStats(0).long_task_max_ms});
  if (%(load_only)s) { await post(result); return; }
  await new Promise((r) => setTimeout(r, 500));

  // 2. Scrolling the whole list, one animation frame at a time. Each frame first looks at what
  // the last one painted, then scrolls on. The page hears of a scroll at the start of the next
  // frame (as it does of the compositor's scrolling), so each frame is drawn with the window of
  // the frame before: the window's margin must cover a frame's worth of scrolling.
  // `step(dt)` is the distance of one frame; `dir` 1 is down, -1 up. Records each card's
  // data-sampled by server.
  const scroll = async (step, dir) => {
    const sampled = new Map();
    const gaps = [];
    const t0 = performance.now();
    let bad = 0, worst = 0, run = 0, longest = 0;
    const where = [];
    let last = await frame();
    const end = () => document.documentElement.scrollHeight - innerHeight;
    for (;;) {
      const u = uncovered();
      if (u >= 1) {
        bad++; run++; longest = Math.max(longest, run);
        const c = cards();
        if (where.length < 5) where.push({frame: gaps.length, y: round(scrollY), px: round(u),
                                          built: c.length ? `${c[0].dataset.server}..${c[c.length - 1].dataset.server}` : ''});
      } else { run = 0; }
      worst = Math.max(worst, u);
      for (const c of cards()) sampled.set(c.dataset.server, c.dataset.sampled);
      const y = scrollY;
      if (dir > 0 ? y >= end() - 0.5 : y <= 0.5) break;
      const t = await new Promise((r) => requestAnimationFrame(() => {
        const now = performance.now();
        scrollTo(0, Math.max(0, Math.min(end(), y + dir * step(now - last))));
        r(now);
      }));
      gaps.push(t - last);
      last = t;
    }
    gaps.sort((a, b) => a - b);
    return {
      sampled,
      figures: {
        frames: gaps.length, seconds: round((performance.now() - t0) / 1000),
        frame_gap_p50_ms: round(pct(gaps, 0.5)), frame_gap_p95_ms: round(pct(gaps, 0.95)),
        frame_gap_max_ms: round(gaps[gaps.length - 1]),
        ...taskStats(t0),
        frames_not_covered: bad, longest_uncovered_run: longest, worst_uncovered_px: round(worst),
        not_covered_at: where,
        servers_seen: sampled.size, max_cards_built: null,
      },
    };
  };
  const jump = await scroll(() => innerHeight, 1);
  result.scroll_jump = jump.figures;
  result.scroll_jump.max_cards_built = cards().length;
  const back = await scroll((dt) => %(speed)d * dt / 1000, -1);
  result.scroll_steady_up = back.figures;
  result.scroll_steady_up.px_per_s = %(speed)d;
  scrollTo(0, 0);
  await frame(); await frame();

  // 3. Live flood: frames, long tasks, timer lag; the page scrolled to the top.
  const before = new Map([...cards()].map((c) => [c.dataset.server, c.dataset.sampled]));
  await fetch('/__bench/flood', {method: 'POST'});
  const gaps = []; const lags = [];
  const t0 = performance.now();
  const end = t0 + %(seconds)d * 1000;
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
  const built = [...cards()];
  result.live = {
    seconds: %(seconds)d,
    events_sent_per_s: %(rate)d,
    built_cards_updated: built.filter((c) => before.has(c.dataset.server)
                                             && before.get(c.dataset.server) !== c.dataset.sampled).length,
    built_cards: built.length,
    frames: gaps.length,
    frame_gap_p50_ms: round(pct(gaps, 0.5)), frame_gap_p95_ms: round(pct(gaps, 0.95)),
    frame_gap_max_ms: round(gaps[gaps.length - 1]),
    ...taskStats(t0),
    timer_lag_p95_ms: round(pct(lags, 0.95)), timer_lag_max_ms: round(lags[lags.length - 1]),
    link: document.querySelector('[data-testid=live-indicator]')?.dataset.state,
  };

  // 4. Nothing lost off screen: once the flood is over, every card met while scrolling down at
  // the steady speed shows its server's latest sample as the API now has it.
  await new Promise((r) => setTimeout(r, 1000));
  const latest = new Map((await (await fetch('/api/servers')).json())
    .map((s) => [s.name, String(Date.parse(s.latest.timestamp))]));
  const after = await scroll((dt) => %(speed)d * dt / 1000, 1);
  result.scroll_steady_down = after.figures;
  result.scroll_steady_down.px_per_s = %(speed)d;
  result.after_flood = {
    servers: latest.size,
    seen: after.sampled.size,
    current: [...after.sampled].filter(([n, s]) => latest.get(n) === s).length,
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
        # A firing alert on every tenth server (critical on every twentieth): the tab's count and
        # the cards' badges have something to show, as on a real fleet.
        self.alerts = [{"server": s["name"], "rule": "cpu-high", "instance": "", "state": "firing",
                        "severity": "critical" if i % 20 == 0 else "warning", "since": iso(now),
                        "firing_since": iso(now), "fired_value": 97.0, "value": 98.0, "detail": None,
                        "acknowledged": None, "notified": True, "last_notified": iso(now)}
                       for i, s in enumerate(self.servers) if i % 10 == 0]
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
    bench_js = (BENCH_JS % {"servers": args.servers, "seconds": args.seconds, "rate": args.rate,
                            "speed": args.scroll_speed, "load_only": str(args.load_only).lower()}).encode()

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
                time.sleep(args.api_delay / 1000)
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
            if p == "/api/alerts":
                return self.json(fleet.alerts)
            if p in ("/api/silences", "/api/alerts/channels"):
                return self.json([])
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
            if f.name == "index.html" and not args.serve_only:
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


def serve(dist: Path, args):
    fleet = Fleet(args.servers)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(dist, fleet, args))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fleet, server


def run_page(dist: Path, args, chromium):
    """One run: a fresh fake API and a fresh browser profile; the page's own figures."""
    fleet, server = serve(dist, args)
    profile = tempfile.mkdtemp(prefix="fw-bench-")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         f"http://127.0.0.1:{server.server_address[1]}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not fleet.done.wait(180 + 2 * args.seconds):
            sys.exit("the page never reported (is the dashboard built in --dist?)")
    finally:
        fleet.done.set()
        browser.kill()
        browser.wait()
        server.shutdown()
        server.server_close()
        shutil.rmtree(profile, ignore_errors=True)
    if "error" in fleet.result:
        sys.exit(f"the page reports: {fleet.result['error']}")
    return fleet.result


# The figures summarised over runs: (label, path in the page's result).
SUMMARY = [
    ("first screen painted (ms)", ("first_screen_ms",)),
    ("/api/servers response end (ms from navigation)", ("api_response_end_ms",)),
    ("/api/servers body received (ms)", ("received_ms",)),
    ("/api/servers decoded (ms)", ("parsed_ms",)),
    ("fleet applied (ms)", ("applied_ms",)),
    ("navigation -> first screen painted (ms)", ("from_navigation_ms",)),
    ("cards built at the first screen", ("cards_built",)),
    ("DOM nodes", ("dom_nodes",)),
    ("load long tasks", ("load_long_tasks",)),
    ("load longest task (ms)", ("load_long_task_max_ms",)),
    ("jump scroll frames", ("scroll_jump", "frames")),
    ("jump scroll frame gap p50 (ms)", ("scroll_jump", "frame_gap_p50_ms")),
    ("jump scroll frame gap p95 (ms)", ("scroll_jump", "frame_gap_p95_ms")),
    ("jump scroll frame gap max (ms)", ("scroll_jump", "frame_gap_max_ms")),
    ("jump scroll long tasks", ("scroll_jump", "long_tasks")),
    ("jump scroll frames not covered", ("scroll_jump", "frames_not_covered")),
    ("steady scroll up frame gap p50 (ms)", ("scroll_steady_up", "frame_gap_p50_ms")),
    ("steady scroll up frame gap p95 (ms)", ("scroll_steady_up", "frame_gap_p95_ms")),
    ("steady scroll up frame gap max (ms)", ("scroll_steady_up", "frame_gap_max_ms")),
    ("steady scroll up long tasks", ("scroll_steady_up", "long_tasks")),
    ("steady scroll up frames not covered", ("scroll_steady_up", "frames_not_covered")),
    ("steady scroll down frame gap p95 (ms)", ("scroll_steady_down", "frame_gap_p95_ms")),
    ("steady scroll down frames not covered", ("scroll_steady_down", "frames_not_covered")),
    ("live frames", ("live", "frames")),
    ("live frame gap p95 (ms)", ("live", "frame_gap_p95_ms")),
    ("live frame gap max (ms)", ("live", "frame_gap_max_ms")),
    ("live long tasks", ("live", "long_tasks")),
    ("live timer lag p95 (ms)", ("live", "timer_lag_p95_ms")),
    ("live timer lag max (ms)", ("live", "timer_lag_max_ms")),
    ("servers current after the flood", ("after_flood", "current")),
]


def summary(runs):
    out = {}
    for label, path in SUMMARY:
        values = []
        for r in runs:
            v = r
            for k in path:
                v = v.get(k) if isinstance(v, dict) else None
            values.append(v)
        known = sorted(v for v in values if isinstance(v, (int, float)))
        median = known[len(known) // 2] if known else None
        out[label] = {"median": median, "runs": values}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", default=str(Path(__file__).resolve().parents[2] / "dist"))
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--rate", type=int, default=200, help="live updates per second during the flood")
    ap.add_argument("--seconds", type=int, default=10, help="length of the live flood")
    ap.add_argument("--scroll-speed", type=int, default=5000, help="px/s of the steady scroll passes")
    ap.add_argument("--runs", type=int, default=1, help="runs, each with a fresh browser; medians printed")
    ap.add_argument("--load-only", action="store_true", help="measure the first screen only")
    ap.add_argument("--api-delay", type=int, default=0, help="ms /api/servers waits before answering")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serve-only", action="store_true")
    args = ap.parse_args()
    dist = Path(args.dist)
    if args.serve_only:
        _, server = serve(dist, args)
        print(f"serving {args.servers} fake servers on http://127.0.0.1:{server.server_address[1]}/", flush=True)
        threading.Event().wait()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium not found (apt-get install chromium)")
    runs = []
    for i in range(args.runs):
        runs.append(run_page(dist, args, chromium))
        print(f"run {i + 1}/{args.runs}: first screen painted {runs[-1]['first_screen_ms']} ms", file=sys.stderr)
    report = {"servers": args.servers, "runs": runs, "sizes": sizes(dist)}
    if args.runs > 1:
        report["summary"] = summary(runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
