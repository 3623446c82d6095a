// New documents and answers without reloading (B4, B2). A page that asks for it (<main data-live-events>)
// listens to the server's events; on `delivered` (a document) or `answered` (a service answered a
// request) it fetches its own URL again with `X-Portal-Partial: 1`, for which the server answers only
// the page's live parts (list region, a request's thread, unread counters), and swaps them in by id.
// Without this script, or without EventSource, the pages work the same, by reloading.
// A tab whose stream a newer tab of the account took (`superseded`) listens again once looked at.
(function () {
  "use strict";

  var main = document.getElementById("main");
  if (!main || !main.dataset.liveEvents || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = document.getElementById("live-status");
  var fetching = false;
  var again = false;
  var news = ""; // what to announce once the parts are swapped in: the latest event's words, if any

  function swapParts(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var parts = fresh.querySelectorAll("[data-live-part][id]");
    var focused = document.activeElement;
    var focusedHref = focused && focused.getAttribute ? focused.getAttribute("href") : null;
    var swapped = 0;
    parts.forEach(function (part) {
      var old = document.getElementById(part.id);
      if (!old) {
        return;
      }
      var hadFocus = old.contains(focused);
      var known = rowKeys(old);
      var replacement = document.adoptNode(part);
      old.replaceWith(replacement);
      swapped += 1;
      highlightArrived(replacement, known);
      // Keep the keyboard where it was: the same link in the new list, else the list itself.
      if (hadFocus) {
        var same = focusedHref ? replacement.querySelector('a[href="' + CSS.escape(focusedHref) + '"]') : null;
        if (same) {
          same.focus();
        } else {
          replacement.setAttribute("tabindex", "-1");
          replacement.focus();
        }
      }
    });
    return swapped;
  }

  // A list row is known by its header's link (its document, its request), else its first link.
  function rowKey(row) {
    var link = row.querySelector("th a[href]") || row.querySelector("a[href]");
    return link ? link.getAttribute("href") : null;
  }

  function rowKeys(part) {
    var keys = {};
    part.querySelectorAll("tbody tr").forEach(function (row) {
      var key = rowKey(row);
      if (key) {
        keys[key] = true;
      }
    });
    return keys;
  }

  // The rows that just arrived are highlighted for a moment (portal.css: .live-arrived, none when
  // the physician asks for reduced motion); the live region already says what arrived.
  function highlightArrived(part, known) {
    part.querySelectorAll("tbody tr").forEach(function (row) {
      var key = rowKey(row);
      if (key && !known[key]) {
        row.classList.add("live-arrived");
        row.addEventListener("animationend", function () {
          row.classList.remove("live-arrived");
        });
      }
    });
  }

  function announce() {
    var words = news;
    news = "";
    if (!status || !words) {
      return;
    }
    // Emptied first, so that a second identical message is announced again.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = words;
    }, 100);
  }

  function refresh(words) {
    news = words || news;
    if (fetching) {
      again = true; // one more fetch after this one covers every event received meanwhile
      return;
    }
    fetching = true;
    again = false;
    // A redirect means the session ended: leave the page as it is; the next click shows the login.
    fetch(window.location.href, {
      headers: { "X-Portal-Partial": "1" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error"
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (swapParts(html) > 0) {
          announce();
        }
      })
      .catch(function () {
        // Nothing to do: the page stays as it was, and reloading it still works.
      })
      .then(function () {
        fetching = false;
        if (again) {
          refresh();
        }
      });
  }

  var source = null;

  function listen() {
    source = new EventSource(main.dataset.liveEvents);
    source.addEventListener("open", function () {
      main.dataset.liveState = "open";
    });
    source.addEventListener("delivered", function () {
      refresh(main.dataset.liveAnnounce);
    });
    source.addEventListener("answered", function () {
      refresh(main.dataset.liveAnnounceAnswered);
    });
    // The account's newer tabs took this one's place (a few streams per account): it stops
    // listening, and listens again, up to date, when it is looked at.
    source.addEventListener("superseded", function () {
      source.close();
      source = null;
      main.dataset.liveState = "superseded";
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (source === null && document.visibilityState === "visible") {
      listen();
      refresh();
    }
  });
  listen();
})();
