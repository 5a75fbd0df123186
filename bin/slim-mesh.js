#!/usr/bin/env node
// The command line, compiled to dist/ by `npm run build` (`npm start` builds first).
import '../dist/src/cli/bin.js'
