// The server sends a wrong token back to /console/login?failed=1: say so.
'use strict';
if (new URLSearchParams(window.location.search).get('failed') === '1') {
  document.getElementById('login-failed').hidden = false;
}
