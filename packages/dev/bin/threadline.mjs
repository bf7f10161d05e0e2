#!/usr/bin/env node
// The `threadline` command. The bin is this file rather than dist/cli.mjs so
// that it exists before the build: installing the workspace links it without
// a warning, and the link works once `dist` is built.
import '../dist/cli.mjs';
