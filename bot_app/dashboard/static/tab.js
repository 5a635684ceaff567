// The tab's sign-in: ask Teams for a token (Teams single sign-on) and hand it to the server,
// which checks it and sets a short-lived session cookie; then go back to the page asked for.
// Outside Teams there is no token to get: say so (and, in local mode, the page offers the
// development sign-in).
(function () {
  "use strict";
  var status = document.getElementById("signin-status");
  var help = document.getElementById("signin-help");
  if (!status) return;
  var next = status.getAttribute("data-next") || "/tab";
  if (next.indexOf("/tab") !== 0 || next.indexOf("//") !== -1) next = "/tab";
  var done = false;

  function loadTeams() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = "/tab/static/teams-js/MicrosoftTeams.min.js";
      script.onload = function () {
        if (window.microsoftTeams) resolve(window.microsoftTeams);
        else reject(new Error("no Teams client library"));
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function fail(text) {
    if (done) return;
    done = true;
    status.textContent = text;
    if (help) help.hidden = false;
  }

  if (window.parent === window) {
    // Not in an iframe, so not in Teams: the Teams client library is not even loaded.
    fail("This page is not open in Microsoft Teams, so it cannot sign you in.");
    return;
  }
  var timer = window.setTimeout(function () {
    fail("Microsoft Teams did not answer, so you are not signed in. Reload the tab to try again.");
  }, 8000);
  var teams;
  loadTeams()
    .then(function (library) {
      teams = library;
      return teams.app.initialize();
    })
    .then(function () {
      return teams.authentication.getAuthToken();
    })
    .then(function (token) {
      return fetch("/tab/auth/teams", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token }),
      });
    })
    .then(function (response) {
      window.clearTimeout(timer);
      if (response.ok) {
        done = true;
        window.location.replace(next);
      } else if (response.status === 403) {
        fail("Your organisation is not allowed to use this dashboard.");
      } else {
        fail("Teams could not sign you in (error " + response.status + "). Reload the tab to try again.");
      }
    })
    .catch(function () {
      window.clearTimeout(timer);
      fail("Teams could not sign you in. Reload the tab to try again.");
    });
})();
