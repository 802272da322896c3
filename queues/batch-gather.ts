/**
 * How long a batch member's first delivery waits, so that the rest of its batch (raised by
 * the same run moments later) is there when the first job of the batch composes one message
 * per recipient. Members raised later than this are delivered on their own.
 */
export const BATCH_GATHER_MS = 3_000
