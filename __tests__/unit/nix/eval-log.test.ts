import { describe, expect, it } from '@jest/globals'
import { markEvaluation, parseEvalLog } from '../../../src/nix/eval-log.js'
import { errorExcerpt } from '../../../src/hosts/eval-error.js'

const GEN_A = '/nix/store/fpc9kaxgk11bgg83c4470icwcnsi216f-gen-a-s10.drv'
const GEN_B = '/nix/store/8cxa4kvv40cpvki1y2jhdyw9z8hrdj1p-gen-b-s10.drv'
const DEP = '/nix/store/smhlycz1lnr0aphlsvjkj03w8dbs0mrm-ifd-dep-s10.drv'

// Log entries as Nix 2.8 and 2.34 write them (2.34 adds "parent"; both are read alike).
const line = (entry: object): string => `@nix ${JSON.stringify(entry)}`
const start = (id: number, type: number, text = '', fields?: unknown[], level = 0): string =>
  line({ action: 'start', id, level, text, type, ...(fields ? { fields } : {}) })
const stop = (id: number): string => line({ action: 'stop', id })
const progress = (id: number, expected: number, done = 0): string =>
  line({ action: 'result', fields: [done, expected, 0, 0], id, type: 105 })
const msg = (level: number, text: string): string => line({ action: 'msg', level, msg: text })
const traced = (drv: string, separator = '^'): string =>
  msg(
    1,
    `\u001b[35;1mwarning:\u001b[0m built '${drv}${separator}out' during evaluation due to an import from derivation`
  )
const building = (id: number, drv: string): string => start(id, 105, `building '${drv}'`, [drv, '', 1, 1], 3)

/** One realisation: realise (102), builds (104) with its goal counts, copyPaths (103), and what happens inside. */
function realise(base: number, expected: number[], inside: string[] = []): string[] {
  return [
    start(base, 102),
    start(base + 1, 104),
    start(base + 2, 103),
    ...expected.map(n => progress(base + 1, n)),
    ...inside,
    stop(base + 2),
    stop(base + 1),
    stop(base)
  ]
}

const COPY_FLAKE = start(1, 0, "copying '/tmp/flake'", undefined, 4)

describe('what an evaluation log says about import from derivation', () => {
  it.each([
    ['no import (2.8 and 2.34)', [COPY_FLAKE], 0, [], true],
    // 2.8 names nothing, but realises an import that is valid already all the same.
    ['2.8: an import valid already', [COPY_FLAKE, ...realise(10, [1, 1])], 1, [], false],
    [
      '2.8: an import it builds',
      [...realise(10, [1, 2, 2], [building(14, DEP), stop(14), building(15, GEN_A), stop(15)])],
      1,
      [],
      false
    ],
    ['2.34: an import valid already, named', [traced(GEN_A), ...realise(10, [0, 1, 0])], 1, [GEN_A], true],
    [
      '2.34: two imports, each named',
      [traced(GEN_A), ...realise(10, [1]), traced(GEN_B), ...realise(20, [1])],
      2,
      [GEN_A, GEN_B],
      true
    ],
    // Substituted from a cache: one goal, as when it is valid.
    [
      '2.34: an import it substitutes, named',
      [traced(GEN_A), ...realise(10, [1], [start(14, 108, '', [GEN_A, 'https://c'])])],
      1,
      [GEN_A],
      true
    ],
    // Its goals count the dependencies it builds too, so they cannot tell whether Nix named every import.
    [
      '2.34: an import it builds, named',
      [traced(GEN_A), ...realise(10, [0, 2, 3], [building(14, DEP), stop(14)])],
      1,
      [GEN_A],
      false
    ],
    // One path made of two derivations' outputs: Nix names the first only, and counts two goals.
    [
      '2.34: one import of two derivations, one named',
      [traced(GEN_B), ...realise(10, [0, 1, 2, 1])],
      1,
      [GEN_B],
      false
    ],
    ['a Nix between the two writes "!out"', [traced(GEN_A, '!'), ...realise(10, [1])], 1, [GEN_A], true],
    // Substituting a flake input that is not in the store realises a path, not a derivation.
    [
      'a flake input substituted: no import',
      [...realise(10, [0, 0], [start(14, 108, '', ['/nix/store/x-source', 'https://c'])])],
      0,
      [],
      true
    ],
    [
      'the same import twice',
      [traced(GEN_A), ...realise(10, [1]), traced(GEN_A), ...realise(20, [1])],
      2,
      [GEN_A],
      true
    ]
  ])('%s', (_case, lines, realisations, named, complete) => {
    const log = parseEvalLog(lines.join('\n'))
    expect(log.realisations).toBe(realisations)
    expect(log.named.map(n => n.drvPath)).toEqual(named)
    expect(log.named.every(n => n.output === 'out')).toBe(true)
    expect(log.complete).toBe(complete)
  })

  it('keeps what a plain log would say: builds, errors and warnings, without colours or our own setting', () => {
    const stderr = [
      COPY_FLAKE,
      msg(1, "\u001b[35;1mwarning:\u001b[0m Git tree '/src' is dirty"),
      "warning: unknown setting 'trace-import-from-derivation'",
      traced(GEN_A),
      ...realise(10, [1], [building(14, GEN_A), stop(14)]),
      msg(6, 'checking access to /nix/store/…'),
      line({
        action: 'msg',
        column: 5,
        level: 0,
        line: 1,
        msg: "\u001b[31;1merror:\u001b[0m attribute '\u001b[35;1mnope\u001b[0m' missing\n       at «string»:1:5:"
      }),
      'a line that is not a log entry'
    ].join('\n')
    const log = parseEvalLog(stderr)
    expect(log.text).toBe(
      [
        "warning: Git tree '/src' is dirty",
        `building '${GEN_A}'`,
        "error: attribute 'nope' missing\n       at «string»:1:5:",
        'a line that is not a log entry'
      ].join('\n')
    )
    expect(log.built).toEqual([GEN_A])
    // The plain-log reader of errors keeps working on the text.
    expect(errorExcerpt(log.text).split('\n')[0]).toBe("error: attribute 'nope' missing")
  })

  it('reads a log as Nix 2.34 wrote it for an import valid already', () => {
    const stderr = String.raw`@nix {"action":"start","id":38753489911808,"level":4,"parent":0,"text":"copying \"/tmp/i20-exp/xflake\" to the store","type":0}
@nix {"action":"stop","id":38753489911808}
@nix {"action":"msg","level":1,"msg":"\u001b[35;1mwarning:\u001b[0m built '/nix/store/fpc9kaxgk11bgg83c4470icwcnsi216f-gen-a-s10.drv^out' during evaluation due to an import from derivation"}
@nix {"action":"start","id":38813619453952,"level":0,"parent":0,"text":"","type":102}
@nix {"action":"start","id":38813619453953,"level":0,"parent":0,"text":"","type":104}
@nix {"action":"start","id":38813619453954,"level":0,"parent":0,"text":"","type":103}
@nix {"action":"result","fields":[0,0,0,0],"id":38813619453953,"type":105}
@nix {"action":"result","fields":[101,0],"id":38813619453952,"type":106}
@nix {"action":"start","id":38813619453955,"level":6,"parent":0,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":38813619453955}
@nix {"action":"result","fields":[0,1,0,0],"id":38813619453953,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":38813619453954,"type":105}
@nix {"action":"stop","id":38813619453954}
@nix {"action":"stop","id":38813619453953}
@nix {"action":"stop","id":38813619453952}`
    expect(parseEvalLog(stderr)).toEqual({
      text: '',
      built: [],
      realisations: 1,
      named: [{ drvPath: GEN_A, output: 'out' }],
      complete: true,
      parts: new Map()
    })
  })

  it('ignores a log entry that is not JSON', () => {
    expect(parseEvalLog('@nix {not json\n').text).toBe('@nix {not json')
  })

  it('tells the parts of one evaluation apart by the marks it printed', () => {
    // As one `nix eval` of three hosts printed it on 2.34: desk imports gen-a, nas nothing, pi gen-b (on 2.8, unnamed).
    const mark = (name: string): string => msg(0, `trace: nix-cachix-build evaluates ${name}`)
    const stderr = [
      COPY_FLAKE,
      mark('desk'),
      traced(GEN_A),
      ...realise(10, [1]),
      mark('nas'),
      mark('pi'),
      ...realise(20, [1]),
      building(30, GEN_B)
    ].join('\n')
    const log = parseEvalLog(stderr)
    expect(log.realisations).toBe(2)
    expect(log.complete).toBe(false)
    expect(log.text).toBe(`building '${GEN_B}'`)
    const summary = [...log.parts].map(([name, part]) => [name, part.realisations, part.named.length, part.complete])
    expect(summary).toEqual([
      ['desk', 1, 1, true],
      ['nas', 0, 0, true],
      ['pi', 1, 0, false]
    ])
    expect(log.parts.get('pi')?.built).toEqual([GEN_B])
  })

  it('marks a part with a trace of its name', () => {
    expect(markEvaluation('n', '{ a = 1; }')).toBe('builtins.trace "nix-cachix-build evaluates ${n}" ({ a = 1; })')
  })
})
