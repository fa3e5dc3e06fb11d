// Progressive enhancement only: every journey works without this file.
import { initAll as initGovUK } from './govuk-frontend.min.js'
import { initAll as initMOJ } from './moj-frontend.min.js'

initGovUK()
initMOJ()
