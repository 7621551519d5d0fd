// Draw every chart of the dashboard from the Vega-Lite spec embedded beside it.
// CSP-safe: no inline script (this file), no eval -- Vega expressions are parsed to an AST
// and run by the vendored vega-interpreter (ast: true), and vega-embed/vega-tooltip do not
// inject <style> elements (their rules are in rapport.css).
(function () {
  "use strict";
  var options = {
    actions: false,
    renderer: "svg",
    ast: true,
    expr: vega.expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  };
  document.querySelectorAll("script[id^=spec-]").forEach(function (el) {
    var name = el.id.slice(5);
    vegaEmbed("#chart-" + name, JSON.parse(el.textContent), options);
  });
})();
