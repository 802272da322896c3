import { configureValidation } from '../../engine/json-schema.js'

// A cold validation worker on a loaded test machine can take longer than the 1 s production
// default, which would turn a valid request into a 422 at random. Tests of the limit itself
// set their own (test/hostile/validation-budget.test.ts).
configureValidation({ timeoutMs: 10_000 })
