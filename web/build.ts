// `npm start` and `npm test` run this first: builds the web app into web/dist with Vite, then
// writes each script and style sheet compressed beside it (.br at brotli's best, .gz), once, so
// the server sends them without compressing anything per request. Where the build tools are not
// installed (a production install without devDependencies), an existing build is served as it is;
// with neither, it stops with a message saying what to do.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
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
  const dir = path.dirname(dist);
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!/\.(js|css|svg)$/.test(name)) continue;
    const file = path.join(dir, name);
    const bytes = readFileSync(file);
    // Below 1 KiB the headers outweigh the saving (the server's threshold too).
    if (bytes.length < 1024) continue;
    writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  }
  console.log(`tripcal: web app built into ${path.relative(process.cwd(), path.dirname(dist)) || '.'}`);
} else if (existsSync(dist)) {
  console.log('tripcal: vite is not installed; serving the web app already built in web/dist');
} else {
  console.error('tripcal: the web app is not built and vite is not installed: run `npm install` (with devDependencies) and `npm run build:web`');
  process.exit(1);
}
