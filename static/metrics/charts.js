// Draws the charts of metrics and report pages: <canvas data-chart="ID"> with its data in <script type="application/json"
// id="ID"> (Django's json_script). Chart.js is loaded once, on first need, from this script's data-chartjs
// address. Works on full pages and on content HTMX swaps in (the profile's Metrics tab), with no inline code.
(function () {
  "use strict";
  if (window.rosterCharts) return; // HTMX runs this script again with every swap of the tab
  const chartSource = document.currentScript && document.currentScript.dataset.chartjs;
  let loading = null;

  function withChartJs(callback) {
    if (window.Chart) return callback();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        const script = document.createElement("script");
        script.src = chartSource;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    loading.then(callback);
  }

  function colors() {
    const style = getComputedStyle(document.documentElement);
    const read = function (name, fallback) { return style.getPropertyValue(name).trim() || fallback; };
    return [
      read("--bs-primary", "#0d6efd"), read("--bs-info", "#0dcaf0"), read("--bs-success", "#198754"),
      read("--bs-orange", "#fd7e14"), read("--bs-purple", "#6f42c1"), read("--bs-pink", "#d63384"),
    ];
  }

  function config(spec) {
    const palette = colors();
    const hasSecondAxis = spec.series.some(function (series) { return series.axis === "y2"; });
    const datasets = spec.series.map(function (series, index) {
      const color = palette[index % palette.length];
      const type = series.type || spec.type;
      return {
        type: type,
        label: series.label,
        data: series.data,
        yAxisID: series.axis || "y",
        borderColor: color,
        backgroundColor: type === "line" ? color : color + "99",
        pointRadius: type === "line" ? 4 : 0,
        spanGaps: true,
        tension: 0,
        order: type === "line" ? 0 : 1,
      };
    });
    const scales = {
      x: { ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: spec.type === "bar", ticks: spec.integer ? { precision: 0 } : {} },
    };
    if (spec.stacked) { // a bar per period, its series piled up (new customers by source)
      scales.x.stacked = true;
      scales.y.stacked = true;
    }
    if (hasSecondAxis) {
      scales.y2 = { position: "right", grid: { drawOnChartArea: false } };
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                const formatted = spec.formatted && spec.formatted[context.datasetIndex];
                const text = formatted ? formatted[context.dataIndex] : context.formattedValue;
                return context.dataset.label + ": " + text;
              },
            },
          },
        },
      },
    };
  }

  function draw(root) {
    const canvases = root.querySelectorAll ? root.querySelectorAll("canvas[data-chart]:not([data-drawn])") : [];
    if (!canvases.length) return;
    withChartJs(function () {
      canvases.forEach(function (canvas) {
        const source = document.getElementById(canvas.dataset.chart);
        if (!source || !canvas.isConnected || canvas.dataset.drawn) return;
        new window.Chart(canvas, config(JSON.parse(source.textContent)));
        canvas.dataset.drawn = "true";
      });
    });
  }

  function destroy(root) {
    if (!window.Chart || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-drawn]").forEach(function (canvas) {
      const chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  }

  window.rosterCharts = { draw: draw };
  document.addEventListener("htmx:load", function (event) { draw(event.detail.elt); });
  document.addEventListener("htmx:beforeSwap", function (event) { destroy(event.detail.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
})();
