// A document shown inline beside its details has been opened (its viewer asked for the PDF, which
// the server records as a reading): the page says so without a reload, the "unread" badge gone and
// the button offering to mark it unread. Without this script the page says it at the next visit.
(function () {
  "use strict";

  var preview = document.querySelector("iframe.document-preview");
  if (!preview) {
    return;
  }
  preview.addEventListener("load", function () {
    if (!preview.getClientRects().length) {
      return; // hidden on a phone: not loaded, not read
    }
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
  });
})();
