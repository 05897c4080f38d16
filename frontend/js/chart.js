// Glue between the Rust dashboard and uPlot (https://github.com/leeoniya/uPlot, vendored from npm
// into dist/vendor by build.sh). uPlot is loaded on first use only, so pages without charts never
// pay for it. The Rust side holds an opaque handle and calls setChartData/setChartMoment/
// destroyChart on it. The x axis is the picked range (not the span of the data), a picked
// moment is drawn as a vertical line, and a click on the plot calls back with its time.
// With `spec.bands`, the data holds after the N lines their N low columns, then their N high
// columns: each line's min–max band is filled between them (a spike within an averaged point
// stays visible), and the tooltip gives the range beside the value.

let loading = null;

function loadUplot() {
    if (window.uPlot) return Promise.resolve(window.uPlot);
    if (!loading) {
        loading = new Promise((resolve, reject) => {
            const s = document.createElement("script");
            s.src = "/vendor/uPlot.iife.min.js";
            s.onload = () => resolve(window.uPlot);
            s.onerror = () => {
                loading = null;
                reject(new Error("cannot load the chart library"));
            };
            document.head.appendChild(s);
        });
    }
    return loading;
}

function fmtBytes(v) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? Math.round(v) : v.toFixed(1)) + " " + units[i];
}

function fmtValue(v, unit) {
    if (v == null || Number.isNaN(v)) return "–";
    if (unit === "%") return v.toFixed(1) + " %";
    if (unit === "count") return Math.round(v).toString();
    if (unit === "bytes") return fmtBytes(v);
    if (unit === "bytes/s") return fmtBytes(v) + "/s";
    return v.toFixed(2) + (unit ? " " + unit : "");
}

// A y axis tick: short, in the chart's unit.
function fmtTick(v, unit) {
    if (unit === "%") return v + "%";
    if (unit === "count") return Math.round(v);
    if (unit === "bytes" || unit === "bytes/s") return fmtBytes(v);
    return v.toFixed(1);
}

function fmtTime(secs) {
    const d = new Date(secs * 1000);
    return d.toLocaleString(undefined, {
        month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
}

// A tooltip that follows the cursor and lists every series at that time.
function tooltipPlugin(unit, colors, banded) {
    let tip;
    return {
        hooks: {
            init: (u) => {
                tip = document.createElement("div");
                tip.className = "chart-tooltip";
                tip.setAttribute("role", "tooltip");
                tip.style.display = "none";
                u.over.appendChild(tip);
                u.over.addEventListener("mouseleave", () => { tip.style.display = "none"; });
            },
            setCursor: (u) => {
                const i = u.cursor.idx;
                if (i == null || u.cursor.left < 0) {
                    tip.style.display = "none";
                    return;
                }
                // Built from text nodes: labels are server, mount, interface and container
                // names, which the monitored hosts and the configuration choose.
                const time = document.createElement("div");
                time.className = "chart-tooltip-time";
                time.textContent = fmtTime(u.data[0][i]);
                const rows = [time];
                const n = colors.length;
                for (let s = 1; s <= n; s++) {
                    const ser = u.series[s];
                    if (!ser.show) continue;
                    const row = document.createElement("div");
                    const swatch = document.createElement("span");
                    swatch.className = "chart-swatch";
                    swatch.style.background = colors[s - 1];
                    const value = document.createElement("b");
                    value.textContent = fmtValue(u.data[s][i], unit);
                    row.append(swatch, `${ser.label}: `, value);
                    // The band's range, when the point averages samples that differ.
                    const lo = banded ? u.data[s + n][i] : null;
                    const hi = banded ? u.data[s + 2 * n][i] : null;
                    if (lo != null && hi != null && lo !== hi) {
                        const range = document.createElement("span");
                        range.className = "chart-tooltip-range";
                        range.textContent = ` (min ${fmtValue(lo, unit)}, max ${fmtValue(hi, unit)})`;
                        row.append(range);
                    }
                    rows.push(row);
                }
                tip.replaceChildren(...rows);
                tip.style.display = "block";
                const w = u.over.clientWidth;
                const left = u.cursor.left + 12;
                tip.style.left = (left + tip.offsetWidth > w ? u.cursor.left - tip.offsetWidth - 12 : left) + "px";
                tip.style.top = Math.max(0, u.cursor.top - 10) + "px";
            },
        },
    };
}

// The picked moment: a vertical line across the plot.
function momentPlugin(handle) {
    return {
        hooks: {
            draw: (u) => {
                if (handle.moment == null) return;
                const x = Math.round(u.valToPos(handle.moment, "x", true));
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = "#d63a3a";
                ctx.lineWidth = 2 * devicePixelRatio;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.restore();
            },
        },
    };
}

// The theme's muted text colour (style.css `--muted`), read at each draw: the axes follow a
// theme switch.
function themeColor(el) {
    return getComputedStyle(el).getPropertyValue("--muted").trim() || "#646b73";
}

function options(spec, width, handle) {
    const axisColor = () => themeColor(handle.el);
    const grid = { stroke: "rgba(128,128,128,0.18)", width: 1 };
    const unit = spec.unit;
    const n = spec.series.length;
    // With bands the lines are not filled: the bands are.
    const lines = spec.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        fill: n === 1 && !spec.bands ? s.color + "22" : undefined,
        spanGaps: !!spec.span_gaps,
        // A few points (a fresh server on a long range) would draw no line: show them as dots.
        points: { show: (u, si, i0, i1) => i1 - i0 < 30, size: 5 },
    }));
    return {
        width,
        height: spec.height || 200,
        plugins: [tooltipPlugin(unit, spec.series.map((s) => s.color), !!spec.bands), momentPlugin(handle)],
        // One crosshair for every chart of the page.
        cursor: { drag: { x: false, y: false }, points: { size: 6 }, sync: { key: "fleetwatch" } },
        legend: { live: false },
        scales: {
            // The picked range, whatever part of it has samples.
            x: { time: true, range: (u, min, max) => (handle.range ? handle.range : [min, max]) },
            y: spec.max != null ? { range: [0, spec.max] } : { range: (u, min, max) => [0, Math.max(max * 1.1, spec.minMax || 1)] },
        },
        axes: [
            { stroke: axisColor, grid, ticks: grid },
            {
                stroke: axisColor, grid, ticks: grid, size: unit === "bytes" || unit === "bytes/s" ? 70 : 50,
                values: (u, vals) => vals.map((v) => fmtTick(v, unit)),
            },
        ],
        series: [{}].concat(lines, bandEdges(spec, "min"), bandEdges(spec, "max")),
        bands: spec.bands ? spec.series.map((s, i) => ({ series: [1 + 2 * n + i, 1 + n + i], fill: s.color + "33" })) : [],
    };
}

// The low or high edge of every line's band: a faint line, no dots, left out of the tooltip.
function bandEdges(spec, which) {
    if (!spec.bands) return [];
    return spec.series.map((s) => ({
        label: `${s.label} ${which}`,
        stroke: s.color + "55",
        width: 1,
        spanGaps: !!spec.span_gaps,
        points: { show: false },
    }));
}

export function createChart(el, specJson, onPick) {
    const handle = {
        el, spec: JSON.parse(specJson), data: null, u: null, gone: false, ro: null, error: null, range: null, moment: null,
    };
    loadUplot().then((uPlot) => {
        if (handle.gone) return;
        const width = Math.max(200, el.clientWidth);
        const columns = handle.spec.series.length * (handle.spec.bands ? 3 : 1);
        const data = handle.data || [[]].concat(Array.from({ length: columns }, () => []));
        handle.u = new uPlot(options(handle.spec, width, handle), data, el);
        // For browser tests: what is drawn (`uplot.data`, `uplot.bands`).
        el.uplot = handle.u;
        // A click on the plot picks that moment (seconds).
        handle.u.over.addEventListener("click", () => {
            const u = handle.u;
            if (!u || u.cursor.left == null || u.cursor.left < 0) return;
            onPick(u.posToVal(u.cursor.left, "x"));
        });
        handle.ro = new ResizeObserver(() => {
            if (handle.u && el.clientWidth > 0) handle.u.setSize({ width: el.clientWidth, height: handle.spec.height || 200 });
        });
        handle.ro.observe(el);
        // A theme switch (the toggle, or the system's scheme): redrawn in its colours.
        const redraw = () => { if (handle.u) handle.u.redraw(false, true); };
        handle.themeObserver = new MutationObserver(redraw);
        handle.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
        handle.scheme = window.matchMedia("(prefers-color-scheme: dark)");
        handle.onScheme = redraw;
        handle.scheme.addEventListener("change", redraw);
        el.dataset.ready = "true";
    }, (e) => {
        handle.error = e;
        el.dataset.ready = "error";
        el.textContent = e.message;
    });
    return handle;
}

// `from`/`to`: the picked range in seconds; the x axis spans it.
export function setChartData(handle, data, from, to) {
    handle.data = data;
    handle.range = [from, to];
    handle.el.dataset.from = String(from);
    handle.el.dataset.to = String(to);
    if (handle.u) handle.u.setData(data);
}

// The picked moment in seconds, or null for none.
export function setChartMoment(handle, secs) {
    handle.moment = secs;
    if (secs == null) delete handle.el.dataset.moment;
    else handle.el.dataset.moment = String(secs);
    if (handle.u) handle.u.redraw(false, false);
}

export function destroyChart(handle) {
    handle.gone = true;
    if (handle.ro) handle.ro.disconnect();
    if (handle.themeObserver) handle.themeObserver.disconnect();
    if (handle.scheme) handle.scheme.removeEventListener("change", handle.onScheme);
    if (handle.u) handle.u.destroy();
    handle.u = null;
    delete handle.el.uplot;
}
