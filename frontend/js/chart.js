// Glue between the Rust dashboard and uPlot (https://github.com/leeoniya/uPlot, vendored from npm
// into dist/vendor by build.sh). uPlot is loaded on first use only, so pages without charts never
// pay for it. The Rust side holds an opaque handle and calls setChartData/destroyChart on it.

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

function fmtValue(v, unit) {
    if (v == null || Number.isNaN(v)) return "–";
    if (unit === "%") return v.toFixed(1) + " %";
    if (unit === "count") return Math.round(v).toString();
    return v.toFixed(2) + (unit ? " " + unit : "");
}

function fmtTime(secs) {
    const d = new Date(secs * 1000);
    return d.toLocaleString(undefined, {
        month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
}

// A tooltip that follows the cursor and lists every series at that time.
function tooltipPlugin(unit, colors) {
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
                const rows = [`<div class="chart-tooltip-time">${fmtTime(u.data[0][i])}</div>`];
                for (let s = 1; s < u.series.length; s++) {
                    const ser = u.series[s];
                    if (!ser.show) continue;
                    rows.push(
                        `<div><span class="chart-swatch" style="background:${colors[s - 1]}"></span>` +
                        `${ser.label}: <b>${fmtValue(u.data[s][i], unit)}</b></div>`,
                    );
                }
                tip.innerHTML = rows.join("");
                tip.style.display = "block";
                const w = u.over.clientWidth;
                const left = u.cursor.left + 12;
                tip.style.left = (left + tip.offsetWidth > w ? u.cursor.left - tip.offsetWidth - 12 : left) + "px";
                tip.style.top = Math.max(0, u.cursor.top - 10) + "px";
            },
        },
    };
}

function options(spec, width) {
    const axisColor = "#8a9099";
    const grid = { stroke: "rgba(128,128,128,0.18)", width: 1 };
    const unit = spec.unit;
    return {
        width,
        height: spec.height || 200,
        plugins: [tooltipPlugin(unit, spec.series.map((s) => s.color))],
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        legend: { live: false },
        scales: {
            x: { time: true },
            y: spec.max != null ? { range: [0, spec.max] } : { range: (u, min, max) => [0, Math.max(max * 1.1, spec.minMax || 1)] },
        },
        axes: [
            { stroke: axisColor, grid, ticks: grid },
            {
                stroke: axisColor, grid, ticks: grid, size: 50,
                values: (u, vals) => vals.map((v) => (unit === "%" ? v + "%" : unit === "count" ? Math.round(v) : v.toFixed(1))),
            },
        ],
        series: [{}].concat(spec.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            fill: spec.series.length === 1 ? s.color + "22" : undefined,
            spanGaps: false,
            points: { show: false },
        }))),
    };
}

export function createChart(el, specJson) {
    const handle = { el, spec: JSON.parse(specJson), data: null, u: null, gone: false, ro: null, error: null };
    loadUplot().then((uPlot) => {
        if (handle.gone) return;
        const width = Math.max(200, el.clientWidth);
        const data = handle.data || [[]].concat(handle.spec.series.map(() => []));
        handle.u = new uPlot(options(handle.spec, width), data, el);
        handle.ro = new ResizeObserver(() => {
            if (handle.u && el.clientWidth > 0) handle.u.setSize({ width: el.clientWidth, height: handle.spec.height || 200 });
        });
        handle.ro.observe(el);
        el.dataset.ready = "true";
    }, (e) => {
        handle.error = e;
        el.dataset.ready = "error";
        el.textContent = e.message;
    });
    return handle;
}

export function setChartData(handle, data) {
    handle.data = data;
    if (handle.u) handle.u.setData(data);
}

export function destroyChart(handle) {
    handle.gone = true;
    if (handle.ro) handle.ro.disconnect();
    if (handle.u) handle.u.destroy();
    handle.u = null;
}
