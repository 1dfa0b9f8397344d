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
