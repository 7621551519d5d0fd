// Progressive enhancement for the respondent form: apply display logic as people answer.
// The server applies the same rules (rapport.domain.logic) and stays authoritative.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var known = {};
  var data = document.getElementById("known-answers");
  if (data) { try { known = JSON.parse(data.textContent || "{}"); } catch (e) { known = {}; } }

  function num(v) { var n = Number(v); return (v === "" || isNaN(n)) ? v : n; }

  function answers() {
    var out = Object.assign({}, known);
    var fd = new FormData(form);
    document.querySelectorAll(".question[data-qid]").forEach(function (el) { delete out[el.dataset.qid]; });
    var felt = {};  // emotion chips that are on: "question.emotion"
    fd.forEach(function (value, name) { if (name.indexOf("felt.") === 0) felt[name.slice(5) + "." + value] = true; });
    fd.forEach(function (value, name) {
      if (name.indexOf("q.") !== 0 || value === "") return;
      var parts = name.slice(2).split(".");
      var qid = parts[0];
      var chip = form.querySelector('input[name="felt.' + qid + '"]');
      if (chip && parts.length > 1 && !felt[parts.join(".")]) return;  // intensity of a chip turned off
      var box = form.querySelector('[name="' + name + '"]');
      if (parts.length > 1) { out[qid] = out[qid] || {}; out[qid][parts[1]] = num(value); }
      else if (box && box.type === "checkbox") { out[qid] = (out[qid] || []).concat([value]); }
      else { out[qid] = num(value); }
    });
    return out;
  }

  function answered(v) {
    if (v === undefined || v === null || v === "") return false;
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === "object") return Object.keys(v).length > 0;
    return true;
  }

  // Kleene logic: true, false or null (unknown), as on the server.
  function evaluate(c, a) {
    if (c.all) { var r = true; for (var i = 0; i < c.all.length; i++) { var x = evaluate(c.all[i], a); if (x === false) return false; if (x === null) r = null; } return r; }
    if (c.any) { var s = false; for (var j = 0; j < c.any.length; j++) { var y = evaluate(c.any[j], a); if (y === true) return true; if (y === null) s = null; } return s; }
    if (c.not) { var z = evaluate(c.not, a); return z === null ? null : !z; }
    var v = a[c.question];
    if (c.row !== undefined && v && typeof v === "object") v = v[c.row];
    if (c.op === "answered") return answered(v);
    if (c.op === "not_answered") return !answered(v);
    if (!answered(v)) return null;
    var e = c.value;
    switch (c.op) {
      case "==": return v == e;
      case "!=": return v != e;
      case "<": return v < e;
      case "<=": return v <= e;
      case ">": return v > e;
      case ">=": return v >= e;
      case "in": return e.indexOf(v) >= 0;
      case "not_in": return e.indexOf(v) < 0;
      case "contains": return Array.isArray(v) ? v.indexOf(e) >= 0 : (typeof v === "object" ? e in v : false);
    }
    return null;
  }

  function apply() {
    var a = answers();
    var shown = [];
    document.querySelectorAll(".question[data-qid]").forEach(function (el) {
      var cond = el.getAttribute("data-show-if");
      var visible = !cond || evaluate(JSON.parse(cond), a) === true;
      el.hidden = !visible;
      if (visible) shown.push(el.dataset.qid);
    });
    var field = form.querySelector('input[name="shown"]');
    if (field) field.value = shown.join(",");
  }

  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
