// Progressive enhancement only: every form works without this file.
(function () {
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) ev.preventDefault();
  });
  document.addEventListener("click", function (ev) {
    var level = ev.target.getAttribute && ev.target.getAttribute("data-set-all");
    if (!level) return;
    document.querySelectorAll('input[type=radio][value="' + level + '"][name^="obj_"]').forEach(function (r) { r.checked = true; });
  });
})();
