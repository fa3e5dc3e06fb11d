// Builds the assets that the Go binary embeds (frontend/dist): the Design System's Sass compiled
// with Arial (never the GDS Transport font, whose licence reserves it for GOV.UK), the GOV.UK and
// MOJ JavaScript, the MOJ icons, and our own small scripts. Run by `make` before `go build`.
import * as sass from 'sass'
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const dist = 'dist'

// Empty dist but keep .gitkeep, which lets `go build` embed the folder on a fresh clone.
await mkdir(dist, { recursive: true })
for (const entry of await readdir(dist)) {
  if (entry !== '.gitkeep') await rm(join(dist, entry), { recursive: true, force: true })
}
await mkdir(join(dist, 'images'))

// GOV.UK Frontend warns about deprecated calls wherever they are made. Calls made by MOJ Frontend
// are theirs to fix; calls made by our own Sass are shown.
const logger = {
  warn (message, { stack = '' }) {
    const caller = stack.split('\n').find(line => line.trim() && !line.includes('govuk-frontend/dist/govuk')) || ''
    if (!caller.includes('node_modules')) console.warn(`WARNING: ${message}\n${stack}`)
  }
}
const css = sass.compile('src/app.scss', {
  loadPaths: ['.'],
  style: 'compressed',
  quietDeps: true,
  logger
})
await writeFile(join(dist, 'app.css'), css.css)

// The minified modules end with a sourceMappingURL to maps we do not ship.
async function copyScript (from, to) {
  const js = await readFile(from, 'utf8')
  await writeFile(join(dist, to), js.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'))
}
await copyScript('node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js', 'govuk-frontend.min.js')
await copyScript('node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.js', 'moj-frontend.min.js')
for (const file of ['app.js', 'init.js', 'favicon.svg', 'upload.js']) {
  await copyFile(join('src', file), join(dist, file))
}

// MOJ components draw their icons from images/; its crest and logotype are not ours to use.
const mojImages = 'node_modules/@ministryofjustice/frontend/moj/assets/images'
for (const file of await readdir(mojImages)) {
  if (file.startsWith('icon-') && file.endsWith('.svg')) {
    await copyFile(join(mojImages, file), join(dist, 'images', file))
  }
}
console.log('front-end assets built into frontend/dist')
