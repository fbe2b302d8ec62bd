import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { narStream } from '../../src/nix/format/nar.js'

async function digest(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  return { sha256: hash.digest('hex'), size }
}

function nixStoreDump(path: string): Promise<{ sha256: string; size: number }> {
  const child = spawn('nix-store', ['--dump', path], { stdio: ['ignore', 'pipe', 'inherit'] })
  return digest(child.stdout)
}

/** nix-tech.md §1.3: f = "hello\n", x executable, l → f, d empty. */
async function referenceTree(): Promise<string> {
  const root = join(await mkdtemp(join(tmpdir(), 'nar-')), 'tv')
  await mkdir(join(root, 'd'), { recursive: true })
  await writeFile(join(root, 'f'), 'hello\n')
  await writeFile(join(root, 'x'), '#!/bin/sh\n')
  await chmod(join(root, 'x'), 0o755)
  await chmod(join(root, 'f'), 0o644)
  await symlink('f', join(root, 'l'))
  return root
}

describe('NAR serialisation in process', () => {
  it.each([
    ['f', 120, '1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13'],
    ['x', 160, '6283c1668260f903d1a895c0cd6b822fa4b68762bb0b17cedef2d39d97e26554'],
    ['l', 120, '81966cfe4e7158dfdb650a2f9ac2594a5f092efc3d96df150bb05fa65df1bfb7'],
    ['d', 96, 'a50a5ab6d992f5598edd92105059fae9acfc192981e08bd88534c2167e92526a'],
    ['', 880, 'f4eee63bed5373ccc286d8d15ec5fb0ab27e123dfabd4593272424e2bb6e7ec4']
  ])('reproduces the reference vector for tv/%s', async (name, size, sha256) => {
    const root = await referenceTree()
    expect(await digest(narStream(join(root, name)))).toEqual({ size, sha256 })
  })

  it('equals nix-store --dump on a tree with the awkward cases', async () => {
    const root = join(await mkdtemp(join(tmpdir(), 'nar-')), 'tree')
    await mkdir(join(root, 'deep', 'er', 'est'), { recursive: true })
    await writeFile(join(root, 'empty'), '')
    await writeFile(join(root, 'eight'), '12345678')
    await writeFile(join(root, 'Zeta'), 'upper case sorts before lower')
    await writeFile(join(root, 'ünïcödé'), 'utf-8 name')
    await writeFile(join(root, Buffer.from([0x6e, 0xff, 0x6e]).toString('latin1')), 'latin-1 byte')
    await writeFile(join(root, 'deep', 'er', 'est', 'big'), Buffer.alloc(3 * 1024 * 1024 + 5, 7))
    await writeFile(join(root, 'group-exec'), 'x')
    await chmod(join(root, 'group-exec'), 0o654)
    await symlink('/nowhere/at/all', join(root, 'dangling'))
    await symlink('deep', join(root, 'dirlink'))
    for (const path of [root, join(root, 'deep'), join(root, 'empty'), join(root, 'dangling')]) {
      expect(await digest(narStream(path))).toEqual(await nixStoreDump(path))
    }
  })

  it('refuses file types a NAR cannot hold', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nar-'))
    const { createServer } = await import('node:net')
    const server = createServer().listen(join(root, 'socket'))
    await new Promise(resolve => server.once('listening', resolve))
    await expect(digest(narStream(root))).rejects.toThrow(/file type NAR cannot hold/)
    server.close()
  })
})
