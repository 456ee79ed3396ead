import { defineConfig } from 'prisma/config';

// The datasource URL is only needed by CLI commands that talk to a database; `generate` must work without one
// (env() would throw when DATABASE_URL is unset), so fall back to an empty string.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
