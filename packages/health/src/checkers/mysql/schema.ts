import { z } from 'zod'

/** Options of the `mysql` checker (MySQL and MariaDB): connect, authenticate and run a query (`SELECT 1`). */
export const mysqlCheckSchema = z.strictObject({
  type: z.literal('mysql'),
  /** Connection URL, e.g. `mysql://noa:${MYSQL_PASSWORD}@db:3306/app`. Its password never appears in results. */
  url: z.string().regex(/^(?:mysql|mariadb):\/\//, 'expected a mysql:// or mariadb:// URL'),
  /** Query that must succeed. @default 'SELECT 1' */
  query: z.string().min(1).default('SELECT 1'),
})

export type MysqlCheckOptions = z.output<typeof mysqlCheckSchema>
