import { useState } from 'react'
import { useToken } from '../data/token.ts'
import { useWhoami } from '../data/whoami.ts'

/** Where a user enters the API token that unlocks actions; kept for this tab only. */
export function TokenForm() {
  const [token, setToken] = useToken()
  const [draft, setDraft] = useState('')
  const { whoami, refused } = useWhoami()
  if (token)
    return (
      <div className="token">
        {refused ? (
          <span className="chip chip-bad" title="The agent does not know this token">
            <span aria-hidden="true">🔑 </span>Token refused
          </span>
        ) : (
          <span className="chip chip-ok" title="Who the agent says this token is">
            <span aria-hidden="true">🔑 </span>
            {whoami?.name ? `${whoami.name} (${whoami.role})` : 'Token set'}
          </span>
        )}
        <button type="button" className="btn btn-small" onClick={() => setToken('')}>
          Forget token
        </button>
      </div>
    )
  return (
    <form
      className="token"
      aria-label="API token"
      onSubmit={(event) => {
        event.preventDefault()
        setToken(draft.trim())
        setDraft('')
      }}
    >
      <label htmlFor="api-token" className="sr-only">
        API token (NOA_API_TOKEN) for actions
      </label>
      <input
        id="api-token"
        type="password"
        autoComplete="off"
        placeholder="API token for actions"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit" className="btn btn-small" disabled={draft.trim() === ''}>
        Use token
      </button>
    </form>
  )
}
