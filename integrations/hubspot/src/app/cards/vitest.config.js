import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: { include: ['**/*.test.{js,jsx}'], exclude: ['node_modules/**'] },
});
