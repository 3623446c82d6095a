// A request's form (F3.2): the draft is saved in the background a few seconds after the physician
// stops typing, and when the page is hidden, by POST to the form's `data-autosave` (its fields,
// URL-encoded, with the form's CSRF token); never sent to the service. The first save of a new
// form creates the draft: the form and the address then become the draft's (/requests/<id>), so
// that later saves, the buttons and a reload all work on that one draft. A status line says when
// it was saved. Without this script the form works the same, with its buttons.
// Also: the typed patient's fields are hidden while a patient is chosen in the list (the server
// uses them only when none is).
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("autosave-status");
  if (!form || !status || !window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var DELAY = 3000;
  var timer = null;
  var dirty = false;
  var inFlight = false;
  var submitting = false;
  var submitter = undefined; // the button of a submission that waits for a save in flight

  function token() {
    var field = form.elements.namedItem("csrf_token");
    if (field && field.value) {
      return field.value;
    }
    return new URL(form.action, window.location.href).searchParams.get("csrf_token") || "";
  }

  function body() {
    var fields = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") {
        fields.append(name, value); // files are not a draft's text
      }
    });
    if (!fields.has("csrf_token")) {
      fields.append("csrf_token", token());
    }
    return fields;
  }

  function say(text) {
    status.textContent = text || "";
  }

  function savedAt(iso) {
    var time = new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, {
      hour: "2-digit",
      minute: "2-digit"
    });
    return (status.dataset.saved || "").replace("{time}", time);
  }

  function becomeDraft(id) {
    // The new form is now the draft's: the next saves, the buttons and a reload use it.
    var path = "/requests/" + encodeURIComponent(id);
    var action = new URL(form.action, window.location.href);
    if (action.pathname === path) {
      return;
    }
    action.pathname = path;
    form.action = action.pathname + action.search;
    form.dataset.autosave = path + "/autosave";
    if (window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "", path);
    }
  }

  function finished() {
    inFlight = false;
    if (submitter !== undefined) {
      var button = submitter;
      submitter = undefined;
      submitting = true;
      if (form.requestSubmit) {
        form.requestSubmit(button || undefined);
      } else {
        form.submit();
      }
    } else if (dirty) {
      schedule();
    }
  }

  function save(leaving) {
    window.clearTimeout(timer);
    timer = null;
    if (!dirty || submitting) {
      return;
    }
    if (inFlight) {
      return; // `finished` saves again what changed meanwhile
    }
    dirty = false;
    inFlight = true;
    fetch(form.dataset.autosave, {
      method: "POST",
      body: body(),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      redirect: "manual", // an ended session answers with the login page: not saved
      keepalive: Boolean(leaving)
    })
      .then(function (response) {
        if (response.ok) {
          return response.json().then(function (saved) {
            becomeDraft(saved.id);
            say(savedAt(saved.saved_at));
          });
        }
        if (response.status === 400 || response.status === 409) {
          return response.json().then(function (refused) {
            var problems = (refused && refused.problems) || {};
            say(problems.service ? status.dataset.needsService : status.dataset.refused);
          });
        }
        dirty = true;
        say(status.dataset.failed);
      })
      .catch(function () {
        dirty = true;
        say(status.dataset.failed);
      })
      .then(finished);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY);
  }

  function changed(event) {
    if (event.target && event.target.type === "file") {
      return;
    }
    dirty = true;
    schedule();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);
    if (inFlight && !submitting) {
      // A new draft's first save is on its way: send the form to that draft once it is made.
      event.preventDefault();
      submitter = event.submitter || null;
      return;
    }
    submitting = true;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save(true);
    }
  });
  window.addEventListener("pagehide", function () {
    save(true);
  });

  var chosen = document.getElementById("my_patient");
  var typed = document.getElementById("typed-patient");
  function showTyped() {
    typed.hidden = Boolean(chosen.value);
  }
  if (chosen && typed) {
    chosen.addEventListener("change", showTyped);
    showTyped();
  }
})();
