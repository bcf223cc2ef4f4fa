// Small progressive enhancements; every page works without this file.
"use strict";
document.documentElement.classList.add("js");

// <select data-autosubmit>: submit its form on change (the organization switcher).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});

// <button data-copy="input-id">: copy that input's value, report in #copy-status.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById("copy-status");
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch (_err) {
      // Clipboard API needs HTTPS or localhost; fall back to the selection.
      field.focus();
      field.select();
      ok = document.execCommand && document.execCommand("copy");
    }
    if (status) status.textContent = ok ? button.dataset.copied : button.dataset.failed;
  });
});
