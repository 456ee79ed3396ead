#!/usr/bin/env node
// The published entry: the compiled CLI (npm run build, or tsc -b, produces dist/).
import '../dist/cli.js';
