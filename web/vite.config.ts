/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a local `tastemaker serve`; TASTEMAKER_API points elsewhere.
declare const process: { env: Record<string, string | undefined> }; // no @types/node needed for one variable
const api = process.env.TASTEMAKER_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../src/tastemaker/api/static',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/v1': api,
    },
  },
  preview: {
    proxy: {
      '/v1': api,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    css: { modules: { classNameStrategy: 'non-scoped' } },
  },
});
