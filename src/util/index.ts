/**
 * Small helpers with no place of their own.
 *
 * - ./async-queue.ts: a bounded queue read with `for await` (subscriptions, channel statuses).
 */
export { AsyncQueue } from './async-queue.js'
