// Runs before the page paints: tells the stylesheet that JavaScript is on, and that the browser
// can run GOV.UK Frontend's modules. Kept in its own file because the Content-Security-Policy
// allows no inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
