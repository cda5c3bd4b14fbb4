/* autocollect workbench: keyboard navigation (docs/workbench.md).
 *   j / k   next / previous case in the queue
 *   Enter   open the selected case
 *   /       focus the queue filter
 *   g q     back to my queue (from any page: ui/base.html loads this file everywhere and the
 *           menu's queue link, data-nav="queue", says where it is; no link, no move)
 * Keys typed into a field are left alone. */
(function () {
  "use strict";

  var pendingG = false;
  var pendingTimer = null;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("[data-keyboard-list] tbody tr[data-href]")
    );
  }

  function selectedIndex(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("selected")) return i;
    }
    return -1;
  }

  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) {
      row.classList.remove("selected");
      row.removeAttribute("aria-selected");
    });
    var row = list[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (pendingG) {
      pendingG = false;
      clearTimeout(pendingTimer);
      if (event.key === "q") {
        var queue = document.querySelector('a[data-nav="queue"]');
        if (queue) {
          event.preventDefault();
          window.location.href = queue.href;
        }
        return;
      }
    }
    var list = rows();
    switch (event.key) {
      case "j":
        event.preventDefault();
        select(list, selectedIndex(list) + 1);
        break;
      case "k":
        event.preventDefault();
        select(list, Math.max(selectedIndex(list) - 1, 0));
        break;
      case "Enter": {
        var index = selectedIndex(list);
        if (index >= 0) {
          event.preventDefault();
          window.location.href = list[index].dataset.href;
        }
        break;
      }
      case "/": {
        var filter = document.getElementById("queue-filter");
        if (filter) {
          event.preventDefault();
          filter.focus();
          filter.select();
        }
        break;
      }
      case "g":
        pendingG = true;
        pendingTimer = setTimeout(function () { pendingG = false; }, 1000);
        break;
      default:
        break;
    }
  });

  // A row clicked anywhere opens its case, as Enter does.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-keyboard-list] tr[data-href]");
    if (row && !event.target.closest("a, button, input, select, textarea, label")) {
      window.location.href = row.dataset.href;
    }
  });
})();
