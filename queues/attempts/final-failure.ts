/**
 * An attempt that must not be tried again: already audited where a person or an operator
 * needs to see it (a rejected address, a refused resume). Workers turn it into BullMQ's
 * UnrecoverableError; a first attempt made inline simply stops.
 */
export class FinalFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FinalFailure'
  }
}
