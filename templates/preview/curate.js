// The curation page: each headline's and summary's word count as it is typed.
(function () {
  "use strict";
  function words(text) {
    var found = text.trim().match(/\S+/g);
    return found ? found.length : 0;
  }
  document.querySelectorAll("[data-words]").forEach(function (field) {
    var count = document.getElementById(field.id + "-words");
    var limit = Number(field.getAttribute("data-words"));
    if (!count) { return; }
    field.addEventListener("input", function () {
      var n = words(field.value || field.placeholder);
      count.textContent = n + (n === 1 ? " word" : " words") + " (about " + limit + " at most)" +
        (n > limit ? "; longer than readers scan" : "") + (field.value.trim() ? "" : ", made from the document");
    });
  });
})();
