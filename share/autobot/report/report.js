/* report.js: draws the report's charts with Chart.js from the page's JSON
 * block (<script type="application/json" id="report-data">). Tables are plain
 * HTML and need none of this. */
(function () {
	"use strict";
	var palette = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626", "#4b5563", "#ca8a04"];
	var up = "#16a34a", down = "#dc2626", named = {ok: "#16a34a", bad: "#dc2626"};

	function pad(n) { return (n < 10 ? "0" : "") + n; }
	function timeLabel(ms, span) {
		var d = new Date(ms);
		var day = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
		if (span > 5 * 86400000) return day;
		return day + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
	}
	function color(i, name) { return named[name] || palette[i % palette.length]; }

	function timeAxis(minX, maxX) {
		var span = maxX - minX;
		return {
			type: "linear", min: minX, max: maxX, offset: false, bounds: "data",
			ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6, callback: function (v) { return timeLabel(v, span); } }
		};
	}
	function extent(series, get) {
		var lo = Infinity, hi = -Infinity;
		series.forEach(function (s) { get(s).forEach(function (x) { if (x < lo) lo = x; if (x > hi) hi = x; }); });
		return [lo, hi];
	}
	function tooltipTitle(span) {
		return function (items) { return items.length ? timeLabel(items[0].parsed.x, span < 5 * 86400000 ? 0 : 0) : ""; };
	}

	function lineChart(spec) {
		var series = spec.series || [];
		var ds = series.map(function (s, i) {
			return {
				label: s.name, borderColor: color(i, s.color), backgroundColor: color(i, s.color),
				borderWidth: 1.5, pointRadius: 0, tension: 0,
				data: s.points.map(function (p) { return { x: p[0], y: p[1] }; })
			};
		});
		var x = { type: "linear" };
		if (spec.x === "time") {
			var e = extent(series, function (s) { return s.points.map(function (p) { return p[0]; }); });
			x = timeAxis(e[0], e[1]);
		}
		var opts = { scales: { x: x }, interaction: { mode: "nearest", intersect: false } };
		if (spec.x === "time") opts.plugins = { tooltip: { callbacks: { title: tooltipTitle(0) } } };
		return { type: "line", data: { datasets: ds }, options: opts };
	}

	function barChart(spec) {
		var ds = spec.series.map(function (s, i) {
			return { label: s.name, data: s.values, backgroundColor: color(i, s.color) };
		});
		return {
			type: "bar", data: { labels: spec.labels, datasets: ds },
			options: { scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } } }
		};
	}

	function candleChart(spec) {
		var n = spec.t.length, bodies = [], wicks = [], colors = [];
		for (var i = 0; i < n; i++) {
			var o = spec.o[i], c = spec.c[i];
			bodies.push({ x: spec.t[i], y: [Math.min(o, c), Math.max(o, c)] });
			wicks.push({ x: spec.t[i], y: [spec.l[i], spec.h[i]] });
			colors.push(c >= o ? up : down);
		}
		var ds = [
			{ type: "bar", label: "high-low", data: wicks, backgroundColor: colors, barThickness: 1, grouped: false, order: 3 },
			{ type: "bar", label: "open-close", data: bodies, backgroundColor: colors, grouped: false, order: 2,
			  barPercentage: 0.8, categoryPercentage: 1 }
		];
		(spec.lines || []).forEach(function (l, j) {
			ds.push({
				type: "line", label: l.name, borderColor: palette[(j + 3) % palette.length], borderWidth: 1.25,
				pointRadius: 0, order: 1, spanGaps: false,
				data: l.values.map(function (v, k) { return { x: spec.t[k], y: v }; })
			});
		});
		(spec.markers || []).forEach(function (m) {
			var buy = m.side === "buy";
			ds.push({
				type: "scatter", label: m.name, order: 0, pointStyle: "triangle", rotation: buy ? 0 : 180,
				pointRadius: 6, backgroundColor: buy ? "#1d4ed8" : "#ea580c", borderColor: "#111827", borderWidth: 0.5,
				data: m.points.map(function (p) { return { x: p[0], y: p[1] }; })
			});
		});
		var step = n > 1 ? (spec.t[n - 1] - spec.t[0]) / (n - 1) : 3600000;
		return {
			type: "bar", data: { datasets: ds },
			options: {
				scales: { x: timeAxis(spec.t[0] - step / 2, spec.t[n - 1] + step / 2), y: { beginAtZero: false } },
				plugins: {
					legend: { labels: { filter: function (item) { return item.text !== "high-low" && item.text !== "open-close"; } } },
					tooltip: { callbacks: { title: tooltipTitle(0) } }
				}
			}
		};
	}

	var kinds = { line: lineChart, bar: barChart, candles: candleChart };

	function draw() {
		var el = document.getElementById("report-data");
		if (!el || typeof Chart === "undefined") return;
		var data = JSON.parse(el.textContent), drawn = 0;
		Chart.defaults.animation = false;
		Chart.defaults.maintainAspectRatio = false;
		Chart.defaults.font.family = "system-ui, sans-serif";
		document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
			var spec = data.charts[canvas.getAttribute("data-chart")];
			if (!spec || !kinds[spec.kind]) return;
			new Chart(canvas, kinds[spec.kind](spec));
			drawn++;
		});
		document.body.setAttribute("data-charts-drawn", String(drawn));
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
	else draw();
})();
