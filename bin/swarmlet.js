#!/usr/bin/env node
// The installed `swarmlet` command: runs the compiled CLI.
const { main } = await import('../dist/cmd/swarmlet.js');
await main(process.argv);
