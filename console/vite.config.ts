/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseWit } from './src/wit/parse.ts';

/** The WIT contract the service is built from: the forms follow it. */
const WIT = fileURLToPath(new URL('../wit/plugin.wit', import.meta.url));

/** `virtual:wit`: every interface's functions and parameter types, parsed from `wit/plugin.wit` at build time. */
function witTypes(): Plugin {
  const id = 'virtual:wit';
  return {
    name: 'bazaar-wit-types',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      this.addWatchFile(WIT);
      return `export default ${JSON.stringify(parseWit(readFileSync(WIT, 'utf8')))};`;
    },
  };
}

export default defineConfig({
  plugins: [preact(), witTypes()],
  build: {
    target: 'es2022',
    // The service embeds dist/ and serves /assets/* as immutable.
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a service on :8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
