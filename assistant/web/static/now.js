// The Now page's openings inbox, kept current by server-sent events (no reload needed).
// The server sends the inbox's HTML, rendered and escaped by the same template as the page.
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  if (!inbox || !window.EventSource) {
    return;
  }
  var source = new EventSource("/now/openings");
  source.addEventListener("openings", function (event) {
    inbox.innerHTML = event.data;
    inbox.dataset.updated = String(Date.now());
  });
})();
