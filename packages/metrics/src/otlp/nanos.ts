/** Epoch ms to OTLP's epoch nanoseconds, kept to the microsecond (ms * 1e6 is past 2^53). */
export function nanosOf(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n
}
