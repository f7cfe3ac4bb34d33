// lognet console: keeps the API bearer token in sessionStorage and sends it with every request.
(function () {
  "use strict";
  var KEY = "lognet.token", ROLE = "lognet.role", USER = "lognet.user";
  var lognet = window.lognet = {
    token: function () { return sessionStorage.getItem(KEY); },
    role: function () { return sessionStorage.getItem(ROLE); },
    headers: function (extra) {
      var h = Object.assign({}, extra || {});
      var t = lognet.token();
      if (t) { h.Authorization = "Bearer " + t; }
      return h;
    },
    logout: function () {
      sessionStorage.removeItem(KEY); sessionStorage.removeItem(ROLE); sessionStorage.removeItem(USER);
      window.location.href = "/login";
    }
  };

  document.addEventListener("htmx:configRequest", function (e) {
    var t = lognet.token();
    if (t) { e.detail.headers.Authorization = "Bearer " + t; }
  });
  // Show failed requests instead of silently ignoring them.
  document.addEventListener("htmx:responseError", function (e) {
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = "Request failed: " + e.detail.xhr.status + " " + e.detail.xhr.statusText; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("login-form");
    if (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var err = document.getElementById("login-error");
        err.textContent = "";
        fetch("/api/v1/auth/token", {
          method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({username: form.username.value, password: form.password.value})
        }).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
          .then(function (res) {
            if (!res.ok) { err.textContent = res.body.detail || "Login failed"; return; }
            sessionStorage.setItem(KEY, res.body.token);
            sessionStorage.setItem(ROLE, res.body.role);
            sessionStorage.setItem(USER, res.body.username);
            var next = new URLSearchParams(window.location.search).get("next");
            window.location.href = next && next.charAt(0) === "/" ? next : "/";
          }).catch(function () { err.textContent = "The engine is not reachable"; });
      });
      return;
    }
    if (!lognet.token()) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
      return;
    }
    document.body.classList.add("role-" + lognet.role());
    var who = document.getElementById("who");
    if (who) { who.textContent = sessionStorage.getItem(USER) + " (" + lognet.role() + ")"; }
    var out = document.getElementById("logout");
    if (out) { out.addEventListener("click", lognet.logout); }
  });
})();
