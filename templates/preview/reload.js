// Every preview page: reload when the site's generation changes (a file was saved).
(function () {
  var drawn = document.currentScript.getAttribute("data-generation");
  var key = "digest-preview-scroll:" + location.pathname + location.search;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, Number(saved)); }
  // A form on its way (e.g. "Send a test") must not be cancelled by a reload: its answer
  // is a new page drawn at the new generation anyway.
  var submitting = false;
  document.addEventListener("submit", function () { submitting = true; });
  // Nor is what is being typed into a form: the page says the content changed instead
  // (the curation page refuses to save over a file changed since it was drawn, and says so).
  var edited = false;
  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form.method === "post") { edited = true; }
  });
  function tell() {
    if (document.getElementById("changed-on-disk")) { return; }
    var note = document.createElement("div");
    note.id = "changed-on-disk";
    note.className = "panel";
    note.setAttribute("role", "status");
    note.textContent = "The content was saved since this page was drawn. Save your change (it is " +
      "checked against the file first) or reload the page to see what changed.";
    document.querySelector("main").prepend(note);
  }
  function connect() {
    var source = new EventSource("/events");
    source.onmessage = function (event) {
      if (event.data === drawn || submitting) { return; }
      if (edited) { tell(); return; }
      source.close();
      sessionStorage.setItem(key, String(window.scrollY));
      location.replace(location.href.split("#")[0]);  // a GET, even after a form was sent
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 1000); }
    };
  }
  connect();
})();
