// `npm start` and `npm test` run this first: builds the web app into web/dist with Vite. Where the
// build tools are not installed (a production install without devDependencies), an existing
// build is served as it is; with neither, it stops with a message saying what to do.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = import.meta.dirname;
const dist = path.join(root, 'dist', 'index.html');
const require = createRequire(import.meta.url);

let vite: typeof import('vite') | undefined;
try {
  require.resolve('vite');
  vite = await import('vite');
} catch {
  vite = undefined;
}

if (vite) {
  await vite.build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
  console.log(`tripcal: web app built into ${path.relative(process.cwd(), path.dirname(dist)) || '.'}`);
} else if (existsSync(dist)) {
  console.log('tripcal: vite is not installed; serving the web app already built in web/dist');
} else {
  console.error('tripcal: the web app is not built and vite is not installed: run `npm install` (with devDependencies) and `npm run build:web`');
  process.exit(1);
}
