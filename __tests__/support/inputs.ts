/** An input reader over a table, as a front end's parse function takes it: a missing input is ''. */
export const read =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? ''
