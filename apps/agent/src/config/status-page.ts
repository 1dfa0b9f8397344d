import { z } from 'zod'

/** Longest title and description of the public status page, in characters. */
export const STATUS_PAGE_TITLE_MAX = 200
export const STATUS_PAGE_DESCRIPTION_MAX = 2000

/**
 * The `statusPage` section: what the public page at `/status` says about itself. Which
 * services it shows is each service's `public: true`; this section is optional.
 *
 * @example
 * ```json
 * { "statusPage": { "title": "Acme status", "description": "Live status of the Acme APIs" } }
 * ```
 */
export const statusPageSchema = z.strictObject({
  /** The page's heading and its browser title. */
  title: z.string().trim().min(1, 'expected a title').max(STATUS_PAGE_TITLE_MAX),
  /** A line under the title. */
  description: z.string().max(STATUS_PAGE_DESCRIPTION_MAX).optional(),
})

export type StatusPageConfig = z.output<typeof statusPageSchema>

/** The title of a page whose configuration names none. */
export const DEFAULT_STATUS_PAGE_TITLE = 'Service status'
