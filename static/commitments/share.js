// "Copy link" on the share panel. The button is hidden in the HTML and shown here, so
// readers without JavaScript (or without a clipboard) never see a button that does nothing.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy-link]").forEach(function (button) {
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy-link")).then(
        function () { status.textContent = "Link copied."; },
        function () { status.textContent = "Could not copy: select the address above instead."; }
      );
    });
  });
})();
