import { jest } from '@jest/globals'

/**
 * A stand-in for @actions/core, for jest.unstable_mockModule: groups run their function and are
 * recorded in `log` as "[name]", inputs come from INPUT_* as the runner hands them.
 */
export function coreStandIn(log: string[]) {
  return {
    group: jest.fn(async (name: string, fn: () => Promise<unknown>) => {
      log.push(`[${name}]`)
      return fn()
    }),
    getInput: jest.fn((name: string) => process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? ''),
    setSecret: jest.fn(),
    setOutput: jest.fn(),
    setFailed: jest.fn(),
    warning: jest.fn(),
    error: jest.fn(),
    notice: jest.fn(),
    info: jest.fn(),
    debug: jest.fn(),
    saveState: jest.fn(),
    getState: jest.fn(() => ''),
    addPath: jest.fn(),
    summary: { addRaw: jest.fn(() => ({ write: () => Promise.resolve() })) }
  }
}

/** Runs `fn` with these INPUT_* variables set, as the runner sets them, and removes them after. */
export async function withInputs<T>(inputs: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const names = Object.keys(inputs).map(name => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`)
  Object.entries(inputs).forEach(([, value], i) => (process.env[names[i]] = value))
  try {
    return await fn()
  } finally {
    for (const name of names) delete process.env[name]
  }
}
