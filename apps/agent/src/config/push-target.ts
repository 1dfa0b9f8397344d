import { z } from 'zod'

/**
 * An http:// or https:// URL of a receiver noa pushes to; `hint` says what is expected when it
 * is not one (the value itself is never echoed: it may carry a credential).
 */
export const httpUrl = (hint: string) =>
  z
    .string()
    .min(1)
    .refine((text) => {
      try {
        const u = new URL(text)
        return u.protocol === 'http:' || u.protocol === 'https:'
      } catch {
        return false
      }
    }, hint)

/**
 * Extra request headers of a push (remote write, OTLP), refusing those the sender sets itself
 * (`reserved`, lower case); `sender` names it in the problem.
 */
export const pushHeaders = (reserved: ReadonlySet<string>, sender: string) =>
  z
    .record(z.string().min(1), z.string())
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers))
        if (reserved.has(name.toLowerCase()))
          ctx.addIssue({ code: 'custom', path: [name], message: `is set by ${sender} itself`, input: name })
    })
    .default({})
