/**
 * Where the engine's progress lines go. The action hands it the step log (@actions/core), the
 * CLI hands it the terminal; the engine itself never imports a front end's toolkit.
 */
export interface Log {
  info: (line: string) => void
  warning: (line: string) => void
}
