// A document shown inline beside its details has been opened (its viewer asked for the PDF, which
// the server records as a reading): the page says so without a reload, the "unread" badge gone and
// the button offering to mark it unread. Without this script the page says it at the next visit.
// Loaded in the head, not deferred: the listener is in place before the frame can finish loading
// (a deferred script, fetched after a fast PDF, missed that load and left the page saying unread).
(function () {
  "use strict";

  function showRead() {
    var badge = document.querySelector(".document-badges .badge:not(.badge-corrected)");
    if (badge) {
      badge.remove();
    }
    var form = document.querySelector("form.mark-read");
    if (form && form.dataset.unreadAction) {
      form.action = form.dataset.unreadAction;
      form.querySelector("button").textContent = form.dataset.unreadLabel;
      form.classList.remove("mark-read");
    }
  }

  // A frame's load does not bubble, but it passes the document on its way down (capture).
  document.addEventListener(
    "load",
    function (event) {
      var preview = event.target;
      if (!preview.matches || !preview.matches("iframe.document-preview")) {
        return;
      }
      if (!preview.getClientRects().length) {
        return; // hidden on a phone: not loaded, not read
      }
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", showRead);
      } else {
        showRead();
      }
    },
    true
  );
})();
