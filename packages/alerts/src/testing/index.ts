/**
 * @module @noa/alerts/testing
 * Test doubles for code that uses @noa/alerts: a recording channel, a real HTTP
 * receiver on 127.0.0.1, an in-memory silence store and a real Alertmanager.
 */

export type { AlertmanagerAlert, TestAlertmanager } from './alertmanager.ts'
export { ALERTMANAGER_BIN, startAlertmanager } from './alertmanager.ts'
export type { MemorySilenceStore } from './memory-silence-store.ts'
export { createMemorySilenceStore } from './memory-silence-store.ts'
export type { ReceivedRequest, Receiver, ReceiverMode } from './receiver.ts'
export { startReceiver } from './receiver.ts'
export type { RecordingChannel } from './recording-channel.ts'
export { createRecordingChannel } from './recording-channel.ts'
