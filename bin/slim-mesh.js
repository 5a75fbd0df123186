#!/usr/bin/env node
// The command line, built to dist/ by `npm run build` (npm start builds first).
import '../dist/src/polyfill.js'
import { main } from '../dist/src/cli/main.js'

main(process.argv).catch((err) => {
  console.error(`slim-mesh: ${err?.message ?? err}`)
  process.exit(1)
})
