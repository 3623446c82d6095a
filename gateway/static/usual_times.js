// A request's form (request_form.html): under the service's select, the chosen service's usual time
// to a first answer, from its option's data-usual; the list of every service's, for pages without
// scripts, is then not needed.
(function () {
  "use strict";

  var select = document.getElementById("service");
  var line = document.getElementById("service-usual");
  var list = document.querySelector("[data-usual-times]");
  if (!select || !line) {
    return;
  }

  function show() {
    var option = select.options[select.selectedIndex];
    var usual = option ? option.getAttribute("data-usual") || "" : "";
    line.textContent = usual;
    line.hidden = !usual;
  }

  if (list) {
    list.hidden = true;
  }
  select.addEventListener("change", show);
  show();
})();
