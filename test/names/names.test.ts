import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  parseServiceName, parseAgentName, parseName, isAgentName, serviceOf, instanceOf, agentName, MAX_COMPONENT_LENGTH
} from '../../src/names/names.js'
import { instanceIdFromPublicKey, agentNameForKey, nameMatchesKey } from '../../src/names/identity.js'
import { InvalidNameError } from '../../src/names/errors.js'

/** Runs `fn`, expects an InvalidNameError, and returns its message. */
function nameError (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidNameError)
    expect((err as Error).name).toBe('InvalidNameError')
    return (err as Error).message
  }
  throw new Error('expected an InvalidNameError, but nothing was thrown')
}

describe('parseServiceName', () => {
  it('accepts org/namespace/service names of a-z 0-9 . _ - and returns them unchanged', () => {
    for (const name of ['acme/research/summarizer', 'a/b/c', '0rg/n.s/svc_1-x', `${'a'.repeat(63)}/b/c`]) {
      expect(parseServiceName(name)).toBe(name)
    }
  })

  it('rejects an empty component and names it', () => {
    expect(nameError(() => parseServiceName('acme//summarizer'))).toMatch(/empty component 2 \(namespace\)/)
    expect(nameError(() => parseServiceName('/research/summarizer'))).toMatch(/empty component 1 \(org\)/)
    expect(nameError(() => parseServiceName(''))).toMatch(/empty component 1 \(org\)/)
  })

  it('rejects a component of 64 characters, names it and states the limit', () => {
    const msg = nameError(() => parseServiceName(`acme/research/${'s'.repeat(MAX_COMPONENT_LENGTH + 1)}`))
    expect(msg).toMatch(/64 characters in component 3 \(service\)/)
    expect(msg).toContain('at most 63')
  })

  it('rejects an upper-case letter and names the component', () => {
    const msg = nameError(() => parseServiceName('acme/Research/summarizer'))
    expect(msg).toMatch(/upper-case letter in component 2 \(namespace\)/)
    expect(msg).toContain('a-z 0-9 . _ -')
  })

  it('rejects a character outside a-z 0-9 . _ -, quotes it and names the component', () => {
    expect(nameError(() => parseServiceName('acme/research/sum marizer'))).toMatch(/the character " " in component 3 \(service\)/)
    expect(nameError(() => parseServiceName('ac!me/research/x'))).toMatch(/the character "!" in component 1 \(org\)/)
    expect(nameError(() => parseServiceName('acme/research/x\n'))).toMatch(/the character "\\n" in component 3/)
  })

  it('rejects a component starting with ".", "_" or "-" and names it', () => {
    expect(nameError(() => parseServiceName('acme/.research/x'))).toMatch(/component 2 \(namespace\) starting with "\."/)
    expect(nameError(() => parseServiceName('_acme/research/x'))).toMatch(/component 1 \(org\) starting with "_"/)
    expect(nameError(() => parseServiceName('acme/research/-x'))).toMatch(/component 3 \(service\) starting with "-"/)
  })

  it('rejects two or four components and says how many it found', () => {
    expect(nameError(() => parseServiceName('acme/research'))).toMatch(/has 2 components; a service or channel name is org\/namespace\/service/)
    expect(nameError(() => parseServiceName('acme/research/x/y'))).toMatch(/has 4 components/)
  })

  it('rejects a non-string and says what it got', () => {
    expect(nameError(() => parseServiceName(42))).toMatch(/must be a string.*got number/)
    expect(nameError(() => parseServiceName(undefined))).toMatch(/got undefined/)
    expect(nameError(() => parseServiceName(null))).toMatch(/got object/)
  })
})

describe('parseAgentName and parseName', () => {
  it('accepts a four-component agent name and rejects a three-component one', () => {
    expect(parseAgentName('acme/research/alice/i1')).toBe('acme/research/alice/i1')
    expect(nameError(() => parseAgentName('acme/research/alice'))).toMatch(/has 3 components; an agent name is org\/namespace\/service\/instance/)
  })

  it('names the instance component when it is wrong', () => {
    expect(nameError(() => parseAgentName('acme/research/alice/I1'))).toMatch(/upper-case letter in component 4 \(instance\)/)
    expect(nameError(() => parseAgentName('acme/research/alice/'))).toMatch(/empty component 4 \(instance\)/)
  })

  it('numbers a fifth component that has no ordinal name', () => {
    expect(nameError(() => parseName('a/b/c/d/E'))).toMatch(/component 5[;\s]/)
  })

  it('parseName accepts both forms and rejects any other component count', () => {
    expect(parseName('a/b/c')).toBe('a/b/c')
    expect(parseName('a/b/c/d')).toBe('a/b/c/d')
    expect(nameError(() => parseName('a/b'))).toMatch(/has 2 components/)
    expect(nameError(() => parseName('a/b/c/d/e'))).toMatch(/has 5 components/)
  })

  it('isAgentName, serviceOf and instanceOf split an agent name into its parts', () => {
    const svc = parseServiceName('acme/research/alice')
    const agent = agentName(svc, 'i1')
    expect(agent).toBe('acme/research/alice/i1')
    expect(isAgentName(agent)).toBe(true)
    expect(isAgentName(svc)).toBe(false)
    expect(serviceOf(agent)).toBe('acme/research/alice')
    expect(serviceOf(svc)).toBe('acme/research/alice')
    expect(instanceOf(agent)).toBe('i1')
  })

  it('agentName validates the instance it is given', () => {
    expect(nameError(() => agentName(parseServiceName('a/b/c'), 'Bad'))).toMatch(/component 4 \(instance\)/)
  })
})

describe('instanceIdFromPublicKey', () => {
  it('is stable for one key and differs across keys', async () => {
    const a = await generateKeyPair('Ed25519')
    const b = await generateKeyPair('Ed25519')
    expect(instanceIdFromPublicKey(a.publicKey)).toBe(instanceIdFromPublicKey(a.publicKey))
    expect(instanceIdFromPublicKey(a.publicKey)).not.toBe(instanceIdFromPublicKey(b.publicKey))
  })

  it('is a valid 26-character name component', async () => {
    for (let i = 0; i < 8; i++) {
      const key = await generateKeyPair('Ed25519')
      const id = instanceIdFromPublicKey(key.publicKey)
      expect(id).toMatch(/^[a-z2-7]{26}$/)
      expect(parseAgentName(`acme/research/alice/${id}`)).toBe(`acme/research/alice/${id}`)
    }
  })
})

describe('agentNameForKey', () => {
  it('appends the key\'s instance id to a service name', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = agentNameForKey('acme/research/alice', key.publicKey)
    expect(name).toBe(`acme/research/alice/${instanceIdFromPublicKey(key.publicKey)}`)
    expect(nameMatchesKey(name, key.publicKey)).toBe(true)
  })

  it('accepts a full agent name whose instance is the key\'s own', async () => {
    const key = await generateKeyPair('Ed25519')
    const full = `acme/research/alice/${instanceIdFromPublicKey(key.publicKey)}`
    expect(agentNameForKey(full, key.publicKey)).toBe(full)
  })

  it('rejects a full agent name whose instance belongs to another key and says which instance the key gives', async () => {
    const mine = await generateKeyPair('Ed25519')
    const theirs = await generateKeyPair('Ed25519')
    const theirName = `acme/research/alice/${instanceIdFromPublicKey(theirs.publicKey)}`
    const msg = nameError(() => agentNameForKey(theirName, mine.publicKey))
    expect(msg).toContain(instanceIdFromPublicKey(theirs.publicKey))
    expect(msg).toContain(instanceIdFromPublicKey(mine.publicKey))
    expect(nameMatchesKey(parseAgentName(theirName), mine.publicKey)).toBe(false)
  })

  it('rejects an invalid base name with InvalidNameError', async () => {
    const key = await generateKeyPair('Ed25519')
    expect(nameError(() => agentNameForKey('acme/Research/alice', key.publicKey))).toMatch(/component 2/)
    expect(nameError(() => agentNameForKey('acme/research', key.publicKey))).toMatch(/has 2 components/)
    expect(nameError(() => agentNameForKey(7 as unknown as string, key.publicKey))).toMatch(/got number/)
  })
})
