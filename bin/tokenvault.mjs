#!/usr/bin/env node
// The `tokenvault` command: plain JavaScript built from src/ into dist/ by `npm run build` (run by npm install).
const { main } = await import('../dist/main.js');
await main(process.argv);
