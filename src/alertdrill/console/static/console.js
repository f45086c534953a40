// The live page: the drill's events over server-sent events, phase bars against their budgets.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var runId = root.dataset.run;
  var statusEl = document.getElementById("status");
  var list = document.getElementById("timeline");
  var log = document.getElementById("log");
  var bars = Array.prototype.slice.call(document.querySelectorAll(".phase"));
  var ENDS = { alert: "alert_firing", notify: "notification_delivered", locate: "fault_located", recover: "service_recovered" };
  var HIDDEN = ["annotations", "fingerprint", "group_key", "path", "starts_at", "authenticated"];
  var done = {}, t0 = null, finished = statusEl.textContent !== "running", ended = "";

  function secs(s) { return (s >= 0 ? "+" : "") + s.toFixed(2) + " s"; }

  function paint() {
    bars.forEach(function (bar) {
      var phase = bar.dataset.phase, budget = parseFloat(bar.dataset.budget), elapsed = done[phase];
      if (elapsed === undefined && t0 !== null && !finished) elapsed = (performance.now() - t0) / 1000;
      if (elapsed === undefined) return;
      var missed = elapsed === null, cut = missed && ended === "error";  // a drill that stopped early
      var shown = missed ? budget : elapsed;
      bar.querySelector(".fill").style.width = (cut ? 0 : Math.min(shown / budget, 1) * 100) + "%";
      bar.querySelector(".elapsed").textContent =
        (cut ? "not reached" : missed ? "missed" : shown.toFixed(1) + " s") + " / " + budget + " s";
      var over = done[phase] !== undefined;
      bar.classList.toggle("late", (missed && !cut) || shown > budget);
      bar.classList.toggle("ok", over && !missed && shown <= budget);
    });
  }

  function addEvent(e) {
    if (e.name === "fault_injected" && t0 === null) {
      t0 = performance.now() - Math.max(0, Date.now() / 1000 - e.at) * 1000;
    }
    Object.keys(ENDS).forEach(function (phase) {
      if (ENDS[phase] === e.name && done[phase] === undefined && e.t_s !== null) done[phase] = e.t_s;
    });
    var li = document.createElement("li");
    li.dataset.event = e.name;
    var t = document.createElement("span"); t.className = "t"; t.textContent = e.t_s === null ? "before" : secs(e.t_s);
    var what = document.createElement("span"); what.className = "what"; what.textContent = e.name.replace(/_/g, " ");
    var more = document.createElement("span"); more.className = "more";
    more.textContent = Object.keys(e.details).filter(function (k) { return HIDDEN.indexOf(k) < 0; })
      .map(function (k) { var v = e.details[k]; return k + "=" + (v.length > 90 ? v.slice(0, 87) + "…" : v); })
      .join(" ");
    li.appendChild(t); li.appendChild(what); li.appendChild(more);
    list.appendChild(li);
  }

  function finish(state) {
    finished = true;
    ended = state.status;
    statusEl.textContent = state.status;
    statusEl.className = "badge " + state.status;
    var kill = document.getElementById("killswitch");
    if (kill) kill.hidden = true;
    document.getElementById("reports").hidden = false;
    fetch("/api/runs/" + runId).then(function (r) { return r.json(); }).then(function (run) {
      var drill = run.scorecard && run.scorecard.drills[0];
      var verdict = document.getElementById("verdict");
      if (!drill) { verdict.textContent = run.error || ""; return; }
      Object.keys(drill.phases).forEach(function (phase) { done[phase] = drill.phases[phase].elapsed_s; });
      verdict.textContent = drill.error ? "could not run: " + drill.error :
        drill.checks.filter(function (c) { return !c.passed; }).map(function (c) { return c.message; }).join("; ") || "all checks passed";
      paint();
    });
  }

  setInterval(paint, 250);
  var source = new EventSource("/api/runs/" + runId + "/events");
  source.addEventListener("drill_event", function (m) { addEvent(JSON.parse(m.data)); paint(); });
  source.addEventListener("log", function (m) { log.textContent += JSON.parse(m.data) + "\n"; });
  source.addEventListener("status", function (m) { source.close(); finish(JSON.parse(m.data)); });
})();
