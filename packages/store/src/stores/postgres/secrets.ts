/**
 * A function that takes the connection string and its password out of a text, in every
 * form they may be echoed in (whole, as written in the URL, decoded), for errors, logs
 * and health. Without a connection string (a pool passed in), texts pass unchanged.
 */
export function createScrubber(connectionString: string | undefined): (text: string) => string {
  if (!connectionString) return (text) => text
  const secrets = [connectionString]
  try {
    const password = new URL(connectionString).password
    if (password) secrets.push(password, decodeURIComponent(password))
  } catch {
    // Not a URL (a libpq key=value string): only the whole string is scrubbed.
  }
  // Longest first, so the whole string goes before the password inside it.
  const ordered = [...new Set(secrets)].sort((a, b) => b.length - a.length)
  return (text) => ordered.reduce((out, secret) => out.split(secret).join('***'), text)
}
