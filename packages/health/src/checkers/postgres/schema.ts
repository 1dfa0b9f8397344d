import { z } from 'zod'

/** Options of the `postgres` checker: connect and run a query (`SELECT 1`). */
export const postgresCheckSchema = z.strictObject({
  type: z.literal('postgres'),
  /** Connection URL, e.g. `postgres://user:${PGPASSWORD}@db:5432/app`. Its password never appears in results. */
  url: z.string().regex(/^postgres(?:ql)?:\/\//, 'expected a postgres:// or postgresql:// URL'),
  /** Query that must succeed. @default 'SELECT 1' */
  query: z.string().min(1).default('SELECT 1'),
})

export type PostgresCheckOptions = z.output<typeof postgresCheckSchema>
