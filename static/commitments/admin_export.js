// The export page's "Select all" box, without the inline onchange= the CSP refuses.
// django-import-export's own script (loaded with the form) defines onSelectToggleChange.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input.select-toggle").forEach((toggle) => {
    toggle.addEventListener("change", onSelectToggleChange);
  });
});
