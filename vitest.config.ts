import { defineConfig } from 'vitest/config';

// The backend is chosen by DATABASE_URL (unset: SQLite in a temp dir per test app; postgres://…: a fresh
// schema per test app), so `npm test` runs the same suite against either database.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-log-scan.ts'],
  },
});
