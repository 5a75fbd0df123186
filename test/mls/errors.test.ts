import { describe, it, expect } from 'vitest'
import * as errors from '../../src/mls/errors.js'

describe('mls errors', () => {
  for (const [exported, ErrorClass] of Object.entries(errors)) {
    it(`${exported} names itself and carries its cause`, () => {
      const cause = new Error('underlying')
      const err = new ErrorClass('what went wrong', { cause })
      expect(err).toBeInstanceOf(Error)
      expect(err.name).toBe(exported)
      expect(err.message).toBe('what went wrong')
      expect(err.cause).toBe(cause)
    })
  }
})
