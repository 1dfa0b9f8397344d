// Paging cursors of the API: opaque to clients (base64url), and tagged with what they page
// through, so a cursor of one list is refused by another instead of read as a wrong place.

/** A cursor for `text` (the place in a list) of the list tagged `tag`. */
export function encodeCursor(tag: string, text: string): string {
  return Buffer.from(`${tag}:${text}`, 'utf8').toString('base64url')
}

/** The place a cursor of the list tagged `tag` names, or undefined when it is not one this API made. */
export function decodeCursor(tag: string, cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const prefix = `${tag}:`
  return text.startsWith(prefix) && text.length > prefix.length ? text.slice(prefix.length) : undefined
}
