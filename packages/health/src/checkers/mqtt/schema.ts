import { z } from 'zod'

/** Options of the `mqtt` checker: connect, subscribe, publish at QoS 1 and receive the message back. */
export const mqttCheckSchema = z.strictObject({
  type: z.literal('mqtt'),
  /** Broker URL, e.g. `mqtt://broker:1883` or `mqtts://broker:8883`. A password in it never appears in results. */
  url: z.string().regex(/^mqtts?:\/\//, 'expected a mqtt:// or mqtts:// URL'),
  /** User name to connect as (or in the URL). */
  username: z.string().min(1).optional(),
  /** Password, from the environment: `${MQTT_PASSWORD}`. Never appears in results. */
  password: z.string().min(1).optional(),
  /**
   * Topic the check subscribes to and publishes on; the broker must let this client do both.
   * @default `noa/health/<random>`, a new one per attempt
   */
  topic: z
    .string()
    .min(1)
    .refine((t) => !/[+#]/.test(t), 'a topic to publish on has no wildcard (+ or #)')
    .optional(),
})

export type MqttCheckOptions = z.output<typeof mqttCheckSchema>
