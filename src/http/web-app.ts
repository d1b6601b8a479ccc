// Serves the built web app (web/dist, made by `npm run build:web`) and answers every client route
// (/login, /trips/…, /company/…) with index.html, so a reload or a link from an email works.
// /api, /oauth, /dev/api and /openapi.json stay JSON: an unknown path there is a 404, never the app.
// The app's files (its route-split scripts, styles, the favicon) go out compressed (br, else gzip)
// to a browser that accepts it: the build's own .br and .gz beside a file where it wrote them
// (web/build.ts, compressed once at brotli's best), else compressed on the way out. The server's
// JSON API is left as it is.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface WebAppOptions {
  /** The folder vite built (holds index.html, assets/ and the favicon). */
  webDist: string;
  /** The server runs its development pages: index.html says so, and the app links to them. */
  devTools?: boolean;
}

/** What index.html tells the app about this server before it asks anything. */
const DEV_TOOLS_META = '<meta name="tripcal-dev-tools" content="on" />';

const NOT_THE_APP = /^\/(api|oauth|dev\/api|openapi\.json|healthz|_sandbox)(\/|\?|$)/;

/** Hashed build output never changes under its name; the favicon may, now and then. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const A_DAY = 'public, max-age=86400';

export async function webAppRoutes(app: FastifyInstance, opts: WebAppOptions): Promise<void> {
  const root = path.resolve(opts.webDist);
  const indexFile = path.join(root, 'index.html');
  if (!existsSync(indexFile)) {
    app.log.warn(`web app not built: ${indexFile} is missing (run \`npm run build:web\`)`);
  }

  const sendIndex = async (reply: FastifyReply) => {
    // Read on every request: a rebuild (npm run build:web) shows without a restart of the server.
    const html = await readFile(indexFile, 'utf8').catch(() => null);
    if (html === null) return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built: run `npm run build:web`.');
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(opts.devTools ? html.replace('</head>', `${DEV_TOOLS_META}</head>`) : html);
  };

  // The app's own files, in a context of their own: compression applies to them and index.html only.
  await app.register(async (files) => {
    // Before the static files, as @fastify/compress requires; 1 KiB and up (below, the headers
    // outweigh the saving).
    await files.register(fastifyCompress, { global: true, threshold: 1024, encodings: ['br', 'gzip'] });
    await files.register(fastifyStatic, {
      root,
      // index.html is served by the handlers below with no-cache; hashed assets are immutable.
      index: false,
      wildcard: false,
      preCompressed: true,
      setHeaders(res, filePath) {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) res.header('cache-control', IMMUTABLE);
        else if (/favicon\.(ico|svg)$/.test(filePath)) res.header('cache-control', A_DAY);
      },
    });
    files.get('/', async (_request, reply) => sendIndex(reply));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const pathname = request.url.split('?')[0]!;
    // A client route: a GET of a path that is not the API's and has no file extension.
    const clientRoute = (request.method === 'GET' || request.method === 'HEAD') && !NOT_THE_APP.test(pathname) && !/\.[a-z0-9]+$/i.test(pathname);
    if (!clientRoute) return reply.code(404).send({ error: 'not_found', message: `${request.method} ${pathname} does not exist` });
    return sendIndex(reply);
  });
}

// Registered at the root context (as fastify-plugin does), so the not-found fallback covers the
// whole server rather than only this plugin's routes.
(webAppRoutes as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
