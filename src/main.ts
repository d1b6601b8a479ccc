// `npm start`: the whole product in one process (HTTP server and workers) on the embedded database.
import { run } from './run.ts';

await run({ api: true, workers: true });
