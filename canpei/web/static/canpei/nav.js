/* The header's menu on a phone (canpei.css, max-width 40rem): the navigation, the account links
 * and the language switch fold behind one "菜单" button. Without JavaScript nothing folds: the
 * header simply wraps, as every link must stay reachable. */
(function () {
  "use strict";

  function setUp() {
    var header = document.querySelector(".site-header");
    var toggle = header && header.querySelector(".nav-toggle");
    if (!toggle) {
      return;
    }
    header.classList.add("nav-collapsible");
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
