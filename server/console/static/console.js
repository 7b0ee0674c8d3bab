/* shoudi console: the only script. Print buttons; nothing else depends on JavaScript. */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
