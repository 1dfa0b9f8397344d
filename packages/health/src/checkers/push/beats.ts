/** What a job said in one beat. */
export interface Beat {
  /** `down` makes the check unhealthy at once; anything else is a sign of life. @default 'up' */
  status?: 'up' | 'down'
  /** The job's own words, shown in the result (at most 200 characters are kept). */
  message?: string | undefined
}

/** A beat as kept: when it came, with what it said. */
export interface ReceivedBeat {
  at: number
  status: 'up' | 'down'
  message?: string | undefined
}

/** The longest message of a beat kept: a result is shown and stored, not a log. */
export const MAX_BEAT_MESSAGE = 200
