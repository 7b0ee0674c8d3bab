/* shoudi console: the only script. Print buttons and region-picker conveniences; every page works without it. */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
/* Cascading region pickers: choosing a level reloads the list (the next level then lists its
   children); a search box filters long option lists by name. Without JavaScript the 筛选 button does
   the same. */
document.querySelectorAll("form[data-region-picker]").forEach(function (form) {
  var selects = form.querySelectorAll("select[data-autosubmit]");
  selects.forEach(function (select, i) {
    select.addEventListener("change", function () {
      for (var j = i + 1; j < selects.length; j++) { selects[j].value = ""; }
      form.submit();
    });
    if (select.options.length > 15) {
      var box = document.createElement("input");
      box.type = "search";
      box.className = "option-search";
      box.placeholder = form.getAttribute("data-search-label") || "";
      box.setAttribute("aria-label", box.placeholder);
      box.addEventListener("input", function () {
        var text = box.value.trim();
        Array.prototype.forEach.call(select.options, function (option) {
          option.hidden = !!text && option.value !== "" && option.text.indexOf(text) === -1;
        });
      });
      select.parentNode.insertBefore(box, select);
    }
  });
});
/* Long region lists outside the pickers (the user form): a search box filters the options by name. */
document.querySelectorAll("select[data-searchable]").forEach(function (select) {
  if (select.options.length <= 15) { return; }
  var box = document.createElement("input");
  box.type = "search";
  box.className = "option-search";
  box.placeholder = select.getAttribute("aria-label") || "";
  box.setAttribute("aria-label", box.placeholder);
  box.addEventListener("input", function () {
    var text = box.value.trim();
    Array.prototype.forEach.call(select.options, function (option) {
      option.hidden = !!text && option.value !== "" && option.text.indexOf(text) === -1;
    });
  });
  select.parentNode.insertBefore(box, select);
});
