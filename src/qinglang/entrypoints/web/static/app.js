/* qinglang console: charts (Apache ECharts, vendored) and keyboard shortcuts. No build step. */
(function () {
  "use strict";
  var COLORS = ["#1f4e8c", "#d9822b", "#b42318", "#027a48", "#7a5af8", "#0e9384", "#c11574", "#667085", "#a15c07"];

  function data(el) {
    var src = document.getElementById(el.getAttribute("data-src"));
    return src ? JSON.parse(src.textContent) : null;
  }

  var builders = {
    /* {x: [...], series: [{name, data, stack?, type?}], horizontal?} */
    xy: function (d) {
      var cat = {type: "category", data: d.x, axisLabel: {interval: d.horizontal ? 0 : "auto"}};
      var val = {type: "value", minInterval: 1};
      return {
        color: COLORS, tooltip: {trigger: "axis"}, legend: {top: 0},
        grid: {left: d.horizontal ? 110 : 40, right: 20, top: 36, bottom: 30},
        xAxis: d.horizontal ? val : cat, yAxis: d.horizontal ? cat : val,
        series: d.series.map(function (s) {
          return {name: s.name, type: s.type || "bar", stack: s.stack, data: s.data, smooth: s.type === "line",
                  emphasis: {focus: "series"}};
        })
      };
    },
    /* [{signal, level, weight}] -> cumulative match weight */
    waterfall: function (d) {
      var base = [], pos = [], neg = [], labels = [], acc = 0;
      d.rows.forEach(function (r) {
        var w = r.weight || 0;
        labels.push(r.signal);
        if (w >= 0) { base.push(acc); pos.push(w); neg.push("-"); }
        else { base.push(acc + w); pos.push("-"); neg.push(-w); }
        acc += w;
      });
      labels.push(d.total_label); base.push(Math.min(0, acc)); pos.push(acc >= 0 ? acc : "-"); neg.push(acc < 0 ? -acc : "-");
      return {
        tooltip: {trigger: "axis", formatter: function (ps) {
          var i = ps[0].dataIndex, r = d.rows[i];
          return r ? (r.signal + ": " + r.level + "<br>" + (r.weight >= 0 ? "+" : "") + r.weight) : (d.total_label + ": " + acc.toFixed(2));
        }},
        grid: {left: 40, right: 10, top: 20, bottom: 50},
        xAxis: {type: "category", data: labels, axisLabel: {rotate: 30}},
        yAxis: {type: "value", name: "log2"},
        series: [
          {type: "bar", stack: "w", stackStrategy: "all", data: base, itemStyle: {color: "transparent"}, emphasis: {disabled: true}},
          {type: "bar", stack: "w", stackStrategy: "all", data: pos, itemStyle: {color: "#b42318"}, name: "+"},
          {type: "bar", stack: "w", stackStrategy: "all", data: neg, itemStyle: {color: "#027a48"}, name: "-"}
        ]
      };
    },
    /* {points: [[x, y]], basis, bursts: [[a, b]]} */
    growth: function (d) {
      var time = d.basis === "time";
      return {
        color: COLORS, tooltip: {trigger: "axis"}, grid: {left: 60, right: 20, top: 20, bottom: 30},
        xAxis: {type: time ? "time" : "value", name: time ? "" : "rank"}, yAxis: {type: "value"},
        series: [{type: "line", showSymbol: false, data: d.points,
                  markArea: {itemStyle: {color: "rgba(180,35,24,0.18)"},
                             data: (d.bursts || []).map(function (b) { return [{xAxis: b[0]}, {xAxis: b[1]}]; })}}]
      };
    },
    hist: function (d) {
      var labels = d.counts.map(function (_, i) { return (i / d.counts.length).toFixed(2); });
      return {
        tooltip: {trigger: "axis"}, grid: {left: 50, right: 10, top: 20, bottom: 30},
        xAxis: {type: "category", data: labels}, yAxis: {type: "value"},
        series: [{type: "bar", data: d.counts.map(function (c, i) {
          return {value: c, itemStyle: {color: i >= d.counts.length / 2 ? "#b42318" : "#027a48"}};
        })}]
      };
    },
    scatter: function (d) {
      return {
        tooltip: {formatter: function (p) { return "#" + p.value[0] + " · " + new Date(p.value[1] * 1000).toISOString().slice(0, 10) + " · " + p.value[2]; }},
        grid: {left: 70, right: 10, top: 20, bottom: 30},
        xAxis: {type: "value", name: d.x_label}, yAxis: {type: "time"},
        visualMap: {show: false, dimension: 2, min: 0, max: 1, inRange: {color: ["#1f4e8c", "#b42318"]}},
        series: [{type: "scatter", symbolSize: 3, data: d.points.map(function (p) { return [p[0], p[1] * 1000, p[2]]; })}]
      };
    }
  };

  function drawCharts() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data(el), kind = el.getAttribute("data-chart");
      if (!d || !builders[kind]) { return; }
      var chart = echarts.init(el, null, {renderer: "svg"});
      chart.setOption(builders[kind](d));
      el.setAttribute("data-rendered", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function queueKeys() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
    var i = -1;
    function select(k) {
      if (!rows.length) { return; }
      if (i >= 0) { rows[i].classList.remove("selected"); }
      i = Math.max(0, Math.min(rows.length - 1, k));
      rows[i].classList.add("selected");
      rows[i].scrollIntoView({block: "nearest"});
    }
    rows.forEach(function (r, k) { r.addEventListener("click", function (e) { if (e.target.tagName !== "A") { window.location = r.getAttribute("data-href"); } }); });
    document.addEventListener("keydown", function (e) {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key === "j") { select(i + 1); e.preventDefault(); }
      else if (e.key === "k") { select(i - 1); e.preventDefault(); }
      else if (e.key === "Enter" && i >= 0) { window.location = rows[i].getAttribute("data-href"); }
      else if (e.key === "n") { var f = document.getElementById("claim-next"); if (f) { f.submit(); } }
    });
  }

  function decideKeys() {
    var form = document.getElementById("decide-form");
    document.addEventListener("keydown", function (e) {
      if (form && (e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); form.requestSubmit(); return; }
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (form) {
        var opt = form.querySelector('input[name="action"][data-key="' + e.key + '"]');
        if (opt) { opt.checked = true; opt.dispatchEvent(new Event("change", {bubbles: true})); var r = form.querySelector("textarea[name=reason]"); if (r) { r.focus(); } e.preventDefault(); return; }
        var v = form.querySelector('button[data-key="' + e.key + '"]');
        if (v) { e.preventDefault(); v.click(); return; }
      }
      if (e.key === "c") { var cf = document.getElementById("claim-form"); if (cf) { cf.submit(); } }
      if (e.key === "q") { window.location = document.body.getAttribute("data-queue") || "/console/queue"; }
    });
    if (form) {
      var days = form.querySelector(".days"), ban = form.querySelector(".ban");
      form.addEventListener("change", function () {
        var a = (form.querySelector('input[name="action"]:checked') || {}).value;
        if (days) { days.hidden = !(a === "suspend" || a === "limit"); }
        if (ban) { ban.hidden = a !== "close"; }
      });
      form.dispatchEvent(new Event("change"));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    if (document.body.classList.contains("page-queue")) { queueKeys(); }
    if (document.body.classList.contains("page-case")) { decideKeys(); }
  });
})();
