// Builds one ncc bundle per entry point into dist/<name>/index.js.
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'

const entries = {
  main: 'src/main.ts',
  post: 'src/post.ts',
  plan: 'src/plan.ts',
  cli: 'src/cli.ts',
  report: 'src/report.ts'
}
rmSync('dist', { recursive: true, force: true })
for (const [name, source] of Object.entries(entries)) {
  execFileSync('npx', ['ncc', 'build', source, '-o', `dist/${name}`, '--license', 'licenses.txt', '--quiet'], {
    stdio: 'inherit'
  })
  chmodSync(`dist/${name}/index.js`, 0o755)
}
