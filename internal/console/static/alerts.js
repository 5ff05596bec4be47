// The live count of new alerts in the menu: refreshed every 15 seconds
// from /api/v1/alerts/count. The page works without it (the count is
// rendered by the server on every page).
(function () {
  "use strict";
  var badge = document.getElementById("alerts-new");
  if (!badge) { return; }
  function refresh() {
    fetch("/api/v1/alerts/count", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (b && typeof b["new"] === "number") {
          badge.textContent = String(b["new"]);
          badge.className = b["new"] > 0 ? "count live" : "count";
        }
      })
      .catch(function () {});
  }
  setInterval(refresh, 15000);
})();
