// Type-checked lint, as the toolkit's own actions use: a promise left without a handler is an
// error, not a review comment.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // What was thrown becomes a message or an Error in one place each (src/util/errors.ts).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ConditionalExpression[test.operator='instanceof'][test.right.name='Error'][alternate.callee.name='String']",
          message: 'Use errorMessage(error) from src/util/errors.ts.'
        },
        {
          selector:
            "ConditionalExpression[test.operator='instanceof'][test.right.name='Error'][alternate.type='NewExpression'][alternate.arguments.0.callee.name='String']",
          message: 'Use asError(error) from src/util/errors.ts.'
        }
      ]
    }
  },
  // Stand-ins for the store in tests and benches implement async interfaces with plain values.
  { files: ['__tests__/**', 'bench/**'], rules: { '@typescript-eslint/require-await': 'off' } },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  prettier
)
