// The channel tab's configuration page: nothing to choose, so Save is allowed at once and adds
// the dashboard, which shows each person only the cases their role permits.
(function () {
  "use strict";
  var status = document.getElementById("config-status");
  if (window.parent === window) {
    if (status) status.textContent = "Open this page from Microsoft Teams to add the tab.";
    return;
  }
  var script = document.createElement("script");
  script.src = "/tab/static/teams-js/MicrosoftTeams.min.js";
  script.onload = configure;
  document.head.appendChild(script);

  function configure() {
  var teams = window.microsoftTeams;
  teams.app.initialize().then(function () {
    teams.pages.config.registerOnSaveHandler(function (saveEvent) {
      var base = window.location.origin;
      teams.pages.config
        .setConfig({
          entityId: "cspr-dashboard",
          contentUrl: base + "/tab",
          websiteUrl: base + "/tab",
          suggestedDisplayName: "CSPR cases",
        })
        .then(function () {
          saveEvent.notifySuccess();
        })
        .catch(function () {
          saveEvent.notifyFailure("The tab could not be saved.");
        });
    });
    teams.pages.config.setValidityState(true);
  });
  }
})();
