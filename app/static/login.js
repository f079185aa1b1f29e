/* Sign-in page: the token goes to POST /login as JSON with the CSRF header; the answer
   sets the HttpOnly session cookie, and the dashboard at / takes over. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("login");
    var error = document.getElementById("error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      fetch("/login", {
        method: "POST", credentials: "same-origin",
        headers: {"content-type": "application/json", "x-orgcover-csrf": "1"},
        body: JSON.stringify({token: document.getElementById("token").value.trim()})
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) { window.location.assign("/"); return; }
          error.textContent = (body.errors && body.errors[0].message) || response.statusText;
          error.hidden = false;
        });
      }).catch(function (e) { error.textContent = String(e); error.hidden = false; });
    });
  });
})();
