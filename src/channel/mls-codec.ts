/**
 * The MLS wire pieces a channel handles outside a group's state: making and decoding key
 * packages (with the leaf capabilities and credential a channel member uses), decoding
 * Welcomes and reading whom they are addressed to, the roles group-context extension,
 * and the mapping of whatever ts-mls throws onto the typed errors of ./errors.ts
 * (mlsFailure), with the small byte and error helpers these share with MlsGroup.
 */
import { defaultCapabilities, defaultLifetime, encodeMlsMessage, generateKeyPackageWithKey } from 'ts-mls'
import type { CiphersuiteName, Credential, Extension, KeyPackage, PrivateKeyPackage, Welcome } from 'ts-mls'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import { decodeMlsMessageAs } from '../mls/decode.js'
import { checkKeyPackageCredential, credentialFor, jwtCredential, signatureKeyPair } from './credentials.js'
import type { MemberAuthenticationService } from './credentials.js'
import { CredentialMismatchError, InvalidChannelMessageError, MessageRejectedError } from './errors.js'
import type { LocalMember } from './group-config.js'
import { encodeRoles, ROLES_EXTENSION } from './roles.js'
import type { ChannelRoles } from './roles.js'
import { suiteImpl } from './suites.js'

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

export function describe (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/** Turns whatever ts-mls threw into one of our errors, preferring the credential check's reason. */
export function mlsFailure (err: unknown, auth: MemberAuthenticationService, what: string, Kind: new (m: string, o?: ErrorOptions) => Error = MessageRejectedError): Error {
  const refusal = auth.lastRefusal
  auth.lastRefusal = undefined
  if (refusal != null) return new CredentialMismatchError(`${what}: ${refusal.message}`, { cause: err, check: refusal.check })
  if (err instanceof Error && ['CredentialMismatchError', 'InvalidChannelMessageError', 'MessageRejectedError'].includes(err.name)) return err
  return new Kind(`${what}: ${describe(err)}`, { cause: err })
}

/** A fresh key package for `member` on `suite`, and its private part. */
export async function makeKeyPackage (member: LocalMember, suite: CiphersuiteName): Promise<{ bytes: Uint8Array, publicPackage: KeyPackage, privatePackage: PrivateKeyPackage, ref: Uint8Array }> {
  const cs = await suiteImpl(suite)
  const credential: Credential = member.credential != null ? jwtCredential(member.credential) : credentialFor(member.name)
  const kp = await generateKeyPackageWithKey(credential, capabilities(), defaultLifetime, [], signatureKeyPair(member.identity), cs)
  const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage })
  return { bytes, ...kp, ref: await makeKeyPackageRef(kp.publicPackage, cs.hash) }
}

/** Leaf capabilities: the defaults, and the roles extension (every leaf must support the group context's extensions). */
export function capabilities (): ReturnType<typeof defaultCapabilities> {
  const caps = defaultCapabilities()
  return { ...caps, extensions: [...caps.extensions, ROLES_EXTENSION] }
}

/** The roles as a group-context extension (ROLES_EXTENSION). */
export function rolesExtension (roles: ChannelRoles): Extension {
  return { extensionType: ROLES_EXTENSION, extensionData: encodeRoles(roles) }
}

/** Decodes an encoded key package (an MLSMessage of wire format mls_key_package) and checks its credential's form. */
export function decodeKeyPackage (bytes: Uint8Array): { keyPackage: KeyPackage, name: string } {
  let keyPackage: KeyPackage
  try {
    keyPackage = decodeMlsMessageAs(bytes, 'mls_key_package').keyPackage
  } catch (cause) {
    throw new InvalidChannelMessageError(`not a key package: ${describe(cause)}`, { cause })
  }
  return { keyPackage, name: checkKeyPackageCredential(keyPackage) }
}

/** Decodes an encoded Welcome (an MLSMessage of wire format mls_welcome). */
export function decodeWelcome (bytes: Uint8Array): Welcome {
  try {
    return decodeMlsMessageAs(bytes, 'mls_welcome').welcome
  } catch (cause) {
    throw new InvalidChannelMessageError(`not a Welcome: ${describe(cause)}`, { cause })
  }
}

/** The KeyPackageRefs a Welcome is addressed to (RFC 9420 section 12.4.3.1). */
export function welcomeRecipients (w: Welcome): Uint8Array[] {
  return w.secrets.map(s => s.newMember)
}

export { makeKeyPackageRef }
