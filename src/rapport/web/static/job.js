// Import job page: update the progress bar every second from the API, and show the
// finished page as soon as the job ends (the page also refreshes itself without JS).
(function () {
  "use strict";
  var card = document.getElementById("import-job");
  if (!card || card.dataset.finished === "true") return;
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  function poll() {
    fetch("/api/v1/jobs/" + card.dataset.job, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.rows_total) {
          bar.max = job.rows_total;
          bar.value = job.rows_done;
          count.textContent = job.rows_done + " of " + job.rows_total;
        }
        if (job.status !== "queued" && job.status !== "running") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 1000);
})();
