import { normaliseNixHash } from './hash.js'
import type { NarFacts } from './path-info.js'
import { fullPath, parseStorePath } from './store-path.js'

export type Compression = 'zstd' | 'xz' | 'none' | 'bzip2' | 'gzip' | 'br' | 'lz4' | 'lzip'

export interface NarInfo extends NarFacts {
  storePath: string
  url: string
  compression: Compression
  /** `sha256:<nix32 or hex>` of the compressed file, as served. */
  fileHash?: string
  fileSize?: number
  sigs: string[]
  ca?: string
}

export function renderNarInfo(info: NarInfo): string {
  const lines = [`StorePath: ${info.storePath}`, `URL: ${info.url}`, `Compression: ${info.compression}`]
  if (info.fileHash !== undefined) lines.push(`FileHash: ${info.fileHash}`)
  if (info.fileSize !== undefined) lines.push(`FileSize: ${info.fileSize}`)
  lines.push(`NarHash: ${info.narHash}`, `NarSize: ${info.narSize}`, `References: ${info.references.join(' ')}`)
  if (info.deriver !== undefined) lines.push(`Deriver: ${info.deriver}`)
  for (const sig of info.sigs) lines.push(`Sig: ${sig}`)
  if (info.ca !== undefined) lines.push(`CA: ${info.ca}`)
  // Nix requires a newline after every line, the last one included.
  return `${lines.join('\n')}\n`
}

export function parseNarInfo(text: string): NarInfo {
  const fields = new Map<string, string>()
  const sigs: string[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon < 1 || line[colon + 1] !== ' ') throw new Error(`narinfo line "${line}" is not "Key: value"`)
    const key = line.slice(0, colon)
    const value = line.slice(colon + 2)
    if (key === 'Sig') sigs.push(value)
    else if (fields.has(key) && (key === 'References' || key === 'CA' || key === 'StorePath')) {
      throw new Error(`narinfo has a second ${key} line`)
    } else fields.set(key, value)
  }
  const required = (key: string): string => {
    const value = fields.get(key)
    if (value === undefined || value === '') throw new Error(`narinfo has no ${key}`)
    return value
  }
  const storePath = required('StorePath')
  parseStorePath(storePath)
  const narSize = Number(required('NarSize'))
  if (!Number.isSafeInteger(narSize) || narSize <= 0)
    throw new Error(`narinfo NarSize "${fields.get('NarSize')}" is not a positive integer`)
  const fileSizeText = fields.get('FileSize')
  const references = (fields.get('References') ?? '').split(' ').filter(r => r !== '')
  const deriver = fields.get('Deriver')
  return {
    storePath,
    url: required('URL'),
    // An absent Compression means bzip2 to Nix.
    compression: (fields.get('Compression') || 'bzip2') as Compression,
    fileHash: fields.get('FileHash'),
    fileSize: fileSizeText === undefined ? undefined : Number(fileSizeText),
    narHash: normaliseNixHash(required('NarHash')),
    narSize,
    references,
    deriver: deriver === undefined || deriver === 'unknown-deriver' ? undefined : deriver,
    sigs,
    ca: fields.get('CA')
  }
}

/** What an ed25519 narinfo signature signs: `1;path;narHash;narSize;sorted full references`. */
export function fingerprint(storePath: string, narHash: string, narSize: number, references: string[]): string {
  if (narSize <= 0) throw new Error(`cannot sign ${storePath}: NarSize must be positive`)
  const refs = references.map(fullPath).sort()
  return `1;${storePath};${normaliseNixHash(narHash)};${narSize};${refs.join(',')}`
}
